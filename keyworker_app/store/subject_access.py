"""Everything held about one young person, as a subject access request needs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from keyworker_app.atomic import write_atomically
from keyworker_app.domain.dates import utc_now
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import (
    Action,
    Addendum,
    AuditEvent,
    ChronologyEvent,
    Contact,
    FormResponse,
    Goal,
    GoalScore,
    MissingEpisode,
    Placement,
    Referral,
    Staff,
    Syncable,
    Team,
)
from keyworker_app.store.recording import require_young_person
from keyworker_app.store.serialise import record_as_dict, to_json_value

EXPORT_FORMAT = "keyworker-subject-access/1"


def _records(session: Any, model: type[Syncable], young_person_id: str, order: Any) -> list[Any]:
    return list(
        session.scalars(
            select(model)
            .where(model.young_person_id == young_person_id, model.deleted.is_(False))  # type: ignore[attr-defined]
            .order_by(order)
        )
    )


def subject_access_export(store: Store, reference: str) -> dict[str, Any]:
    """All records about the young person with ``reference``, including who accessed them.

    The export itself is audited. Raises NotFound for an unknown reference.
    """
    with store.unit_of_work() as uow:
        session = uow.session
        person = require_young_person(session, reference)
        pid = person.id
        team = session.get(Team, person.team_id) if person.team_id else None
        worker = session.get(Staff, person.keyworker_id) if person.keyworker_id else None
        contacts = _records(session, Contact, pid, Contact.occurred_at)
        addenda: dict[str, list[dict[str, Any]]] = {}
        for addendum in _records(session, Addendum, pid, Addendum.written_at):
            addenda.setdefault(addendum.contact_id, []).append(record_as_dict(addendum))
        scores: dict[str, list[dict[str, Any]]] = {}
        for score in _records(session, GoalScore, pid, GoalScore.scored_on):
            scores.setdefault(score.goal_id, []).append(record_as_dict(score))
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.young_person_id == pid).order_by(AuditEvent.seq)
        )
        body: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "exported_at": utc_now().isoformat(),
            "exported_by": store.user_name,
            "young_person": record_as_dict(person),
            "team": team.name if team else None,
            "keyworker": {"user_name": worker.user_name, "name": worker.display_name}
            if worker
            else None,
            "referrals": [
                record_as_dict(r) for r in _records(session, Referral, pid, Referral.referral_date)
            ],
            "placements": [
                record_as_dict(p) for p in _records(session, Placement, pid, Placement.start_date)
            ],
            "contacts": [{**record_as_dict(c), "addenda": addenda.get(c.id, [])} for c in contacts],
            "missing_episodes": [
                record_as_dict(m)
                for m in _records(session, MissingEpisode, pid, MissingEpisode.went_missing_at)
            ],
            "goals": [
                {**record_as_dict(g), "scores": scores.get(g.id, [])}
                for g in _records(session, Goal, pid, Goal.set_on)
            ],
            "actions": [record_as_dict(a) for a in _records(session, Action, pid, Action.due_on)],
            "chronology_events": [
                record_as_dict(e)
                for e in _records(session, ChronologyEvent, pid, ChronologyEvent.occurred_on)
            ],
            "form_responses": [
                record_as_dict(f)
                for f in _records(session, FormResponse, pid, FormResponse.updated_at)
            ],
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
