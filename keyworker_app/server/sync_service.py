"""Push, pull and conflict resolution on the central store.

Push applies each operation once (deduplicated by op id), after checking the user may touch the
record, merging field by field against the version the device started from. Pull pages through
the change feed after the device's cursor, showing only what the user may see, and tells the
device which young people it must remove.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from keyworker_app.domain.ids import new_id
from keyworker_app.server.access import CASE_ROLES, Viewer, visible_young_people
from keyworker_app.server.accounts import audit
from keyworker_app.server.database import queue_change
from keyworker_app.server.models import (
    Account,
    AppliedOp,
    ChangeEntry,
    Conflict,
    Device,
    DeviceAudit,
    Record,
    RecordVersion,
)
from keyworker_app.server.records import (
    SHARED_TYPES,
    changed_by_others,
    forget_prefetch,
    get_record,
    now,
    prefetch_records,
    version_data,
    write_record,
)
from keyworker_app.store.models import RECORD_TYPES
from keyworker_app.sync.merge import APPEND_ONLY, merge_fields
from keyworker_app.sync.protocol import (
    Change,
    ConflictInfo,
    OpResult,
    PullRequest,
    PullResponse,
    PushOp,
    PushRequest,
    PushResponse,
    as_utc,
)

BOOKKEEPING = frozenset({"id", "version", "updated_at", "updated_by", "device_id"})


class SyncRefused(Exception):
    """A request the user may not make; the message says why."""


def _reject(op: PushOp, reason: str) -> OpResult:
    return OpResult(op_id=op.op_id, status="rejected", reason=reason)


def _owner_young_person(session: Session, op: PushOp) -> str | None:
    if op.record_type == "young_person":
        return op.record_id
    existing = get_record(session, op.record_type, op.record_id)
    if existing is not None:
        return existing.young_person_id
    value = op.patch.get("young_person_id")
    return value if isinstance(value, str) else None


def _may_write(session: Session, viewer: Viewer, op: PushOp, visible: set[str]) -> str | None:
    """None when allowed, else the reason for refusing."""
    if viewer.role not in CASE_ROLES:
        return "administrators do not write case records"
    if op.record_type not in RECORD_TYPES:
        return f"unknown record type {op.record_type}"
    if op.record_type in ("team", "staff"):
        return "teams and workers are managed on the central store"
    if op.record_type == "form_template":
        return None
    young_person_id = _owner_young_person(session, op)
    if (
        op.record_type == "young_person"
        and get_record(session, "young_person", op.record_id) is None
    ):
        team = op.patch.get("team_id")
        return None if team == viewer.team_id else "a new young person must belong to your team"
    if young_person_id is None:
        return "the record belongs to no young person"
    if young_person_id not in visible:
        return "you may not see this young person"
    return None


def _conflict(
    session: Session, record: Record, clash: Any, user_name: str, kept: tuple[str, Any]
) -> Conflict:
    moment = now()
    conflict = Conflict(
        id=new_id(),
        record_type=record.record_type,
        record_id=record.record_id,
        young_person_id=record.young_person_id,
        team_id=record.team_id,
        field=clash.field,
        base_value=clash.base,
        kept_value=clash.kept,
        kept_by=kept[0],
        kept_at=kept[1],
        other_value=clash.other,
        other_by=user_name,
        other_at=moment,
        status="open",
    )
    session.add(conflict)
    queue_change(
        session,
        ChangeEntry(
            kind="conflict",
            record_type=record.record_type,
            record_id=conflict.id,
            young_person_id=record.young_person_id,
            team_id=record.team_id,
        ),
    )
    return conflict


def _apply(session: Session, account: Account, device: Device, op: PushOp) -> OpResult:
    # get_record: a record the push prefetch found absent costs no query (and no autoflush).
    record = get_record(session, op.record_type, op.record_id)
    patch = {k: v for k, v in op.patch.items() if k not in BOOKKEEPING}
    if op.record_type == "form_template":
        same = [
            r
            for r in session.scalars(select(Record).where(Record.record_type == "form_template"))
            if r.data.get("template_id") == patch.get("template_id")
            and r.data.get("template_version") == patch.get("template_version")
        ]
        if same:  # one copy of each template version is enough
            return OpResult(op_id=op.op_id, status="accepted", version=same[0].version)
    if record is None:
        if op.operation != "insert":
            return _reject(op, "the record is not on the central store")
        written = write_record(
            session,
            op.record_type,
            op.record_id,
            patch,
            actor=account.user_name,
            device_id=device.id,
        )
        return OpResult(op_id=op.op_id, status="accepted", version=written.version)
    base_version = min(op.base_version, record.version)
    if op.operation == "insert":
        # Already here: the insert was applied before but its answer was lost. If the laptop
        # changed the record since, this op is that insert squashed with the changes (a new op
        # id); merge them as an update on the version the insert made rather than dropping
        # them, which lost a draft's later edit on the store and then on the laptop (found by
        # tests/drills/test_sync_faults.py). Fields as inserted are not changes.
        inserted = version_data(session, op.record_type, op.record_id, 1)
        patch = {k: v for k, v in patch.items() if k not in inserted or inserted[k] != v}
        if not patch:
            return OpResult(op_id=op.op_id, status="accepted", version=record.version)
        base_version = 1
    if op.record_type in APPEND_ONLY:
        return _reject(op, "this kind of record is never changed once saved")
    base = version_data(session, op.record_type, op.record_id, base_version) or record.data
    others = changed_by_others(session, op.record_type, op.record_id, base_version, device.id)
    # A field only this device changed since its base takes the new value outright.
    base = {**base, **{k: record.data.get(k) for k in patch if k not in others}}
    merged = merge_fields(base, record.data, patch)
    version = record.version
    # Who wrote the value that stands, before this merge changes updated_by.
    kept = (record.updated_by, record.updated_at)
    if merged.values:
        version = write_record(
            session,
            op.record_type,
            op.record_id,
            {**record.data, **merged.values},
            actor=account.user_name,
            device_id=device.id,
        ).version
    conflicts = [
        _conflict(
            session,
            record,
            clash,
            account.user_name,
            (_writer_of(session, record, clash.field, base_version, kept[0]), kept[1]),
        )
        for clash in merged.clashes
    ]
    return OpResult(
        op_id=op.op_id,
        status="conflict" if conflicts else "accepted",
        version=version,
        conflict_ids=[c.id for c in conflicts],
    )


def _writer_of(session: Session, record: Record, field: str, since: int, last: str) -> str:
    """Who wrote the value ``field`` has now: the user of the device that last changed it, not
    whoever wrote the record last (``last``). A push retried after its answer was lost makes
    the device the record's last writer, and a clash with someone else's earlier change to
    another field was then shown as between that worker and themself (found by
    tests/drills/test_sync_faults.py). Versions keep no time: kept_at stays the record's."""
    versions = list(
        session.scalars(
            select(RecordVersion)
            .where(
                RecordVersion.record_type == record.record_type,
                RecordVersion.record_id == record.record_id,
                RecordVersion.version >= since,
            )
            .order_by(RecordVersion.version)
        )
    )
    for before, after in reversed(list(pairwise(versions))):
        if before.data.get(field) != after.data.get(field):
            device = session.get(Device, after.device_id) if after.device_id else None
            return device.user_name if device is not None else last
    return last


