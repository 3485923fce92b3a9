"""Two records of one young person, made into one on the central store (`keyworker-server
merge KEEP DUPLICATE`): every record of the duplicate moves to the one kept, the duplicate is
closed (tombstoned) and its reference freed. Laptops follow at their next sync.

Only the central store moves records between young people; a laptop's push never can.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.server.access import allowed_for
from keyworker_app.server.audit_log import audit
from keyworker_app.server.models import Conflict, Record
from keyworker_app.server.records import announce_conflict, write_record


class MergeRefused(Exception):
    """The two records cannot be merged as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Merged:
    kept: str
    duplicate: str
    moved: int


def _by_reference(session: Session, reference: str) -> Record:
    for record in session.scalars(
        select(Record).where(Record.record_type == "young_person", Record.deleted.is_(False))
    ):
        if record.data.get("reference") == reference:
            return record
    raise MergeRefused(f"No young person has the reference {reference}.")


def merge_young_people(
    session: Session, keep: str, duplicate: str, *, actor: str = "admin"
) -> Merged:
    """Move every record of ``duplicate`` to ``keep`` (references) and close the duplicate."""
    kept, other = _by_reference(session, keep), _by_reference(session, duplicate)
    if kept.record_id == other.record_id:
        raise MergeRefused("Give two different young people to merge.")
    if kept.team_id != other.team_id:
        raise MergeRefused(
            f"{keep} and {duplicate} belong to different teams; a case moves to another team "
            "first, then they can be merged."
        )
    if allowed_for(session, kept.record_id) != allowed_for(session, other.record_id):
        raise MergeRefused(
            f"{keep} and {duplicate} are not seen by the same people; restrict them the same "
            "way first (keyworker-server restrict), so merging shows nobody anything new."
        )
    moved = 0
    for record in list(
        session.scalars(
            select(Record)
            .where(Record.young_person_id == other.record_id, Record.record_type != "young_person")
            .order_by(Record.record_type, Record.record_id)
        )
    ):
        write_record(
            session,
            record.record_type,
            record.record_id,
            {**record.data, "young_person_id": kept.record_id},
            actor=actor,
        )
        moved += 1
    for conflict in session.scalars(
        select(Conflict).where(Conflict.young_person_id == other.record_id)
    ):
        conflict.young_person_id = kept.record_id
        announce_conflict(session, conflict)
    write_record(
        session, "young_person", other.record_id, {**other.data, "deleted": True}, actor=actor
    )
    audit(
        session,
        actor,
        "merge_young_people",
        kept=kept.record_id,
        duplicate=other.record_id,
        moved=moved,
    )
    return Merged(keep, duplicate, moved)
