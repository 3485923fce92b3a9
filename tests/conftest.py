"""Shared fixtures: a real SQLCipher store per test, an in-memory keyring, no user files touched."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from keyworker_app.domain.vocabulary import Role
from keyworker_app.security.kdf import Argon2Params
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import Staff, Team, YoungPerson

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# A cheap KDF for tests whose subject is not the KDF itself (the real one is calibrated >= 0.25 s).
FAST_KDF = Argon2Params(time_cost=1, memory_kib=1024, parallelism=1)


class MemoryKeyring(KeyringBackend):
    """An OS keyring that lives in memory: the real ``keyring`` API, nothing written anywhere."""

    priority = 1  # type: ignore[assignment]  # ranks as a recommended (secure) backend

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def isolated_user_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MemoryKeyring]:
    """Every test gets its own keyring and XDG folders, and never sees the developer's."""
    for name in (
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
        "XDG_CONFIG_DIRS",  # where the organisation's settings file would be
    ):
        monkeypatch.setenv(name, str(tmp_path / "xdg" / name.lower()))
    for name in (
        "KEYWORKER_SETTINGS",
        "KEYWORKER_ALLOW_INSECURE_KEYRING",
        "KEYWORKER_PASSPHRASE",
        "KEYWORKER_DATA_DIR",
        "KEYWORKER_NEW_PASSPHRASE",
        "KEYWORKER_RECOVERY_CODE",
        "PYTHON_KEYRING_BACKEND",
    ):
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring(isolated_user_folders: MemoryKeyring) -> MemoryKeyring:
    return isolated_user_folders


@pytest.fixture
def data_key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def store(tmp_path: Path, data_key: bytes) -> Iterator[Store]:
    """An empty, real SQLCipher store (in tmp_path/data) keyed with a random data key."""
    opened = Store.create(tmp_path / "data", data_key, user_name="tester")
    yield opened
    opened.close()


@pytest.fixture
def team_and_worker(store: Store) -> tuple[Team, Staff]:
    with store.unit_of_work() as uow:
        team = Team(name="North Hub")
        uow.add(team)
        uow.session.flush()
        worker = Staff(
            user_name="tester", display_name="Test Worker", role=Role.KEYWORKER, team_id=team.id
        )
        uow.add(worker)
        uow.commit()
    return team, worker


@pytest.fixture
def young_person(store: Store, team_and_worker: tuple[Team, Staff]) -> YoungPerson:
    team, worker = team_and_worker
    with store.unit_of_work() as uow:
        person = YoungPerson(
            reference="YP-0001",
            given_name="Amani",
            family_name="Tesfaye",
            date_of_birth=date(2009, 5, 17),
            team_id=team.id,
            keyworker_id=worker.id,
        )
        uow.add(person)
        uow.commit()
    return person


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--long-drills",
        action="store_true",
        default=False,
        help="run the reliability drills at full length (also KEYWORKER_LONG_DRILLS=1)",
    )


@pytest.fixture(scope="session")
def drill_rounds(request: pytest.FixtureRequest) -> Callable[[int, int], int]:
    """How many times a drill repeats: ``short`` in make test, ``long`` with --long-drills."""
    long = (
        request.config.getoption("--long-drills") or os.environ.get("KEYWORKER_LONG_DRILLS") == "1"
    )

    def rounds(short: int, long_: int) -> int:
        return long_ if long else short

    return rounds


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Screens need Qt; keep them offscreen wherever the suite runs."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
