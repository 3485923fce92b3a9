"""The central store protects itself: request bodies over the limit are refused unread, and every
5xx and "busy" is logged on ``keyworker.server`` with its cause but never a name or a note.

Through the real app (FastAPI's test transport) on a real SQLite central store; the full disk is
a real one (SQLite's page limit), the lock wait and the unexpected bug are raised from the push.
The memory a 100 MB body costs a real server process is measured in
tests/drills/test_oversized_input.py."""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from keyworker_app.domain.caseload_csv import parse_caseload_csv
from keyworker_app.server import app as app_module
from keyworker_app.server.app import create_app
from keyworker_app.server.body_limit import DEFAULT_MAX_BODY_BYTES
from keyworker_app.server.database import Database, open_database
from keyworker_app.server.failures import BUSY, DISK_FULL, UNEXPECTED, database_cause
from keyworker_app.server.importing import import_central
from keyworker_app.server.models import Record
from tests.sync.conftest import PASSWORD, add_people

# Synthetic, and never to be seen in a log line.
NOTE = "Ava told us about her brother Kit at Oak High; SYNTHETIC-NOTE-7f3a"
NAME = "Ava"
LOGGER = "keyworker.server"


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Database]:
    database = open_database(data_dir=tmp_path / "central")
    add_people(database, ("kwa1", "keyworker", "A"))
    cases = "reference,given_name,family_name,date_of_birth,team,keyworker\n"
    cases += f"A001,{NAME},Stone,2008-01-01,A,kwa1\n"
    with database.session() as session, session.begin():
        import_central(session, parse_caseload_csv(cases.encode(), today=date(2026, 11, 1)))
    yield database
    database.dispose()


def signed_in(client: TestClient) -> dict[str, str]:
    answer = client.post(
        "/v1/auth/login", json={"user": "kwa1", "password": PASSWORD, "device_id": "laptop-1"}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def young_person_id(database: Database) -> str:
    with database.session() as session:
        return session.scalars(
            select(Record.record_id).where(Record.record_type == "young_person")
        ).one()


def contact(young_person: str, narrative: str = NOTE) -> dict[str, Any]:
    return {
        "op_id": str(uuid.uuid4()),
        "record_type": "contact",
        "record_id": str(uuid.uuid4()),
        "operation": "insert",
        "base_version": 0,
        "patch": {
            "young_person_id": young_person,
            "contact_type": "home_visit",
            "occurred_at": "2026-10-01T10:00:00+00:00",
            "narrative": narrative,
        },
    }


def server_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


# -- request bodies ------------------------------------------------------------------------------


def test_health_tells_clients_the_body_limit(central: Database) -> None:
    with TestClient(create_app(central)) as client:
        health = client.get("/v1/health").json()
    assert health["max_body_bytes"] == DEFAULT_MAX_BODY_BYTES == 16 * 1024 * 1024
    assert health["status"] == "ok" and health["version"]
    with TestClient(create_app(central, max_body_bytes=5000)) as client:
        assert client.get("/v1/health").json()["max_body_bytes"] == 5000


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_gets_413_and_reaches_nothing(
    central: Database, caplog: pytest.LogCaptureFixture, chunked: bool
) -> None:
    reached: list[object] = []
    with TestClient(create_app(central, max_body_bytes=5000)) as client:
        headers = {**signed_in(client), "content-type": "application/json"}
        body = json.dumps({"ops": [contact(young_person_id(central), "n" * 6000)]}).encode()

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(body), 1000):
                reached.append(start)
                yield body[start : start + 1000]

        with caplog.at_level(logging.WARNING, logger=LOGGER):
            answer = client.post(
                "/v1/sync/push", content=chunks() if chunked else body, headers=headers
            )
        assert answer.status_code == 413
        assert answer.json() == {
            "detail": "The request is larger than the central store accepts (5,000 bytes); "
            "send less at a time."
        }
        assert ("transfer-encoding" in answer.request.headers) is chunked
        [line] = server_lines(caplog)
        assert line.levelno == logging.WARNING
        assert line.getMessage().startswith("POST '/v1/sync/push' answered 413: ")
        pulled = client.post("/v1/sync/pull", json={}, headers=headers).json()
    assert not [c for c in pulled["changes"] if c["record_type"] == "contact"]


