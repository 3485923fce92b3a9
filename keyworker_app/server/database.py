"""The central store's database: PostgreSQL for real deployments, SQLite as the embedded
default. No state lives in a server process, so several can serve one PostgreSQL database."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url, select
from sqlalchemy.orm import Session, sessionmaker

from keyworker_app.server.audit_log import chain_pending_events, forget_pending_events
from keyworker_app.server.models import ChangeEntry, SequenceCounter, table_of

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_FILE = "central.db"
# The database and the files SQLite keeps beside it while it writes.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class ServerDatabaseError(Exception):
    """The central store's database cannot be used; the message says why."""


def database_url(database: str | None, data_dir: Path | None) -> str:
    if database:
        if database.startswith("postgresql://"):
            database = "postgresql+psycopg://" + database[len("postgresql://") :]
        return database
    if data_dir is None:
        raise ServerDatabaseError("Give --database URL or --data-dir DIR for the central store.")
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        data_dir.chmod(0o700)  # an existing folder too: it holds every team's case records
    except OSError as error:
        raise _not_private(data_dir, error) from None
    return f"sqlite:///{data_dir / SQLITE_FILE}"


def _not_private(path: Path, error: OSError) -> ServerDatabaseError:
    return ServerDatabaseError(
        f"The central store's files at {path} cannot be made private to this account "
        f"({error.strerror}); run the server as the account that owns them."
    )


def keep_sqlite_private(url: str) -> None:
    """Make an SQLite database readable by this account only (0600), also when an older
    version left it readable by everyone. A new database file is made here, empty, so SQLite
    never creates it with the umask's mode (0644); SQLite gives the -wal, -shm and -journal
    files it makes later the database file's mode. (Not a umask around connecting: the umask is
    the whole process's, and a server's other threads create files too.)"""
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    try:
        # No folder: SQLite's own error says so when it connects.
        with contextlib.suppress(FileExistsError, FileNotFoundError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        for file in (path, *(path.with_name(path.name + end) for end in SQLITE_SIDE_FILES)):
            with contextlib.suppress(FileNotFoundError):
                file.chmod(0o600)
    except OSError as error:
        raise _not_private(path, error) from None


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA journal_mode = WAL")
            dbapi_connection.execute("PRAGMA synchronous = FULL")
            dbapi_connection.execute("PRAGMA busy_timeout = 30000")

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # One writer at a time, taken at the start: no upgrade deadlocks between requests.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # Enough connections for a burst of laptops; a request that still finds none gets a 503.
    # hide_parameters: case data never reaches a log line or an error message.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=20,
        max_overflow=20,
        pool_timeout=20,
        hide_parameters=True,
    )


def _alembic(connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema; refuse a schema newer than this version knows."""
    scripts = ScriptDirectory.from_config(_alembic())
    with engine.begin() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        if current is not None and current not in {s.revision for s in scripts.walk_revisions()}:
            raise ServerDatabaseError(
                "The central store's database was made by a newer Keyworker server; "
                "upgrade this server before using it."
            )
        command.upgrade(_alembic(connection), "head")
        if (
            connection.execute(
                select(SequenceCounter).where(SequenceCounter.name == "change")
            ).first()
            is None
        ):
            connection.execute(table_of(SequenceCounter).insert(), {"name": "change", "value": 0})


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessions, "before_commit", _number_changes)
        event.listen(self.sessions, "after_rollback", _forget_changes)
        # After the change feed's hook: every writer takes the counter lock, then the audit
        # head's, always in that order, so the two never deadlock.
        event.listen(self.sessions, "before_commit", chain_pending_events)
        event.listen(self.sessions, "after_rollback", forget_pending_events)

    def session(self) -> Session:
        return self.sessions()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(database: str | None = None, data_dir: Path | None = None) -> Database:
    url = database_url(database, data_dir)
    if url.startswith("sqlite"):
        keep_sqlite_private(url)
    try:
        db = Database(url)
        migrate(db.engine)
    except ServerDatabaseError:
        raise
    except Exception as error:  # noqa: BLE001 - connection errors of every driver
        raise ServerDatabaseError(
            f"The central store's database cannot be opened ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:200]}); check the --database URL and that it is running."
        ) from None
    return db


PENDING_CHANGES = "pending_change_entries"


def queue_change(session: Session, entry: ChangeEntry) -> None:
    """Add ``entry`` to the change feed when the transaction commits. Numbers are given out at
    commit, under the counter's lock, so writers hold that lock for a moment instead of for
    their whole transaction, and numbers still become visible strictly in order."""
    session.info.setdefault(PENDING_CHANGES, []).append(entry)


def _number_changes(session: Session) -> None:
    pending = session.info.pop(PENDING_CHANGES, None)
    if not pending:
        return
    first = next_seq(session, len(pending))
    for offset, entry in enumerate(pending):
        entry.seq = first + offset
    session.add_all(pending)
    session.flush()


def _forget_changes(session: Session, *_: Any) -> None:
    session.info.pop(PENDING_CHANGES, None)


def next_seq(session: Session, count: int = 1) -> int:
    """Reserve ``count`` change numbers; returns the first. The counter row stays locked until
    the transaction commits, so change numbers become visible strictly in order."""
    # Lock the counter once per transaction; later calls in it reuse the locked row.
    transaction = session.get_transaction()
    cached = session.info.get("change_counter")
    if cached is not None and cached[0] is transaction:
        row = cached[1]
    else:
        row = session.scalars(
            select(SequenceCounter).where(SequenceCounter.name == "change").with_for_update()
        ).one()
        session.info["change_counter"] = (transaction, row)
    first: int = row.value + 1
    row.value += count
    return first