def push(session: Session, account: Account, device: Device, request: PushRequest) -> PushResponse:
    viewer = Viewer(account.user_name, account.role, account.team_id)
    visible = visible_young_people(session, viewer)
    results: list[OpResult] = []
    counts = {"accepted": 0, "conflict": 0, "rejected": 0, "repeated": 0}
    # Everything the request touches is read in a few queries up front.
    op_ids = [op.op_id for op in request.ops]
    applied = {
        a.op_id: a
        for start in range(0, len(op_ids), 500)
        for a in session.scalars(
            select(AppliedOp).where(AppliedOp.op_id.in_(op_ids[start : start + 500]))
        )
    }
    wanted = {(op.record_type, op.record_id) for op in request.ops}
    wanted |= {
        ("young_person", op.patch["young_person_id"])
        for op in request.ops
        if isinstance(op.patch.get("young_person_id"), str)
    }
    prefetch_records(session, wanted, lock=True)
    try:
        _push_ops(session, account, device, request, visible, applied, counts, results)
    finally:
        forget_prefetch(session)
    seqs = [event.seq for event in request.audit]
    known = {
        seq
        for start in range(0, len(seqs), 500)
        for seq in session.scalars(
            select(DeviceAudit.seq).where(
                DeviceAudit.device_id == device.id, DeviceAudit.seq.in_(seqs[start : start + 500])
            )
        )
    }
    for event in request.audit:
        if event.seq not in known:
            known.add(event.seq)
            session.add(
                DeviceAudit(device_id=device.id, seq=event.seq, event=event.model_dump(mode="json"))
            )
    device.pending = request.pending
    device.last_sync_at = now()
    audit(session, account.user_name, "push", device.id, **counts, audit_events=len(request.audit))
    return PushResponse(results=results)


