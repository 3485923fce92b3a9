"""The store's schema version: checked at every open, migrated in ordered Alembic steps.

A store written by a newer Keyworker is refused rather than guessed at. Before an older store is
migrated, the file is copied (still encrypted) into ``backups/``; the migration itself runs in
one transaction, so a crash leaves the old schema intact.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine

from keyworker_app.atomic import fsync_folder
from keyworker_app.store.engine import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
BACKUPS = "backups"


class NewerSchema(StoreError):
    pass


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def is_known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def upgrade(engine: Engine, to: str = "head") -> None:
    """Run the migrations up to ``to`` in a single transaction."""
    with engine.connect() as connection:
        connection = connection.execution_options(keyworker_write=True)
        with connection.begin():
            command.upgrade(alembic_config(connection), to)


def backup_file(db_path: Path, engine: Engine, label: str) -> Path:
    """Copy the (encrypted) store into backups/ after folding the WAL into it; returns the copy."""
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    folder = db_path.parent / BACKUPS
    folder.mkdir(mode=0o700, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{db_path.stem}-schema-{label}-{stamp}{db_path.suffix}"
    partial = target.with_suffix(".partial")
    shutil.copyfile(db_path, partial)
    partial.chmod(0o600)
    with open(partial, "rb+") as handle:
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(target)
    fsync_folder(folder)
    return target


def bring_up_to_date(db_path: Path, engine: Engine) -> Path | None:
    """Check the schema; migrate (after a backup) when older. Returns the backup made, if any.

    Raises NewerSchema when the file was written by a newer version of Keyworker.
    """
    with engine.connect() as connection:
        revision = current_revision(connection)
    head = head_revision()
    if revision == head:
        return None
    if revision is not None and not is_known(revision):
        raise NewerSchema(
            "This caseload was saved by a newer version of Keyworker; install that version "
            "(or newer) to open it. Nothing has been changed."
        )
    backup = backup_file(db_path, engine, revision or "empty") if revision is not None else None
    upgrade(engine)
    return backup