def test_a_body_at_the_limit_is_read(central: Database) -> None:
    with TestClient(create_app(central, max_body_bytes=5000)) as client:
        headers = {**signed_in(client), "content-type": "application/json"}
        op = contact(young_person_id(central), "")
        padding = 5000 - len(json.dumps({"ops": [op]}).encode())
        op["patch"]["narrative"] = "n" * padding
        body = json.dumps({"ops": [op]}).encode()
        assert len(body) == 5000
        answer = client.post("/v1/sync/push", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == "accepted", answer.text


# -- failures, logged --------------------------------------------------------------------------


def fake_push(error: BaseException) -> Any:
    def push(*_: object, **__: object) -> object:
        raise error

    return push


def driver_error(statement: str, real: Exception) -> OperationalError:
    # As SQLAlchemy raises it with hide_parameters: the note is a parameter of the statement.
    return OperationalError(statement, {"narrative": NOTE}, real, hide_parameters=True)


def test_a_lock_wait_is_busy_and_logged_with_its_cause(
    central: Database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = sqlite3.OperationalError("database is locked")
    error = driver_error(f"INSERT INTO record VALUES ('{NOTE}')", locked)
    monkeypatch.setattr(app_module, "push", fake_push(error))
    with TestClient(create_app(central)) as client:
        headers = signed_in(client)
        with caplog.at_level(logging.INFO, logger=LOGGER):
            answer = client.post("/v1/sync/push", json={"ops": [contact("x")]}, headers=headers)
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert answer.json() == {"detail": BUSY}
    [line] = server_lines(caplog)
    assert line.levelno == logging.WARNING
    assert line.getMessage() == (
        "POST /v1/sync/push answered 503 busy: OperationalError database is locked"
    )
    assert "SYNTHETIC-NOTE" not in caplog.text and NAME not in caplog.text


def test_a_driver_message_quoting_something_is_logged_with_the_quotes_hidden(
    central: Database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = sqlite3.OperationalError(f'near "{NOTE}": syntax error')
    monkeypatch.setattr(app_module, "push", fake_push(driver_error("INSERT", odd)))
    with TestClient(create_app(central)) as client:
        headers = signed_in(client)
        with caplog.at_level(logging.INFO, logger=LOGGER):
            assert client.post("/v1/sync/push", json={}, headers=headers).status_code == 503
    assert 'near "…": syntax error' in caplog.text
    assert "SYNTHETIC-NOTE" not in caplog.text


def test_a_full_disk_says_so_and_is_logged_as_such(
    central: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A real full disk: SQLite refuses to grow the central store's file past its page limit."""
    with TestClient(create_app(central)) as client:
        headers = signed_in(client)
        with central.engine.connect() as connection:
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()

        @event.listens_for(central.engine, "connect")
        def _full(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        central.engine.dispose()  # every connection from now on has the limit
        big_note = (NOTE + " ") * 5000  # needs new pages
        with caplog.at_level(logging.INFO, logger=LOGGER):
            answer = client.post(
                "/v1/sync/push",
                json={"ops": [contact(young_person_id(central), big_note)]},
                headers=headers,
            )
    assert answer.status_code == 507
    assert answer.json() == {"detail": DISK_FULL}
    assert "disk is full" in DISK_FULL and "busy" not in DISK_FULL
    [line] = server_lines(caplog)
    assert line.levelno == logging.ERROR
    assert line.getMessage() == (
        "POST /v1/sync/push answered 507: the database's disk is full "
        "(OperationalError [SQLITE_FULL] database or disk is full)"
    )
    assert "SYNTHETIC-NOTE" not in caplog.text and NAME not in caplog.text


class PostgresError(Exception):
    """A psycopg error as its driver raises it: a message and an SQLSTATE."""

    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("message", "sqlstate", "kind"),
    [
        ('could not extend file "base/16384/2619": No space left on device', "53100", "disk_full"),
        ('could not read block 7 in file "base/16384/2619": read only 0 bytes', "58030", "disk"),
        ("deadlock detected\nDETAIL: Process 12 waits for ShareLock", "40P01", "busy"),
    ],
)
def test_postgresql_errors_are_told_apart_by_their_code(
    message: str, sqlstate: str, kind: str
) -> None:
    cause = database_cause(driver_error("UPDATE", PostgresError(message, sqlstate)))
    assert (cause.kind, cause.code) == (kind, sqlstate)
    assert "\n" not in cause.text and "base/16384" not in cause.text


def test_an_unexpected_bug_is_logged_by_class_and_place_never_its_message(
    central: Database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "push", fake_push(KeyError(f"{NAME}: {NOTE}")))
    with TestClient(create_app(central)) as client:
        headers = signed_in(client)
        with caplog.at_level(logging.INFO, logger=LOGGER):
            answer = client.post("/v1/sync/push", json={}, headers=headers)
        assert client.get("/v1/health").status_code == 200  # and it carries on
    assert answer.status_code == 500
    assert answer.json() == {"detail": UNEXPECTED}
    [line] = server_lines(caplog)
    assert line.levelno == logging.ERROR
    message = line.getMessage()
    assert message.startswith("POST /v1/sync/push answered 500: unexpected KeyError at ")
    assert "test_server_protects_itself.py" in message and " in push" in message
    assert line.exc_info is None  # no traceback text: it would print the message
    assert "SYNTHETIC-NOTE" not in caplog.text and NAME not in caplog.text


def test_serve_takes_the_limit_in_whole_megabytes() -> None:
    from keyworker_app.server.cli import build_parser

    assert build_parser().parse_args(["serve"]).max_body_mb == 16
    assert build_parser().parse_args(["serve", "--max-body-mb", "64"]).max_body_mb == 64
    for bad in ("0", "-1", "1.5", "lots"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["serve", "--max-body-mb", bad])
