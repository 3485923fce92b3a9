"""Schema versions: an old file is backed up and upgraded; a newer one is refused untouched."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from keyworker_app.security.device_secret import SERVICE, DeviceSecrets
from keyworker_app.store import lifecycle
from keyworker_app.store.integrity import check_store
from keyworker_app.store.models import Contact, Team, YoungPerson
from keyworker_app.store.schema import NewerSchema, head_revision
from keyworker_app.store.search import search
from tests.conftest import MemoryKeyring

OLD_STORE = Path(__file__).parent.parent / "data" / "store-v0001"


@pytest.fixture
def old_store(tmp_path: Path, memory_keyring: MemoryKeyring) -> tuple[Path, str]:
    folder = tmp_path / "old"
    shutil.copytree(OLD_STORE, folder)
    secrets = json.loads((folder / "secrets.json").read_text())
    (folder / "secrets.json").unlink()
    memory_keyring.set_password(SERVICE, secrets["store_id"], secrets["device_secret"])
    return folder, secrets["passphrase"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_old_schema_file_is_backed_up_then_upgraded(old_store: tuple[Path, str]) -> None:
    folder, passphrase = old_store
    original = digest(folder / "caseload.db")
    store = lifecycle.unlock_caseload(folder, passphrase, DeviceSecrets.for_store(folder))
    try:
        backup = store.migrated_from_backup
        assert backup is not None and backup.parent == folder / "backups"
        assert digest(backup) == original
        assert "schema-0001" in backup.name
        with store.reading() as session:
            team = session.scalars(select(Team)).one()
            assert (team.name, team.visiting_standard_days, team.caseload_cap) == ("Old Hub", 7, 12)
            person = session.scalars(select(YoungPerson)).one()
            assert (person.reference, person.given_name, person.uasc) == ("OLD-1", "Yonas", True)
            assert session.scalars(select(Contact)).one().narrative == "Played chess at the hub"
            assert [h.reference for h in search(session, "chess")] == ["OLD-1"]
        findings = check_store(store)
        assert all(f.ok for f in findings), findings
        assert store.user_name == "old.tester"
    finally:
        store.close()
    # Opening again finds the schema current: no second backup.
    again = lifecycle.unlock_caseload(folder, passphrase, DeviceSecrets.for_store(folder))
    again.close()
    assert again.migrated_from_backup is None
    assert len(list((folder / "backups").iterdir())) == 1


def test_a_newer_schema_is_refused_and_left_untouched(old_store: tuple[Path, str]) -> None:
    folder, passphrase = old_store
    store = lifecycle.unlock_caseload(folder, passphrase, DeviceSecrets.for_store(folder))
    with store.write_engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    store.close()
    before = {p.name: digest(p) for p in folder.iterdir() if p.is_file()}
    with pytest.raises(NewerSchema, match="newer version of Keyworker"):
        lifecycle.unlock_caseload(folder, passphrase, DeviceSecrets.for_store(folder))
    after = {p.name: digest(p) for p in folder.iterdir() if p.is_file()}
    assert before == after
    assert head_revision() != "9999"


def test_search_entries_indexed_with_bidi_controls_are_redone(tmp_path: Path) -> None:
    """Before 0007 the index kept bidi controls, so a wrapped name was not found; opening the
    store upgrades it and the name is found by its plain spelling."""
    import os

    from alembic import command
    from sqlalchemy import text

    from keyworker_app.domain.vocabulary import ContactType
    from keyworker_app.store.caseload_store import Store
    from keyworker_app.store.recording import ContactDetails, add_contact
    from keyworker_app.store.schema import alembic_config

    key = os.urandom(32)
    store = Store.create(tmp_path / "data", key, user_name="tester")
    with store.unit_of_work() as uow:
        person = YoungPerson(
            reference="BD-1", given_name="Amani", family_name="T", date_of_birth=date(2010, 1, 1)
        )
        uow.add(person)
        uow.commit()
    add_contact(store, person.id, ContactDetails(ContactType.PHONE, "Spoke with \u2068Amira\u2069"))
    with store.engine.connect() as connection:  # the index as the old code wrote it
        connection = connection.execution_options(keyworker_write=True)
        with connection.begin():
            connection.execute(
                text("UPDATE search_text SET body = :b"), {"b": "Spoke with \u2068Amira\u2069"}
            )
            command.stamp(alembic_config(connection), "0006")
        with connection.begin():
            assert (
                connection.execute(
                    text("SELECT count(*) FROM search_text WHERE search_text MATCH '\"Amira\"'")
                ).scalar_one()
                == 0
            )
    store.close()

    reopened = Store.open(tmp_path / "data", key)
    try:
        with reopened.reading() as session:
            assert len(search(session, "Amira")) == 1
    finally:
        reopened.close()
