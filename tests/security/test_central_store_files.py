"""The central store's folder and SQLite files are the server account's alone (0700/0600),
whatever the umask, and also when an older version left them readable by everyone."""

from __future__ import annotations

import os
import stat
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from keyworker_app.server import accounts
from keyworker_app.server.database import SQLITE_FILE, open_database

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask of a service account: files 0644 unless asked otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def write_something(folder: Path) -> None:
    """Open the store and write, so SQLite has its -wal and -shm files open beside it."""
    database = open_database(data_dir=folder)
    try:
        with database.session() as session, session.begin():
            accounts.add_team(session, f"Team {uuid.uuid4().hex[:8]}")
        names = {p.name for p in folder.iterdir()}
        assert {SQLITE_FILE, f"{SQLITE_FILE}-wal", f"{SQLITE_FILE}-shm"} <= names
        assert {p.name: mode(p) for p in folder.iterdir()} == dict.fromkeys(names, 0o600)
    finally:
        database.dispose()


@pytest.mark.usefixtures("open_umask")
def test_a_new_store_is_private_to_the_server_account(tmp_path: Path) -> None:
    folder = tmp_path / "central"
    write_something(folder)
    assert mode(folder) == 0o700


@pytest.mark.usefixtures("open_umask")
def test_an_existing_store_left_readable_is_made_private_when_opened(tmp_path: Path) -> None:
    folder = tmp_path / "central"
    write_something(folder)
    folder.chmod(0o755)
    for name in (SQLITE_FILE, f"{SQLITE_FILE}-wal", f"{SQLITE_FILE}-shm"):
        (folder / name).touch()
        (folder / name).chmod(0o644)
    write_something(folder)
    assert mode(folder) == 0o700


@pytest.mark.usefixtures("open_umask")
def test_a_database_url_to_an_sqlite_file_is_private_too(tmp_path: Path) -> None:
    chosen = tmp_path / "chosen"
    chosen.mkdir(mode=0o755)
    database = open_database(f"sqlite:///{chosen / 'elsewhere.db'}")
    database.dispose()
    assert mode(chosen / "elsewhere.db") == 0o600
    assert mode(chosen) == 0o755  # a folder the administrator chose is left as it is
