"""Desktop fixtures: a small demo caseload behind a passphrase, a window that opens it, and a real
central store served over HTTP on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from pytestqt.qtbot import QtBot

from keyworker_app.demo import generate_demo
from keyworker_app.domain.caseload_csv import parse_caseload_csv
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.server.app import create_app
from keyworker_app.server.database import open_database
from keyworker_app.server.importing import import_central
from keyworker_app.store import lifecycle
from keyworker_app.ui.main_window import MainWindow, StartOptions
from tests.conftest import FAST_KDF
from tests.sync.conftest import add_people

PASSPHRASE = "window sill parsnip orbit"
TODAY = date(2026, 11, 20)


@pytest.fixture
def caseload_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "caseload"
    created = lifecycle.create_caseload(
        folder, PASSPHRASE, DeviceSecrets.for_store(folder), user_name="me", kdf=FAST_KDF
    )
    generate_demo(created.store, young_people=12, seed=5, years=1)
    created.store.close()
    return folder


@pytest.fixture
def make_window(qtbot: QtBot) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(folder: Path, **options: object) -> MainWindow:
        window = MainWindow(StartOptions(data_dir=folder, **options))  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.tasks.wait()
        if window.store is not None:
            window.store.close()


def unlocked(qtbot: QtBot, window: MainWindow) -> MainWindow:
    """Start the window and wait until the caseload has loaded."""
    with qtbot.waitSignal(window.ready, timeout=20000):
        window.start()
    return window


@pytest.fixture
def central_url(tmp_path: Path) -> Iterator[str]:
    database = open_database(data_dir=tmp_path / "central")
    add_people(
        database, ("kwa1", "keyworker", "A"), ("kwa2", "keyworker", "A"), ("sva", "supervisor", "A")
    )
    cases = (
        "reference,given_name,family_name,date_of_birth,team,keyworker,school\n"
        "A001,Ava,Stone,2008-01-01,A,kwa1,Oak High\n"
    )
    with database.session() as session, session.begin():
        import_central(session, parse_caseload_csv(cases.encode()))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(database), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    database.dispose()
