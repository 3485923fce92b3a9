"""Appending to the laptop's audit trail: each event hashed with the one before it
(security/audit_chain.py), in the unit of work's transaction, which holds the write lock so
nobody else extends the chain meanwhile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.security.audit_chain import GENESIS, AuditLink, link_hash
from keyworker_app.store.models import AuditEvent, table_of


@dataclass
class PendingAudit:
    action: str
    record_type: str | None
    record_id: str | None
    young_person_id: str | None
    detail: dict[str, Any]
    occurred_at: datetime


def append_to_chain(
    session: Session, pending: list[PendingAudit], actor: str, device_id: str
) -> None:
    """Add ``pending`` after the chain's last event (BEGIN IMMEDIATE holds the write lock)."""
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, previous = (last[0], last[1]) if last else (0, GENESIS)
    rows: list[dict[str, Any]] = []
    for item in pending:
        seq += 1
        link = AuditLink(
            seq=seq,
            occurred_at=item.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            actor=actor,
            device_id=device_id,
            action=item.action,
            record_type=item.record_type,
            record_id=item.record_id,
            young_person_id=item.young_person_id,
            detail=item.detail,
            prev_hash=previous,
        )
        previous = link_hash(link)
        rows.append(
            {
                "seq": seq,
                "occurred_at": item.occurred_at,
                "actor": actor,
                "device_id": device_id,
                "action": link.action,
                "record_type": link.record_type,
                "record_id": link.record_id,
                "young_person_id": link.young_person_id,
                "detail": link.detail,
                "prev_hash": link.prev_hash,
                "hash": previous,
            }
        )
    session.execute(table_of(AuditEvent).insert(), rows)
