"""Sync on the central store: the API's entry points. Push is in push.py (and the laptop's
audit chain in device_audit.py); pull and conflict resolution are here.

Pull pages through the change feed after the device's cursor, showing only what the user may
see, and tells the device which young people it must remove. A conflict is settled with the
value chosen; a proposal on a finalised record is left or added as an addendum, the record
itself never changes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from keyworker_app.domain.ids import new_id
from keyworker_app.server.access import Viewer, sees_record, visible_young_people
from keyworker_app.server.audit_log import audit
from keyworker_app.server.device_audit import device_anchor
from keyworker_app.server.models import (
    Account,
    ChangeEntry,
    Conflict,
    Device,
    Record,
)
from keyworker_app.server.push import push
from keyworker_app.server.records import (
    SHARED_TYPES,
    ReferenceTaken,
    announce_conflict,
    as_change,
    now,
    write_record,
)
from keyworker_app.store.record_schema import (
    SCHEMA,
    words_for,
)
from keyworker_app.sync.merge import added_lines
from keyworker_app.sync.protocol import (
    Change,
    ConflictInfo,
    PullRequest,
    PullResponse,
    as_utc,
)


class SyncRefused(Exception):
    """A request the user may not make; the message says why."""


def _conflict_info(conflict: Conflict) -> ConflictInfo:
    return ConflictInfo(
        id=conflict.id,
        kind=conflict.kind,  # type: ignore[arg-type]
        record_type=conflict.record_type,
        record_id=conflict.record_id,
        young_person_id=conflict.young_person_id,
        field=conflict.field,
        base_value=conflict.base_value,
        kept_value=conflict.kept_value,
        kept_by=conflict.kept_by,
        kept_at=conflict.kept_at,
        other_value=conflict.other_value,
        other_by=conflict.other_by,
        other_at=conflict.other_at,
        status=conflict.status,  # type: ignore[arg-type]
        resolved_by=conflict.resolved_by,
        resolution=conflict.resolution,
    )


def pull(session: Session, account: Account, device: Device, request: PullRequest) -> PullResponse:
    viewer = Viewer(account.user_name, account.role, account.team_id)
    visible = visible_young_people(session, viewer)
    # The page and the records it names in one query, as plain rows: a first sync reads
    # tens of thousands of records and ORM objects for each would cost more than the query.
    rows = session.execute(
        select(
            ChangeEntry.seq,
            ChangeEntry.kind,
            ChangeEntry.record_type,
            ChangeEntry.record_id,
            Record.young_person_id,
            Record.team_id,
            Record.version,
            Record.deleted,
            Record.data,
            Record.updated_at,
            Record.updated_by,
        )
        .outerjoin(
            Record,
            and_(
                Record.record_type == ChangeEntry.record_type,
                Record.record_id == ChangeEntry.record_id,
            ),
        )
        .where(ChangeEntry.seq > request.cursor)
        .order_by(ChangeEntry.seq)
        .limit(request.limit + 1)
    ).all()
    more = len(rows) > request.limit
    rows = rows[: request.limit]
    # The newest change number, for the laptop's progress bar (an index lookup, not a count).
    latest = session.scalar(select(func.max(ChangeEntry.seq))) or 0
    changes: dict[tuple[str, str], Change] = {}
    conflicts: dict[str, ConflictInfo] = {}
    conflict_ids = [row.record_id for row in rows if row.kind == "conflict"]
    found = (
        {c.id: c for c in session.scalars(select(Conflict).where(Conflict.id.in_(conflict_ids)))}
        if conflict_ids
        else {}
    )
    for row in rows:
        if row.kind == "conflict":
            conflict = found.get(row.record_id)
            if conflict is not None and sees_record(
                viewer, visible, conflict.record_type, conflict.young_person_id, conflict.team_id
            ):
                conflicts[conflict.id] = _conflict_info(conflict)
            continue
        if row.version is None:
            continue
        if sees_record(viewer, visible, row.record_type, row.young_person_id, row.team_id):
            # Straight from the store's own rows, so no validation is needed.
            changes[(row.record_type, row.record_id)] = Change.model_construct(
                record_type=row.record_type,
                record_id=row.record_id,
                version=row.version,
                deleted=row.deleted,
                data=row.data,
                updated_at=as_utc(row.updated_at) if row.updated_at else None,
                updated_by=row.updated_by,
            )
    removed: list[str] = []
    if request.held is not None:
        held = set(request.held)
        removed = sorted(held - visible)
        if request.cursor > 0:
            # Young people newly visible (a restriction lifted, a move into the team): send
            # their whole record, since their earlier changes were before this cursor.
            for record in session.scalars(
                select(Record).where(Record.young_person_id.in_(visible - held))
            ):
                changes[(record.record_type, record.record_id)] = as_change(record)
            for conflict in session.scalars(
                select(Conflict).where(Conflict.young_person_id.in_(visible - held))
            ):
                conflicts[conflict.id] = _conflict_info(conflict)
    cursor = rows[-1].seq if rows else request.cursor
    device.last_sync_at = now()
    audit(
        session,
        account.user_name,
        "pull",
        device.id,
        records=len(changes),
        conflicts=len(conflicts),
        removed=len(removed),
    )
    return PullResponse(
        changes=list(changes.values()),
        conflicts=list(conflicts.values()),
        removed=removed,
        cursor=cursor,
        more=more,
        latest=max(latest, cursor),
    )


def resolve(
    session: Session, account: Account, device: Device, conflict_id: str, value: Any, how: str
) -> ConflictInfo:
    """Settle a conflict with the value chosen; the record changes only if the value differs.
    A finalised record never changes: a proposal on it is kept as it is ("kept") or added as an
    addendum written by the person resolving it."""
    conflict = session.get(Conflict, conflict_id)
    viewer = Viewer(account.user_name, account.role, account.team_id)
    if conflict is None or not sees_record(
        viewer,
        visible_young_people(session, viewer),
        conflict.record_type,
        conflict.young_person_id,
        conflict.team_id,
    ):
        raise SyncRefused("There is no such conflict for you to resolve.")
    if conflict.status != "open":
        raise SyncRefused("This conflict has already been resolved.")
    record = session.get(Record, (conflict.record_type, conflict.record_id))
    if record is None:
        raise SyncRefused("The record this conflict is about is no longer on the central store.")
    final = record.data.get("status") == "final" and SCHEMA[record.record_type].finalisable
    if how == "addendum":
        if record.record_type != "contact" or not final:
            raise SyncRefused(
                "Only a change to a finalised contact can be added as an addendum; keep one "
                "of the values instead."
            )
        chosen = record.data.get(conflict.field)
        _addendum_from(session, account, device, record, conflict)
    else:
        chosen = {"kept": conflict.kept_value, "other": conflict.other_value}.get(how, value)
        if record.data.get(conflict.field) != chosen:
            if final:
                raise SyncRefused(
                    "This record is finalised and does not change: keep it as it is, or add "
                    "the other text as an addendum."
                )
            try:
                write_record(
                    session,
                    record.record_type,
                    record.record_id,
                    {**record.data, conflict.field: chosen},
                    actor=account.user_name,
                    device_id=device.id,
                )
            except ReferenceTaken:
                raise SyncRefused(
                    "Another young person already has that reference; choose another."
                ) from None
    conflict.status = "resolved"
    conflict.resolved_by = account.user_name
    conflict.resolution = chosen
    announce_conflict(session, conflict)
    audit(session, account.user_name, "resolve_conflict", device.id, conflict=conflict.id, how=how)
    return _conflict_info(conflict)


def _addendum_from(
    session: Session, account: Account, device: Device, record: Record, conflict: Conflict
) -> None:
    write_record(
        session,
        "addendum",
        new_id(),
        {
            "contact_id": record.record_id,
            "young_person_id": record.young_person_id,
            "written_at": now().isoformat(),
            "author": account.user_name,
            "text": proposal_text(conflict),
            "deleted": False,
        },
        actor=account.user_name,
        device_id=device.id,
    )


def proposal_text(conflict: Conflict) -> str:
    """An addendum's words for a change that arrived after the contact was finalised: what was
    proposed (only the lines it added, for long text), by whom and when."""
    proposed, final = conflict.other_value, conflict.kept_value
    when = as_utc(conflict.other_at).strftime("%d %b %Y %H:%M UTC")
    head = (
        f"Change to the {words_for(conflict.field)} proposed by {conflict.other_by} on {when}, "
        "after the contact was finalised:"
    )
    if isinstance(proposed, str) and isinstance(final, str):
        new_lines = added_lines(final, proposed)
        body = "\n".join(new_lines) if new_lines else proposed
    elif isinstance(proposed, list):
        body = ", ".join(str(item) for item in proposed) or "(none)"
    else:
        body = "(empty)" if proposed in (None, "") else str(proposed)
    return f"{head}\n{body}"


__all__ = ["SHARED_TYPES", "SyncRefused", "device_anchor", "pull", "push", "resolve"]
