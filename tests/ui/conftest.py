"""Desktop fixtures: a small demo caseload behind a passphrase, and a window that opens it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from keyworker_app.demo import generate_demo
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.store import lifecycle
from keyworker_app.ui.main_window import MainWindow, StartOptions
from tests.conftest import FAST_KDF

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
