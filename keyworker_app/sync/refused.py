"""Changes the central store did not accept: kept on the laptop, shown with the reason, and dealt
with by someone (corrected and sent again, exported, or let go). Nothing refused is lost.

A refused change is taken out of the outbox and kept here with its patch, the central store's
reason and a code for the way out (``duplicate_reference``: rename or merge; ``clock``:
correct the time). Resending puts it back in the outbox as a new operation: the central store
remembers its answer to the old one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from keyworker_app.atomic import write_atomically
from keyworker_app.domain.dates import utc_now
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.engine import StoreError
from keyworker_app.store.models import (
    RECORD_TYPES,
    RefusedChange,
    Syncable,
    YoungPerson,
    table_of,
)
from keyworker_app.store.record_schema import problem_in_patch, rules_for
from keyworker_app.store.serialise import content_fields, from_json_value, record_as_dict
from keyworker_app.sync.protocol import OpResult, PushOp

KINDS = {
    "young_person": "young person",
    "contact": "contact",
    "addendum": "addendum",
    "form_response": "form",
    "chronology_event": "chronology event",
    "missing_episode": "missing episode",
    "goal_score": "goal score",
}
# What the user can do about a refusal with this code, in words.
WAY_OUT = {
    "duplicate_reference": "give this young person another reference and send it again "
    "(keyworker refused resend N --set reference=NEW), or ask the central store's "
    "administrator to merge the two records",
    "clock": "set this laptop's date and time, then correct the time and send it again "
    "(keyworker refused resend N --set occurred_at=...)",
}


class RefusedError(StoreError):
    """The refused change cannot be dealt with as asked; the message says why."""


@dataclass(frozen=True)
class RefusedItem:
    number: int
    record_type: str
    record_id: str
    young_person_id: str | None
    reference: str | None  # the young person's reference, when they are on this laptop
    operation: str
    fields: list[str]
    reason: str
    code: str | None
    refused_at: datetime

    @property
    def what(self) -> str:
        kind = KINDS.get(self.record_type, self.record_type.replace("_", " "))
        verb = {"insert": "new", "delete": "deletion of"}.get(self.operation, "change to")
        about = f" for {self.reference}" if self.reference else ""
        return f"{verb} {kind}{about}"

    @property
    def way_out(self) -> str:
        return WAY_OUT.get(
            self.code or "",
            "correct what the reason names and send it again, export it, or discard it",
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "record_type": self.record_type,
            "record_id": self.record_id,
            "young_person": self.reference,
            "operation": self.operation,
            "fields": self.fields,
            "reason": self.reason,
            "code": self.code,
            "refused_at": self.refused_at.isoformat(),
            "what": self.what,
        }


def keep_refused(session: Any, op: PushOp, result: OpResult) -> None:
    """Keep a refused operation (called in the transaction that takes it out of the outbox)."""
    young_person_id = op.record_id if op.record_type == "young_person" else None
    if young_person_id is None:
        value = op.patch.get("young_person_id")
        young_person_id = value if isinstance(value, str) else _owner_here(session, op)
    session.add(
        RefusedChange(
            op_id=op.op_id,
            record_type=op.record_type,
            record_id=op.record_id,
            young_person_id=young_person_id,
            operation=op.operation,
            base_version=op.base_version,
            patch=op.patch,
            reason=result.reason or "the central store gave no reason",
            code=result.code,
            refused_at=utc_now(),
        )
    )


def _owner_here(session: Any, op: PushOp) -> str | None:
    model = RECORD_TYPES.get(op.record_type)
    table = table_of(model) if model is not None else None
    if table is None or "young_person_id" not in table.c:
        return None
    found: str | None = session.scalar(
        select(table.c.young_person_id).where(table.c.id == op.record_id)
    )
    return found


def refused_changes(store: Store) -> list[RefusedItem]:
    """Every change waiting for someone to deal with it, oldest first."""
    with store.reading() as session:
        references = dict(session.execute(select(YoungPerson.id, YoungPerson.reference)).all())
        return [
            RefusedItem(
                number=row.seq,
                record_type=row.record_type,
                record_id=row.record_id,
                young_person_id=row.young_person_id,
                reference=references.get(row.young_person_id or ""),
                operation=row.operation,
                fields=sorted(row.patch or {}),
                reason=row.reason,
                code=row.code,
                refused_at=row.refused_at,
            )
            for row in session.scalars(select(RefusedChange).order_by(RefusedChange.seq))
        ]


def _pick(session: Any, numbers: list[int] | None) -> list[RefusedChange]:
    rows = list(session.scalars(select(RefusedChange).order_by(RefusedChange.seq)))
    if numbers is None:
        return rows
    found = {row.seq: row for row in rows}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise RefusedError(
            f"There is no refused change number {missing[0]}; see `keyworker refused`."
        )
    return [found[n] for n in numbers]


def parse_corrections(record_type: str, assignments: dict[str, str]) -> dict[str, Any]:
    """FIELD=VALUE texts as the values a patch carries, checked against the record's schema."""
    rules = rules_for(record_type)
    if rules is None:
        raise RefusedError(f"Records of the kind {record_type} cannot be corrected here.")
    values: dict[str, Any] = {}
    for name, text in assignments.items():
        rule = rules.fields.get(name)
        fixed = rules.server_set | rules.fixed | {"young_person_id", "team_id", "deleted"}
        if rule is None or name in fixed:
            settable = sorted(n for n in rules.fields if n not in fixed)
            raise RefusedError(
                f"'{name}' cannot be corrected on a {KINDS.get(record_type, record_type)}; "
                f"use one of: {', '.join(settable)}."
            )
        values[name] = _parse(rule.kind, text.strip())
    problem = problem_in_patch(rules, values, insert=False)
    if problem:
        raise RefusedError(problem[0].upper() + problem[1:] + ".")
    return values


