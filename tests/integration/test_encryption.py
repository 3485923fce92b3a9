"""Nothing readable at rest: the store, its WAL, the key file, backups."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.store import engine as engine_module
from keyworker_app.store import lifecycle
from keyworker_app.store.engine import DriverNotSQLCipher, WrongKey, open_connection
from keyworker_app.store.models import YoungPerson
from keyworker_app.store.recording import (
    ContactDetails,
    add_addendum,
    add_contact,
    finalise_contact,
)
from tests.conftest import FAST_KDF

SECRETS = [
    "Mekdes",
    "Gebremichael",
    "ሰላም",
    "ተስፋይ",
    "مريم",
    "zebracrossing marmalade pelican",
    "hidden addendum words",
]


def scan(folder: Path) -> list[str]:
    problems = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if data.startswith(b"SQLite format 3"):
            problems.append(f"{path.name} has a plain SQLite header")
        for word in SECRETS:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                if word.encode(encoding) in data:
                    problems.append(f"{path.name} holds {word!r} in {encoding}")
    return problems


def test_no_file_holds_a_name_or_note_while_open_or_closed(tmp_path: Path) -> None:
    folder = tmp_path / "caseload"
    store = lifecycle.create_caseload(
        folder, "horse battery staple!", DeviceSecrets.for_store(folder), kdf=FAST_KDF
    ).store
    with store.unit_of_work() as uow:
        uow.add(
            YoungPerson(
                reference="R-1",
                given_name="Mekdes",
                family_name="Gebremichael",
                date_of_birth=date(2009, 1, 2),
            )
        )
        uow.add(
            YoungPerson(
                reference="R-2",
                given_name="ሰላም",
                family_name="ተስፋይ",
                date_of_birth=date(2009, 1, 2),
            )
        )
        uow.add(
            YoungPerson(
                reference="R-3",
                given_name="مريم",
                family_name="Ahmadi",
                date_of_birth=date(2009, 1, 2),
            )
        )
        uow.commit()
        first_id = uow.session.scalars(
            select(YoungPerson.id).where(YoungPerson.reference == "R-1")
        ).one()
    contact = add_contact(
        store,
        first_id,
        ContactDetails(
            ContactType.PHONE,
            "zebracrossing marmalade pelican",
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        ),
    )
    finalise_contact(store, contact.id)
    add_addendum(store, contact.id, "hidden addendum words")
    # While open, the write-ahead log holds the newest pages: it must be encrypted too.
    assert (folder / "caseload.db-wal").exists()
    assert scan(folder) == []
    store.close()
    assert scan(folder) == []
    assert oct((folder / "caseload.db").stat().st_mode & 0o777) == "0o600"
    assert oct((folder / "keys.json").stat().st_mode & 0o777) == "0o600"


def test_the_store_file_cannot_be_read_with_plain_sqlite(store: object, tmp_path: Path) -> None:
    path = tmp_path / "data" / "caseload.db"
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT count(*) FROM sqlite_master").fetchone()


def test_a_wrong_data_key_opens_nothing(store: object, tmp_path: Path) -> None:
    with pytest.raises(WrongKey):
        open_connection(tmp_path / "data" / "caseload.db", b"\x01" * 32)


def test_fails_closed_when_the_driver_is_not_sqlcipher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plain SQLite library answers PRAGMA key silently and would write clear text.
    import sqlite3 as plain

    monkeypatch.setattr(engine_module, "_driver", lambda: plain)
    path = tmp_path / "plain.db"
    with pytest.raises(DriverNotSQLCipher, match="not SQLCipher"):
        open_connection(path, b"\x02" * 32)
    assert not path.exists() or path.read_bytes() == b""


def test_connections_use_memory_for_temporary_data_and_wal(
    store: object, data_key: bytes, tmp_path: Path
) -> None:
    connection = open_connection(tmp_path / "data" / "caseload.db", data_key)
    try:
        assert connection.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert connection.execute("PRAGMA cipher_version").fetchone()[0].startswith("4.")
    finally:
        connection.close()
