"""The central store's own audit log (sign-ins, pushes, refusals, imports, restrictions...),
hash-chained like the laptop's: each event's hash covers its content, its number and the hash
of the event before it, and one head row keeps the last number and hash. Removing, changing or
reordering any event, the last ones included, breaks the chain where it happened.

Events are numbered at commit, as the change feed is (``database.queue_change``): ``audit``
only queues the event, and a ``before_commit`` hook locks the head row, chains the queued events
and inserts them, so a writer holds the lock from just before its commit to the commit, and a
transaction that audits nothing never takes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.security.audit_chain import GENESIS
from keyworker_app.server.models import ServerAudit, ServerAuditHead, table_of

PENDING_AUDIT = "pending_audit_events"
HEAD_ID = 1
_PAGE = 5000
# Events chained in one statement on PostgreSQL (8 parameters each, well under its limit).
_ONE_STATEMENT = 500


class AuditHeadMissing(Exception):
    """The head row is gone, so no event can be chained; only tampering removes it."""


def audit(
    session: Session, actor: str, action: str, device_id: str | None = None, **detail: object
) -> None:
    """Add an event to the central store's audit log when ``session`` commits (also a commit
    that follows a refusal, so refused attempts are kept); a rollback drops it."""
    # Round-tripped through JSON now so the hash covers exactly what the database gives back
    # (a tuple comes back as a list).
    event = {
        "at": datetime.now(UTC),
        "actor": actor,
        "device_id": device_id,
        "action": action,
        "detail": json.loads(json.dumps(detail)),
    }
    session.info.setdefault(PENDING_AUDIT, []).append(event)


def at_text(at: datetime) -> str:
    """The exact UTC time an event's hash covers; SQLite gives stored times back naive (UTC)."""
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.isoformat(timespec="microseconds")


def event_hash(
    seq: int,
    at: datetime,
    actor: str,
    device_id: str | None,
    action: str,
    detail: dict[str, Any],
    prev_hash: str,
) -> str:
    body = json.dumps(
        [seq, at_text(at), actor, device_id, action, detail, prev_hash],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def chain_pending_events(session: Session) -> None:
    """``before_commit`` hook: number and chain the events queued in this transaction. Runs
    after the change feed's hook, so every writer takes the counter lock before this one.

    Every audited commit waits for the one before it to finish (its hash is needed), so the
    lock is held for as little as possible: the transaction's own writes are flushed before
    it is taken, and after it come one or two statements and the commit."""
    pending: list[dict[str, Any]] | None = session.info.pop(PENDING_AUDIT, None)
    if not pending:
        return
    session.flush()
    head = session.execute(
        select(ServerAuditHead.seq, ServerAuditHead.hash)
        .where(ServerAuditHead.id == HEAD_ID)
        .with_for_update()
    ).one_or_none()
    if head is None:
        raise AuditHeadMissing(
            "The central store's audit log has lost its head record; "
            "run `keyworker-server check-audit` and report it as a security incident."
        )
    seq, previous = head
    rows = []
    for event in pending:
        seq += 1
        digest = event_hash(
            seq,
            event["at"],
            event["actor"],
            event["device_id"],
            event["action"],
            event["detail"],
            previous,
        )
        rows.append({**event, "seq": seq, "prev_hash": previous, "hash": digest})
        previous = digest
    events, head_table = table_of(ServerAudit), table_of(ServerAuditHead)
    move_head = head_table.update().where(head_table.c.id == HEAD_ID).values(seq=seq, hash=previous)
    if session.get_bind().dialect.name == "postgresql" and len(rows) <= _ONE_STATEMENT:
        # One round trip: the events are inserted by a WITH clause of the head's update.
        session.execute(move_head.add_cte(events.insert().values(rows).cte("added")))
    else:
        session.execute(events.insert(), rows)
        session.execute(move_head)


def forget_pending_events(session: Session, *_: Any) -> None:
    session.info.pop(PENDING_AUDIT, None)


@dataclass(frozen=True)
class AuditCheck:
    """What ``verify_server_audit`` found: the events that hold, and the first problem (a
    clause naming the event and why), or None when every link holds."""

    events: int
    problem: str | None

    @property
    def holds(self) -> bool:
        return self.problem is None


def _span(first: int, last: int, one: str, many: str) -> str:
    return f"event {first} {one}" if first == last else f"events {first} to {last} {many}"


def verify_server_audit(session: Session) -> AuditCheck:
    """Walk the whole audit log in order and check every link and the head row. Call it on a
    session with no transaction yet: on PostgreSQL it reads one snapshot (REPEATABLE READ), so
    events committed during the walk are neither half-seen nor taken for tampering."""
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    head = session.execute(
        select(ServerAuditHead.seq, ServerAuditHead.hash).where(ServerAuditHead.id == HEAD_ID)
    ).one_or_none()
    if head is None:
        return AuditCheck(0, "its head record, which holds the last event's hash, is missing")
    rows = session.execute(
        select(
            ServerAudit.seq,
            ServerAudit.at,
            ServerAudit.actor,
            ServerAudit.device_id,
            ServerAudit.action,
            ServerAudit.detail,
            ServerAudit.prev_hash,
            ServerAudit.hash,
        )
        .order_by(ServerAudit.seq)
        .execution_options(yield_per=_PAGE)
    )
    previous = GENESIS
    expected = 1
    for seq, at, actor, device_id, action, detail, prev_hash, stored in rows:
        if seq != expected:
            rows.close()
            return AuditCheck(expected - 1, _span(expected, seq - 1, "is missing", "are missing"))
        if prev_hash != previous:
            rows.close()
            where = "does not start the log" if seq == 1 else "does not follow the event before it"
            return AuditCheck(seq - 1, f"event {seq} {where}")
        if event_hash(seq, at, actor, device_id, action, detail, prev_hash) != stored:
            rows.close()
            return AuditCheck(seq - 1, f"event {seq} no longer matches its hash")
        previous = stored
        expected += 1
    last = expected - 1
    if last < head.seq:
        return AuditCheck(last, _span(last + 1, head.seq, "has been removed", "have been removed"))
    if last > head.seq:
        return AuditCheck(
            head.seq,
            _span(head.seq + 1, last, "was added outside the log", "were added outside the log"),
        )
    if previous != head.hash:
        return AuditCheck(
            last, f"event {last} is not the last event the log recorded; the log was rewritten"
        )
    return AuditCheck(last, None)