def _parse(kind: str, text: str) -> Any:
    if text == "":
        return None
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise RefusedError(f"'{text}' is not a whole number.") from None
    if kind == "boolean":
        if text.lower() in ("yes", "true", "1", "y"):
            return True
        if text.lower() in ("no", "false", "0", "n"):
            return False
        raise RefusedError(f"'{text}' is not yes or no.")
    if kind == "moment":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise RefusedError(
                f"'{text}' is not a date and time; write it like 2026-12-01T14:30."
            ) from None
        if moment.tzinfo is None:
            moment = moment.astimezone()  # the laptop's own time zone, as the user meant it
        return moment.astimezone(UTC).isoformat()
    if kind == "day":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise RefusedError(f"'{text}' is not a date; write it like 2026-12-01.") from None
    return text


def resend(
    store: Store, numbers: list[int] | None, corrections: dict[str, str] | None = None
) -> int:
    """Put refused changes back in the outbox (all when ``numbers`` is None), with corrections
    made first; a young person's refused arrival takes the refused changes to their records
    along. Returns how many will be sent at the next sync."""
    with store.unit_of_work() as uow:
        session = uow.session
        picked = _pick(session, numbers)
        if corrections and len(picked) != 1:
            raise RefusedError("Correct one refused change at a time: give its number.")
        corrected = {row.seq for row in picked} if corrections else set()
        chosen = {row.seq for row in picked}
        for row in list(picked):
            if row.record_type == "young_person" and row.operation == "insert":
                along = [
                    other
                    for other in _pick(session, None)
                    if other.young_person_id == row.record_id and other.seq not in chosen
                ]
                picked += along
                chosen |= {other.seq for other in along}
        for row in sorted(picked, key=lambda r: r.seq):
            _resend_one(uow, row, (corrections or {}) if row.seq in corrected else {})
            session.delete(row)
        uow.audit("resend_refused", detail={"changes": len(picked)})
        uow.mark_changed()
        uow.commit()
        return len(picked)


def _resend_one(uow: Any, row: RefusedChange, corrections: dict[str, str]) -> None:
    model = RECORD_TYPES.get(row.record_type)
    record: Syncable | None = uow.session.get(model, row.record_id) if model else None
    if model is None or record is None:
        raise RefusedError(
            f"Change {row.seq} is about a record no longer on this laptop; export it with "
            "`keyworker refused export FILE` instead."
        )
    values = parse_corrections(row.record_type, corrections) if corrections else {}
    if row.operation == "insert":
        # Never accepted anywhere, so its author may still correct it, even if finalised here.
        uow.allow_correction(record)
        uow.send_again(record)
        for name, value in values.items():
            setattr(record, name, from_json_value(model, name, value))
        return
    fields = set(content_fields(model))
    patch = {k: v for k, v in {**row.patch, **values}.items() if k in fields}
    version = record.version
    for name, value in patch.items():
        setattr(record, name, from_json_value(model, name, value))
    uow.session.flush()  # the change goes through the record's own rules (finalised or not)
    if record.version == version:  # the values stood here already: send them as they are
        uow.send_again(record, patch)


def discard(store: Store, numbers: list[int]) -> int:
    """Let refused changes go (after exporting them, if they matter): audited."""
    with store.unit_of_work() as uow:
        picked = _pick(uow.session, numbers)
        for row in picked:
            uow.audit(
                "discard_refused",
                young_person_id=row.young_person_id,
                detail={"record_type": row.record_type, "record_id": row.record_id},
            )
            uow.session.delete(row)
        uow.mark_changed()
        uow.commit()
        return len(picked)


def export_refused(store: Store, path: Path) -> int:
    """Write every refused change, with its record as this laptop holds it, to ``path`` as JSON
    (not encrypted: the caller warns). Audited."""
    items = refused_changes(store)
    with store.reading() as session:
        body = []
        for item in items:
            row = session.scalars(
                select(RefusedChange).where(RefusedChange.seq == item.number)
            ).one()
            model = RECORD_TYPES.get(item.record_type)
            record = session.get(model, item.record_id) if model else None
            body.append(
                {
                    **item.as_dict(),
                    "sent": row.patch,
                    "record": record_as_dict(record) if record is not None else None,
                }
            )
    data = json.dumps(
        {"refused_changes": body, "exported_at": utc_now().isoformat()},
        ensure_ascii=False,
        indent=2,
    )
    write_atomically(path, data.encode("utf-8"), mode=0o600)
    with store.unit_of_work() as uow:
        uow.audit("export_refused", detail={"changes": len(body)})
        uow.commit()
    return len(body)
