"""A real central store for sync tests: SQLite, and PostgreSQL started by the test run itself
(the pgserver package) or taken from KEYWORKER_TEST_DATABASE_URL. Devices talk to it through
the real HTTP app (FastAPI's test transport), each with its own real SQLCipher store."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.server import accounts
from keyworker_app.server.app import create_app
from keyworker_app.server.database import Database, open_database
from keyworker_app.store import lifecycle
from keyworker_app.store.caseload_store import Store
from keyworker_app.sync.client import login
from tests.conftest import FAST_KDF

PASSWORD = "sync test password 1"


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server for the whole run: KEYWORKER_TEST_DATABASE_URL, or one started here."""
    configured = os.environ.get("KEYWORKER_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    yield server.get_uri()


def _fresh_pg_database(admin_url: str) -> str:
    name = "kw_" + uuid.uuid4().hex[:12]
    url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return base + ("?" + query if query else "")


@pytest.fixture(params=["sqlite", "postgresql"])
def central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty central store on each backend."""
    if request.param == "sqlite":
        database = open_database(data_dir=tmp_path / "central")
    else:
        database = open_database(_fresh_pg_database(request.getfixturevalue("postgres_url")))
    yield database
    database.dispose()


@dataclass
class Laptop:
    store: Store
    client: TestClient
    user: str

    @property
    def transport(self):  # type: ignore[no-untyped-def]
        return self.client._transport


@pytest.fixture
def service(central: Database) -> Iterator[TestClient]:
    with TestClient(create_app(central), base_url="https://central.test") as client:
        yield client


def add_people(central: Database, *users: tuple[str, str, str | None]) -> None:
    """Teams come from the users' teams; users are (name, role, team)."""
    with central.session() as session, session.begin():
        for team in sorted({t for _, _, t in users if t}):
            try:
                accounts.team_by_name(session, team)
            except accounts.AccountError:
                accounts.add_team(session, team)
        for name, role, team in users:
            accounts.add_user(session, name, PASSWORD, role=role, team=team)


@pytest.fixture
def laptop(tmp_path: Path, service: TestClient) -> Callable[[str], Laptop]:
    """A new laptop signed in as ``user``: its own encrypted store and keyring entry."""
    made: list[Laptop] = []

    def make(user: str) -> Laptop:
        folder = tmp_path / f"laptop-{user}-{len(made)}"
        store = lifecycle.create_caseload(
            folder,
            "laptop passphrase words",
            DeviceSecrets.for_store(folder),
            user_name=user,
            kdf=FAST_KDF,
        ).store
        device = Laptop(store, service, user)
        login(store, "https://central.test", user, PASSWORD, transport=device.transport)
        made.append(device)
        return device

    yield make  # type: ignore[misc]
    for device in made:
        device.store.close()
