"""A laptop's audit events as the central store keeps them, and the anchor it answers with.

Each pushed event must link to the one before it (or be unchanged if the central store holds
it already); someone who removed events on the laptop and re-hashed its chain breaks one or the
other, and the central store's own hash-chained log says so. The head the central store holds
is the laptop's anchor: `keyworker check` compares the laptop's chain with it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.security.audit_chain import GENESIS, AuditLink, link_hash
from keyworker_app.server.audit_log import audit
from keyworker_app.server.models import Account, Device, DeviceAudit
from keyworker_app.server.records import now
from keyworker_app.sync.protocol import AuditAnchor, DeviceAuditEvent, PushRequest


def keep_device_audit(
    session: Session, account: Account, device: Device, request: PushRequest
) -> AuditAnchor | None:
    """Keep the laptop's audit events and answer with the head of its chain as the central store
    now holds it: the anchor. Each new event must link to the one before it; an event the
    central store already holds must not have changed. Someone who removed events on the laptop
    and re-hashed the chain breaks one or the other, and the central store's own (hash-chained)
    log says so."""
    seqs = sorted({event.seq for event in request.audit})
    wanted = sorted(set(seqs) | {seq - 1 for seq in seqs if seq > 1})
    held = {
        row.seq: row.event.get("hash")
        for start in range(0, len(wanted), 500)
        for row in session.scalars(
            select(DeviceAudit).where(
                DeviceAudit.device_id == device.id,
                DeviceAudit.seq.in_(wanted[start : start + 500]),
            )
        )
    }
    broken: list[tuple[int, str]] = []
    for event in sorted(request.audit, key=lambda e: e.seq):
        if event.seq in held:
            if held[event.seq] != event.hash:
                broken.append((event.seq, "changed after the central store received it"))
            continue
        previous = GENESIS if event.seq == 1 else held.get(event.seq - 1)
        if previous is not None and link_hash(_link(device.id, event, previous)) != event.hash:
            broken.append((event.seq, "does not follow the event before it"))
        held[event.seq] = event.hash
        session.add(
            DeviceAudit(device_id=device.id, seq=event.seq, event=event.model_dump(mode="json"))
        )
    for seq, why in broken[:20]:
        audit(session, account.user_name, "device_chain_broken", device.id, seq=seq, why=why)
    return device_anchor(session, device)  # the query flushes this request's own events first


def _link(device_id: str, event: DeviceAuditEvent, previous: str) -> AuditLink:
    return AuditLink(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor=event.actor,
        device_id=device_id,
        action=event.action,
        record_type=event.record_type,
        record_id=event.record_id,
        young_person_id=event.young_person_id,
        detail=event.detail,
        prev_hash=previous,
    )


def device_anchor(session: Session, device: Device) -> AuditAnchor | None:
    """The head of this device's chain as the central store holds it."""
    head = session.execute(
        select(DeviceAudit.seq, DeviceAudit.event)
        .where(DeviceAudit.device_id == device.id)
        .order_by(DeviceAudit.seq.desc())
        .limit(1)
    ).first()
    if head is None:
        return None
    return AuditAnchor(seq=head[0], hash=head[1]["hash"], anchored_at=now())
