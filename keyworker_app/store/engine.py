"""The encrypted engine: SQLCipher under SQLAlchemy, keyed with a raw 256-bit data key.

The key is passed as a raw key (``x'...'``), so opening costs no per-connection PBKDF2: the slow,
memory-hard step happens once, at unlock, in ``keyworker_app.security``. If the driver turns out
not to be SQLCipher, or the key does not open the file, nothing is read or written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool


class StoreError(Exception):
    """A problem with the caseload store, worded for the user."""


class DriverNotSQLCipher(StoreError):
    pass


class WrongKey(StoreError):
    pass


def _driver() -> Any:
    try:
        import sqlcipher3.dbapi2 as driver
    except ImportError:
        raise DriverNotSQLCipher(
            "The SQLCipher driver (sqlcipher3) is not installed, so the caseload cannot be opened "
            "encrypted; reinstall Keyworker with its dependencies."
        ) from None
    return driver


def open_connection(path: Path, key: bytes) -> Any:
    """A DB-API connection to the encrypted file at ``path``, keyed and checked.

    Raises DriverNotSQLCipher when the library is plain SQLite and WrongKey when the key does not
    decrypt the file.
    """
    if len(key) != 32:
        raise ValueError("the data key must be 32 bytes")
    driver = _driver()
    conn = driver.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        # SQLCipher prints its own lines to stderr for a wrong key or a damaged page ("hmac check
        # failed for pgno=1"); the failure is reported as one of our sentences instead.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        row = conn.execute("PRAGMA cipher_version").fetchone()
        if not row or not row[0]:
            raise DriverNotSQLCipher(
                "The database library in use is plain SQLite, not SQLCipher, so the caseload "
                "would not be encrypted; reinstall Keyworker with its sqlcipher3 dependency."
            )
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except driver.DatabaseError:
            raise WrongKey("The data key does not open this caseload file.") from None
        # Temporary tables and sort spills stay in memory: nothing decrypted touches the disk.
        conn.execute("PRAGMA temp_store = MEMORY")
        # 32 MiB of decrypted pages per connection (SQLite's default is 2 MiB): with a big index,
        # every page read past the cache is decrypted again, which made a search on 200,000
        # notes 1.6x plain SQLite; with it, the same (benchmarks/store.py).
        conn.execute("PRAGMA cache_size = -32768")
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit that returned is on disk, even if power is lost straight after.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 10000")
    except BaseException:
        conn.close()
        raise
    return conn


def create_store_engine(path: Path, key: bytes) -> Engine:
    """A SQLAlchemy engine over the encrypted file.

    Transactions are begun explicitly: ``BEGIN IMMEDIATE`` for connections marked with the
    ``keyworker_write`` execution option (the unit of work), so a writer takes the write lock
    before it reads the audit chain's tail, and plain ``BEGIN`` for readers.
    """
    driver = _driver()
    engine = create_engine(
        "sqlite+pysqlite://",
        module=driver,
        creator=lambda: open_connection(path, key),
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
        # Names and notes are statement parameters: never in a log or an error message, even
        # if someone turns SQL logging on.
        hide_parameters=True,
    )

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        writing = conn.get_execution_options().get("keyworker_write", False)
        # A reading session cannot write, even by mistake: SQLite refuses every change on a
        # connection that is query-only. Set per transaction, since connections are pooled.
        conn.exec_driver_sql(f"PRAGMA query_only = {0 if writing else 1}")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine
