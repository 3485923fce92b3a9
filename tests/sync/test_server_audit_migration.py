"""Upgrading a central store made before the audit chain (schema s0002) chains the events it
already holds, in their order, so the chain starts at the first event. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select

from keyworker_app.server.audit_log import AuditCheck, audit, verify_server_audit
from keyworker_app.server.database import Database, _alembic, make_engine, migrate
from keyworker_app.server.models import ServerAudit, ServerAuditHead
from tests.sync.conftest import _fresh_pg_database

# The table as s0002 left it: no hashes, numbers given by the database.
OLD_AUDIT = sa.table(
    "server_audit",
    sa.column("seq", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String()),
    sa.column("device_id", sa.String()),
    sa.column("action", sa.String()),
    sa.column("detail", sa.JSON()),
)
START = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)
# Numbers 3, 4 and 7 were skipped, as a rolled-back transaction on PostgreSQL used to do.
OLD_EVENTS = [
    (1, "admin", None, "add_team", {"team": "North"}),
    (2, "admin", None, "add_user", {"user": "kw1", "role": "keyworker"}),
    (5, "kw1", "device-1", "login", {}),
    (6, "kw1", "device-1", "push", {"accepted": 2, "rejected": 0, "audit_events": 3}),
    (8, "kw1", "device-1", "push_rejected", {"reason": "Żaneta’s note — «refused»", "n": [1, 2]}),
    (9, "kw1", "device-1", "pull", {"records": 12, "conflicts": 0, "removed": 0}),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'central.db'}"
    else:
        yield _fresh_pg_database(request.getfixturevalue("postgres_url"))


def test_events_kept_before_the_chain_are_chained_in_order_at_upgrade(blank_url: str) -> None:
    engine = make_engine(blank_url)
    with engine.begin() as connection:
        command.upgrade(_alembic(connection), "s0002")
        connection.execute(
            OLD_AUDIT.insert(),
            [
                {
                    "seq": seq,
                    "at": START + timedelta(minutes=seq, microseconds=seq),
                    "actor": actor,
                    "device_id": device_id,
                    "action": action,
                    "detail": detail,
                }
                for seq, actor, device_id, action, detail in OLD_EVENTS
            ],
        )
    engine.dispose()

    database = Database(blank_url)
    try:
        migrate(database.engine)
        with database.session() as session:
            assert verify_server_audit(session) == AuditCheck(len(OLD_EVENTS), None)
        with database.session() as session:
            chain = list(session.scalars(select(ServerAudit).order_by(ServerAudit.seq)))
            head = session.get(ServerAuditHead, 1)
        assert [(e.seq, e.action, e.detail) for e in chain] == [
            (n, action, detail) for n, (_, _, _, action, detail) in enumerate(OLD_EVENTS, 1)
        ]
        assert [e.at.replace(tzinfo=UTC) if e.at.tzinfo is None else e.at for e in chain] == [
            START + timedelta(minutes=seq, microseconds=seq) for seq, *_ in OLD_EVENTS
        ]
        assert head is not None and (head.seq, head.hash) == (len(OLD_EVENTS), chain[-1].hash)

        # New events follow on from the migrated ones, and the whole log still holds.
        with database.session() as session, session.begin():
            audit(session, "kw1", "login", "device-1")
        with database.session() as session:
            assert verify_server_audit(session) == AuditCheck(len(OLD_EVENTS) + 1, None)
            assert session.get(ServerAudit, len(OLD_EVENTS) + 1) is not None
    finally:
        database.dispose()


def test_a_store_with_no_events_gets_an_empty_chain(blank_url: str) -> None:
    database = Database(blank_url)
    try:
        migrate(database.engine)
        with database.session() as session:
            assert verify_server_audit(session) == AuditCheck(0, None)
        with database.session() as session, session.begin():
            audit(session, "admin", "add_team", team="North")
        with database.session() as session:
            assert verify_server_audit(session) == AuditCheck(1, None)
    finally:
        database.dispose()
