"""The caseload store: one encrypted SQLite file in the data directory, opened with its data key."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from keyworker_app.domain.ids import new_id
from keyworker_app.store.changes import ChangeAnnouncer
from keyworker_app.store.engine import StoreError, create_store_engine
from keyworker_app.store.models import StoreSetting
from keyworker_app.store.schema import bring_up_to_date, upgrade
from keyworker_app.store.settings import SettingKey, all_settings
from keyworker_app.store.unit_of_work import UnitOfWork

DB_FILE = "caseload.db"


class Store:
    """An open, unlocked caseload. Writes go through ``unit_of_work``; reads through ``reading``."""

    def __init__(self, data_dir: Path, engine: Engine) -> None:
        self.data_dir = data_dir
        self.engine = engine
        self.write_engine = engine.execution_options(keyworker_write=True)
        settings = self.settings()
        self.device_id = settings[SettingKey.DEVICE_ID]
        self.user_name = settings.get(SettingKey.USER_NAME) or "unknown"
        self.migrated_from_backup: Path | None = None
        # Announced after every commit: what changed (store/changes.py).
        self.changes = ChangeAnnouncer()

    @staticmethod
    def db_path(data_dir: Path) -> Path:
        return data_dir / DB_FILE

    @classmethod
    def create(
        cls,
        data_dir: Path,
        data_key: bytes,
        *,
        user_name: str | None = None,
        device_id: str | None = None,
    ) -> Store:
        """A new, empty store at ``data_dir`` (which must not hold one yet).

        The file is built under a temporary name and renamed into place once its schema and
        settings are committed, so a crash never leaves a half-made store behind.
        """
        path = cls.db_path(data_dir)
        if path.exists():
            raise StoreError(
                f"{data_dir} already holds a caseload; open it instead of creating one."
            )
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        building = data_dir / (DB_FILE + ".creating")
        for leftover in data_dir.glob(DB_FILE + ".creating*"):
            leftover.unlink()
        engine = create_store_engine(building, data_key)
        try:
            upgrade(engine)
            with engine.connect() as connection:
                connection = connection.execution_options(keyworker_write=True)
                with connection.begin():
                    connection.execute(
                        insert(StoreSetting),
                        [
                            {"key": SettingKey.DEVICE_ID.value, "value": device_id or new_id()},
                            {"key": SettingKey.USER_NAME.value, "value": user_name or _os_user()},
                            {
                                "key": SettingKey.CREATED_AT.value,
                                "value": datetime.now(UTC).isoformat(),
                            },
                        ],
                    )
        finally:
            engine.dispose()
        building.chmod(0o600)
        building.replace(path)
        return cls(data_dir, create_store_engine(path, data_key))

    @classmethod
    def open(cls, data_dir: Path, data_key: bytes) -> Store:
        """Open the store, refusing a newer schema and migrating (after a backup) an older one."""
        path = cls.db_path(data_dir)
        if not path.exists():
            raise StoreError(
                f"There is no caseload in {data_dir}; run `keyworker init` to create one."
            )
        engine = create_store_engine(path, data_key)
        try:
            backup = bring_up_to_date(path, engine)
            store = cls(data_dir, engine)
        except BaseException:
            engine.dispose()
            raise
        store.migrated_from_backup = backup
        return store

    def settings(self) -> dict[str, str]:
        with Session(self.engine) as session:
            return all_settings(session)

    def unit_of_work(self, *, record_outbox: bool = True) -> UnitOfWork:
        return UnitOfWork(self, record_outbox=record_outbox)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session over one consistent snapshot of the store."""
        session = Session(self.engine, expire_on_commit=False)
        try:
            yield session
        finally:
            # close() ends the transaction without expiring what was read, so the records stay
            # usable (detached) after the block.
            session.close()

    def close(self) -> None:
        self.engine.dispose()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "keyworker"
