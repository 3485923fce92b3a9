"""Everything held about one young person, as a subject access request needs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from keyworker_app.atomic import write_atomically
from keyworker_app.domain.dates import utc_now
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import AuditEvent
from keyworker_app.store.record import load_record
from keyworker_app.store.recording import require_young_person
from keyworker_app.store.serialise import record_as_dict, to_json_value

EXPORT_FORMAT = "keyworker-subject-access/1"


def subject_access_export(store: Store, reference: str) -> dict[str, Any]:
    """All records about the young person with ``reference``, including who accessed them.

    The export itself is audited. Raises NotFound for an unknown reference.
    """
    with store.unit_of_work() as uow:
        session = uow.session
        record = load_record(session, require_young_person(session, reference).id)
        person, worker = record.person, record.keyworker
        audit = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.young_person_id == person.id)
            .order_by(AuditEvent.seq)
        )
        body: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "exported_at": utc_now().isoformat(),
            "exported_by": store.user_name,
            "young_person": record_as_dict(person),
            "team": record.team.name if record.team else None,
            "keyworker": {"user_name": worker.user_name, "name": worker.display_name}
            if worker
            else None,
            "referrals": [record_as_dict(r) for r in record.referrals],
            "placements": [record_as_dict(p) for p in record.placements],
            "contacts": [
                {
                    **record_as_dict(c),
                    "addenda": [record_as_dict(a) for a in record.addenda.get(c.id, [])],
                }
                for c in reversed(record.contacts)  # oldest first, as a chronology reads
            ],
            "missing_episodes": [record_as_dict(m) for m in reversed(record.missing_episodes)],
            "goals": [
                {**record_as_dict(g.goal), "scores": [record_as_dict(s) for s in g.scores]}
                for g in record.goals
            ],
            "actions": [record_as_dict(a) for a in record.actions],
            "chronology_events": [record_as_dict(e) for e in record.chronology_events],
            "form_responses": [record_as_dict(f) for f in record.form_responses],
            "audit_trail": [
                {
                    "seq": e.seq,
                    "at": to_json_value(e.occurred_at),
                    "who": e.actor,
                    "action": e.action,
                    "record_type": e.record_type,
                    "record_id": e.record_id,
                    "detail": e.detail,
                }
                for e in audit
            ],
        }
        uow.audit("export_subject_access", person, detail={"records": _count(body)})
        uow.commit()
    return body


def _count(body: dict[str, Any]) -> int:
    return sum(len(v) for v in body.values() if isinstance(v, list))


def write_export(body: dict[str, Any], out: Path) -> None:
    """Write the export as UTF-8 JSON, atomically and readable by the user only."""
    data = json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")
    write_atomically(out, data, mode=0o600)
