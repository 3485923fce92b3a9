"""Writing records in the central store: every change gets a new version, a copy of that version
(the base for later merges) and an entry in the change feed, in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from keyworker_app.server.database import queue_change
from keyworker_app.server.models import ChangeEntry, Conflict, Record, RecordVersion
from keyworker_app.sync.protocol import Change

# Records that belong to no young person and are visible to everyone signed in.
SHARED_TYPES = frozenset({"team", "staff", "form_template"})


def now() -> datetime:
    return datetime.now(UTC)


ABSENT = "records_known_absent"


def prefetch_records(session: Session, keys: set[tuple[str, str]], *, lock: bool = False) -> None:
    """Load these records into the session at once and remember which do not exist, so a push
    of a thousand operations asks the database a few times instead of thousands. ``lock`` takes
    their row locks (in key order, so two pushes cannot deadlock) for a read-merge-write: two
    laptops changing one record wait for each other, laptops changing different ones do not."""
    keys = set(keys)
    found: set[tuple[str, str]] = set()
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        query = (
            select(Record)
            .where(tuple_(Record.record_type, Record.record_id).in_(chunk))
            .order_by(Record.record_type, Record.record_id)
        )
        for record in session.scalars(query.with_for_update() if lock else query):
            found.add((record.record_type, record.record_id))
    session.info[ABSENT] = keys - found


def forget_prefetch(session: Session) -> None:
    session.info.pop(ABSENT, None)


def get_record(session: Session, record_type: str, record_id: str) -> Record | None:
    if (record_type, record_id) in session.info.get(ABSENT, ()):
        return None
    return session.get(Record, (record_type, record_id))


def scope_of(
    session: Session, record_type: str, data: dict[str, Any]
) -> tuple[str | None, str | None]:
    """(young person id, team id) that decide who may see a record."""
    if record_type == "young_person":
        return data.get("id"), data.get("team_id")
    if record_type in SHARED_TYPES:
        return None, data.get("team_id") if record_type == "staff" else None
    young_person_id = data.get("young_person_id")
    if young_person_id is None:
        return None, data.get("team_id")
    person = get_record(session, "young_person", young_person_id)
    return young_person_id, person.team_id if person is not None else None


def write_record(
    session: Session,
    record_type: str,
    record_id: str,
    data: dict[str, Any],
    *,
    actor: str,
    device_id: str | None = None,
) -> Record:
    """Create or replace the record's content; returns it with its new version. A young
    person's reference is claimed first: ReferenceTaken (and nothing written) when another young
    person holds it."""
    data = {**data, "id": record_id}
    record = get_record(session, record_type, record_id)
    if record_type == "young_person":
        _claim_reference(session, record, record_id, data)
    young_person_id, team_id = scope_of(session, record_type, data)
    moment = now()
    if record is None:
        record = Record(record_type=record_type, record_id=record_id, version=0, data={})
        session.add(record)
        session.info.get(ABSENT, set()).discard((record_type, record_id))
    record.version += 1
    record.data = data
    record.deleted = bool(data.get("deleted", False))
    record.young_person_id = young_person_id
    record.team_id = team_id
    record.updated_at = moment
    record.updated_by = actor
    record.device_id = device_id
    session.add(
        RecordVersion(
            record_type=record_type,
            record_id=record_id,
            version=record.version,
            data=data,
            device_id=device_id,
        )
    )
    queue_change(
        session,
        ChangeEntry(
            kind="record",
            record_type=record_type,
            record_id=record_id,
            young_person_id=young_person_id,
            team_id=team_id,
        ),
    )
    if record_type == "young_person":
        _follow_team_move(session, record_id, team_id)
    # No flush here: a push of a thousand new records is then inserted in a few batches at
    # commit (or at the next query that needs them, by autoflush) instead of row by row.
    return record


class ReferenceTaken(Exception):
    """Another young person on the central store holds this reference."""


def _claim_reference(
    session: Session, record: Record | None, record_id: str, data: dict[str, Any]
) -> None:
    from keyworker_app.server import reference_claims

    old = record.data.get("reference") if record is not None else None
    new = data.get("reference")
    if not isinstance(new, str) or (old == new and not data.get("deleted")):
        return
    if data.get("deleted"):  # a tombstoned young person lets their reference go
        reference_claims.release(session, new, record_id)
        return
    if reference_claims.claim(session, new, record_id) is not None:
        raise ReferenceTaken(new)
    if isinstance(old, str) and reference_claims.reference_key(old) != (
        reference_claims.reference_key(new)
    ):
        reference_claims.release(session, old, record_id)


def announce_conflict(session: Session, conflict: Conflict) -> None:
    """Put a conflict (new, moved or settled) in the change feed for those who see it."""
    queue_change(
        session,
        ChangeEntry(
            kind="conflict",
            record_type=conflict.record_type,
            record_id=conflict.id,
            young_person_id=conflict.young_person_id,
            team_id=conflict.team_id,
        ),
    )


def _follow_team_move(session: Session, young_person_id: str, team_id: str | None) -> None:
    """A young person moving team takes their records' visibility with them."""
    for child in session.scalars(select(Record).where(Record.young_person_id == young_person_id)):
        if child.record_type != "young_person" and child.team_id != team_id:
            child.team_id = team_id


def version_data(
    session: Session, record_type: str, record_id: str, version: int
) -> dict[str, Any]:
    stored = session.get(RecordVersion, (record_type, record_id, version))
    return dict(stored.data) if stored is not None else {}


def changed_by_others(
    session: Session, record_type: str, record_id: str, base_version: int, device_id: str
) -> set[str]:
    """Fields changed after ``base_version`` by anyone but ``device_id``. A device's own earlier
    changes (say, a push whose answer was lost, sent again with later edits) are not a clash."""
    versions = list(
        session.scalars(
            select(RecordVersion)
            .where(
                RecordVersion.record_type == record_type,
                RecordVersion.record_id == record_id,
                RecordVersion.version >= base_version,
            )
            .order_by(RecordVersion.version)
        )
    )
    changed: set[str] = set()
    for before, after in pairwise(versions):
        if after.device_id != device_id:
            changed |= {
                name
                for name in before.data.keys() | after.data.keys()
                if before.data.get(name) != after.data.get(name)
            }
    return changed


def as_change(record: Record) -> Change:
    return Change(
        record_type=record.record_type,
        record_id=record.record_id,
        version=record.version,
        deleted=record.deleted,
        data=record.data,
        updated_at=record.updated_at,
        updated_by=record.updated_by,
    )
