"""The central store answers only after its transaction has committed. Served by a real uvicorn
(the test client would hide the difference): a laptop told "accepted" drops its copy of the
change, so the answer must never come before the commit."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import Session

from keyworker_app.server.app import create_app
from keyworker_app.server.database import Database, open_database
from tests.sync.conftest import PASSWORD, add_people


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Database]]:
    database = open_database(data_dir=tmp_path / "central")
    add_people(database, ("kwa1", "keyworker", "A"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(database), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    address = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(address + "/v1/health", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield address, database
    server.should_exit = True
    thread.join(timeout=10)
    database.dispose()


def test_the_answer_comes_after_the_commit(
    served: tuple[str, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    address, _ = served
    committed: list[float] = []
    original = Session.commit

    def slow_commit(self: Session) -> None:
        time.sleep(0.4)  # a busy database
        original(self)
        committed.append(time.perf_counter())

    monkeypatch.setattr(Session, "commit", slow_commit)
    response = httpx.post(
        address + "/v1/auth/login",
        json={"user": "kwa1", "password": PASSWORD, "device_id": "laptop-1"},
        timeout=10,
    )
    answered = time.perf_counter()
    assert response.status_code == 200
    assert committed and committed[-1] <= answered
    # and the token it was given works at once
    token = response.json()["access_token"]
    pull = httpx.post(
        address + "/v1/sync/pull",
        json={"cursor": 0},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert pull.status_code == 200