def _push_ops(
    session: Session,
    account: Account,
    device: Device,
    request: PushRequest,
    visible: set[str],
    applied: dict[str, AppliedOp],
    counts: dict[str, int],
    results: list[OpResult],
) -> None:
    viewer = Viewer(account.user_name, account.role, account.team_id)
    for op in request.ops:
        done = applied.get(op.op_id)
        if done is not None:
            counts["repeated"] += 1
            results.append(
                OpResult(
                    op_id=op.op_id,
                    status=done.status,
                    version=done.version,
                    reason=done.reason,
                    conflict_ids=list(done.conflict_ids or []),
                )  # type: ignore[arg-type]
            )
            continue
        reason = _may_write(session, viewer, op, visible)
        result = _reject(op, reason) if reason else _apply(session, account, device, op)
        if result.status == "rejected":
            audit(
                session,
                account.user_name,
                "push_rejected",
                device.id,
                record_type=op.record_type,
                record_id=op.record_id,
                reason=result.reason,
            )
        elif op.record_type == "young_person" and op.operation == "insert":
            visible.add(op.record_id)
        counts[result.status] += 1
        applied[op.op_id] = AppliedOp(
            op_id=op.op_id,
            user_name=account.user_name,
            status=result.status,
            version=result.version,
            reason=result.reason,
            conflict_ids=result.conflict_ids,
        )
        session.add(applied[op.op_id])
        results.append(result)


def _conflict_info(conflict: Conflict) -> ConflictInfo:
    return ConflictInfo(
        id=conflict.id,
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


def _change(record: Record) -> Change:
    return Change(
        record_type=record.record_type,
        record_id=record.record_id,
        version=record.version,
        deleted=record.deleted,
        data=record.data,
        updated_at=record.updated_at,
        updated_by=record.updated_by,
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
    shared = viewer.role in CASE_ROLES  # teams, staff, templates: every case worker sees them
    for row in rows:
        if row.kind == "conflict":
            conflict = found.get(row.record_id)
            if conflict is not None and conflict.young_person_id in visible:
                conflicts[conflict.id] = _conflict_info(conflict)
            continue
        if row.version is None:
            continue
        if row.young_person_id in visible if row.young_person_id is not None else shared:
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
                changes[(record.record_type, record.record_id)] = _change(record)
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
    """Settle a conflict with the value chosen; the record changes only if the value differs."""
    conflict = session.get(Conflict, conflict_id)
    viewer = Viewer(account.user_name, account.role, account.team_id)
    if conflict is None or conflict.young_person_id not in visible_young_people(session, viewer):
        raise SyncRefused("There is no such conflict for you to resolve.")
    if conflict.status != "open":
        raise SyncRefused("This conflict has already been resolved.")
    record = session.get(Record, (conflict.record_type, conflict.record_id))
    if record is None:
        raise SyncRefused("The record this conflict is about is no longer on the central store.")
    chosen = {"kept": conflict.kept_value, "other": conflict.other_value}.get(how, value)
    if record.data.get(conflict.field) != chosen:
        write_record(
            session,
            record.record_type,
            record.record_id,
            {**record.data, conflict.field: chosen},
            actor=account.user_name,
            device_id=device.id,
        )
    conflict.status = "resolved"
    conflict.resolved_by = account.user_name
    conflict.resolution = chosen
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
    audit(session, account.user_name, "resolve_conflict", device.id, conflict=conflict.id, how=how)
    return _conflict_info(conflict)


__all__ = ["SHARED_TYPES", "SyncRefused", "pull", "push", "resolve"]
