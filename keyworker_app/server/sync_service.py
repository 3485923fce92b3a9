"""Push, pull and conflict resolution on the central store.

Push applies each operation once (deduplicated by op id), after checking the user may touch the
record, merging field by field against the version the device started from. Pull pages through
the change feed after the device's cursor, showing only what the user may see, and tells the
device which young people it must remove.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from keyworker_app.domain.ids import new_id
from keyworker_app.security.audit_chain import GENESIS, AuditLink, link_hash
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
from keyworker_app.server.push_checks import (
    PushPolicy,
    Refused,
    check_clock,
    check_fixed,
    check_references,
    check_shape,
    check_template,
    content_of,
    owner_for_insert,
)
from keyworker_app.server.records import (
    SHARED_TYPES,
    ReferenceTaken,
    changed_by_others,
    forget_prefetch,
    get_record,
    now,
    prefetch_records,
    version_data,
    write_record,
)
from keyworker_app.store.record_schema import (
    SCHEMA,
    RecordRules,
    owner_fields,
    rules_for,
    words_for,
)
from keyworker_app.sync.merge import FieldClash, added_lines, merge_fields
from keyworker_app.sync.protocol import (
    AuditAnchor,
    Change,
    ConflictInfo,
    DeviceAuditEvent,
    OpResult,
    PullRequest,
    PullResponse,
    PushOp,
    PushRequest,
    PushResponse,
    as_utc,
)


class SyncRefused(Exception):
    """A request the user may not make; the message says why."""


def _reject(op: PushOp, refused: Refused) -> OpResult:
    return OpResult(op_id=op.op_id, status="rejected", reason=refused.reason, code=refused.code)


def _conflict(
    session: Session,
    record: Record,
    clash: Any,
    other: tuple[str, datetime],
    kept: tuple[str, Any],
    *,
    kind: str = "clash",
) -> Conflict:
    conflict = Conflict(
        id=new_id(),
        kind=kind,
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
        other_by=other[0],
        other_at=other[1],
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


@dataclass
class _Push:
    """One push request being applied: who, from where, and what they may see."""

    session: Session
    account: Account
    device: Device
    viewer: Viewer
    visible: set[str]
    policy: PushPolicy


def _server_fields_at_insert(
    rules: RecordRules, values: dict[str, Any], user_name: str
) -> dict[str, Any]:
    """Who wrote a new record, and when it was finalised, come from the session and the central
    store's clock, whatever the laptop said."""
    if "author" in rules.server_set:
        values["author"] = user_name
    if rules.finalisable:
        final = values.get("status") == "final"
        values["finalised_at"] = now().isoformat() if final else None
        if "finalised_by" in rules.server_set:
            values["finalised_by"] = user_name if final else None
    return values


def _insert(push: _Push, op: PushOp, rules: RecordRules) -> OpResult:
    session, viewer = push.session, push.viewer
    patch = content_of(op)
    if op.record_type == "form_template":
        published = check_template(session, viewer, push.policy, patch)
        if published is not None:  # one copy of each template version is enough
            return OpResult(op_id=op.op_id, status="accepted", version=published.version)
    values = {**patch, **owner_for_insert(session, viewer, rules, op, push.visible)}
    values = _server_fields_at_insert(rules, values, push.account.user_name)
    check_references(session, rules, values, push.visible)
    check_clock(op.record_type, values)
    written = _write(push, op, values)
    if op.record_type == "young_person":
        push.visible.add(op.record_id)
    return OpResult(op_id=op.op_id, status="accepted", version=written.version)


def _write(push: _Push, op: PushOp, values: dict[str, Any]) -> Record:
    try:
        return write_record(
            push.session,
            op.record_type,
            op.record_id,
            values,
            actor=push.account.user_name,
            device_id=push.device.id,
        )
    except ReferenceTaken as taken:  # raised before anything of the record is written
        raise Refused(
            f"the reference {taken} is already used by another young person on the central "
            "store; give this one another reference, or merge it into the existing record",
            "duplicate_reference",
        ) from None


def _may_change(push: _Push, record: Record) -> None:
    """Changes to an existing record are checked against its owner as stored, never the patch."""
    if record.record_type == "young_person" or record.young_person_id is not None:
        if (record.young_person_id or record.record_id) not in push.visible:
            raise Refused("you may not see this young person")
    elif record.record_type not in SHARED_TYPES and record.team_id != push.viewer.team_id:
        raise Refused("this record belongs to another team")


def _apply(push: _Push, op: PushOp) -> OpResult:
    session = push.session
    # get_record: a record the push prefetch found absent costs no query (and no autoflush).
    record = get_record(session, op.record_type, op.record_id)
    rules = check_shape(push.viewer, op, record)
    if record is None:
        return _insert(push, op, rules)
    _may_change(push, record)
    patch = content_of(op)
    base_version = min(op.base_version, record.version)
    if op.operation == "insert":
        # Already here: the insert was applied before but its answer was lost. If the laptop
        # changed the record since, this op is that insert squashed with the changes (a new op
        # id); merge them as an update on the version the insert made rather than dropping
        # them, which lost a draft's later edit on the store and then on the laptop (found by
        # tests/drills/test_sync_faults.py). Fields as inserted, and the fields the central
        # store set itself at insert, are not changes.
        inserted = version_data(session, op.record_type, op.record_id, 1)
        patch = {
            k: v
            for k, v in patch.items()
            if k not in rules.server_set
            and k not in owner_fields(op.record_type)
            and (k not in inserted or inserted[k] != v)
        }
        if op.record_type == "young_person":
            patch.pop("restricted", None)
        if not patch:
            return OpResult(op_id=op.op_id, status="accepted", version=record.version)
        base_version = 1
    if rules.append_only:
        raise Refused("this kind of record is never changed once saved")
    check_fixed(rules, record, patch)
    patch = {k: v for k, v in patch.items() if k not in rules.server_set}
    check_references(session, rules, {**record.data, **patch}, push.visible, only=set(patch))
    check_clock(op.record_type, patch)
    if rules.finalisable and record.data.get("status") == "final":
        return _propose(push, op, record, patch, base_version)
    if rules.finalisable and patch.get("status") == "final":
        return _finalise(push, op, record, patch, base_version)
    return _merge(push, op, record, patch, base_version)


def _merge(
    push: _Push, op: PushOp, record: Record, patch: dict[str, Any], base_version: int
) -> OpResult:
    session, device = push.session, push.device
    base = version_data(session, op.record_type, op.record_id, base_version) or record.data
    others = changed_by_others(session, op.record_type, op.record_id, base_version, device.id)
    # A field only this device changed since its base takes the new value outright.
    base = {**base, **{k: record.data.get(k) for k in patch if k not in others}}
    merged = merge_fields(base, record.data, patch)
    version = record.version
    # Who wrote the value that stands, before this merge changes updated_by.
    kept = (record.updated_by, record.updated_at)
    if merged.values:
        version = _write(push, op, {**record.data, **merged.values}).version
    conflicts = [
        _conflict(
            session,
            record,
            clash,
            (push.account.user_name, now()),
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


def _propose(
    push: _Push, op: PushOp, record: Record, patch: dict[str, Any], base_version: int
) -> OpResult:
    """An edit of a record that was finalised meanwhile: the record stays as it was finalised,
    and each changed field is kept as a proposal its author can add as an addendum."""
    changes = {k: v for k, v in patch.items() if record.data.get(k) != v}
    if not changes:
        return OpResult(op_id=op.op_id, status="accepted", version=record.version)
    base = version_data(push.session, op.record_type, op.record_id, base_version)
    finaliser = record.data.get("finalised_by") or record.data.get("author") or record.updated_by
    conflicts = [
        _conflict(
            push.session,
            record,
            FieldClash(name, base.get(name), record.data.get(name), value),
            (push.account.user_name, now()),
            (str(finaliser), record.updated_at),
            kind="proposal",
        )
        for name, value in sorted(changes.items())
    ]
    return OpResult(
        op_id=op.op_id,
        status="conflict",
        version=record.version,
        conflict_ids=[c.id for c in conflicts],
    )


def _finalise(
    push: _Push, op: PushOp, record: Record, patch: dict[str, Any], base_version: int
) -> OpResult:
    """Finalising fixes the record as its finaliser saw it: their base with their own changes.
    A change someone else made to the draft meanwhile (which the finaliser never saw) is not
    merged into the final record; it becomes a proposal for its author."""
    session, device = push.session, push.device
    rules = rules_for(op.record_type)
    assert rules is not None
    base = version_data(session, op.record_type, op.record_id, base_version) or record.data
    others = changed_by_others(session, op.record_type, op.record_id, base_version, device.id)
    unseen = {k for k in others if k in rules.fields and k not in rules.server_set}
    unseen -= {"status", "deleted"}
    final = {**record.data, **{k: base.get(k) for k in unseen}, **patch}
    final["finalised_at"] = now().isoformat()
    if "finalised_by" in rules.fields:
        final["finalised_by"] = push.account.user_name
    # Who wrote each value the finaliser did not see, read before this version is written.
    proposals = [
        (
            FieldClash(name, base.get(name), final.get(name), record.data.get(name)),
            _writer_of(session, record, name, base_version, record.updated_by),
        )
        for name in sorted(unseen)
        if record.data.get(name) != final.get(name)
    ]
    proposed_at = record.updated_at
    written = write_record(
        session,
        op.record_type,
        op.record_id,
        final,
        actor=push.account.user_name,
        device_id=device.id,
    )
    audit(
        session,
        push.account.user_name,
        "finalise",
        device.id,
        record_type=op.record_type,
        record_id=op.record_id,
    )
    conflicts = [
        _conflict(
            session,
            written,
            clash,
            (writer, proposed_at),
            (push.account.user_name, written.updated_at),
            kind="proposal",
        )
        for clash, writer in proposals
    ]
    return OpResult(
        op_id=op.op_id,
        status="conflict" if conflicts else "accepted",
        version=written.version,
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


def push(
    session: Session,
    account: Account,
    device: Device,
    request: PushRequest,
    policy: PushPolicy | None = None,
) -> PushResponse:
    viewer = Viewer(account.user_name, account.role, account.team_id)
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
    for op in request.ops:
        for name, target in REFERENCE_TARGETS.get(op.record_type, {}).items():
            if isinstance(op.patch.get(name), str):
                wanted.add((target, op.patch[name]))
    prefetch_records(session, wanted, lock=True)
    state = _Push(
        session,
        account,
        device,
        viewer,
        visible_young_people(session, viewer),
        policy or PushPolicy(),
    )
    try:
        _push_ops(state, request, applied, counts, results)
    finally:
        forget_prefetch(session)
    anchor = _keep_device_audit(session, account, device, request)
    for item in request.set_aside:
        # What the laptop could not apply, for whoever looks after the central store: which
        # record and why, never its content.
        audit(
            session,
            account.user_name,
            "pull_set_aside",
            device.id,
            record_type=item.record_type,
            record_id=item.record_id,
            version=item.version,
            reason=item.reason,
        )
    device.pending = request.pending
    device.last_sync_at = now()
    audit(session, account.user_name, "push", device.id, **counts, audit_events=len(request.audit))
    return PushResponse(results=results, anchor=anchor)


# Fields that point at other records, per record type: prefetched with the push's records.
REFERENCE_TARGETS = {name: dict(rules.references) for name, rules in SCHEMA.items()}


def _keep_device_audit(
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
    head = session.execute(
        select(DeviceAudit.seq, DeviceAudit.event)
        .where(DeviceAudit.device_id == device.id)
        .order_by(DeviceAudit.seq.desc())
        .limit(1)
    ).first()
    if head is None and not request.audit:
        return None
    seq, hash_ = (head[0], head[1]["hash"]) if head is not None else (0, GENESIS)
    newest = max(request.audit, key=lambda e: e.seq, default=None)
    if newest is not None and newest.seq >= seq:  # not flushed yet: this request's own events
        seq, hash_ = newest.seq, newest.hash
    return AuditAnchor(seq=seq, hash=hash_, anchored_at=now())


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


def _push_ops(
    push: _Push,
    request: PushRequest,
    applied: dict[str, AppliedOp],
    counts: dict[str, int],
    results: list[OpResult],
) -> None:
    session, account, device = push.session, push.account, push.device
    for op in request.ops:
        done = applied.get(op.op_id)
        if done is not None:
            counts["repeated"] += 1
            result = OpResult(
                op_id=op.op_id,
                status=done.status,  # type: ignore[arg-type]
                version=done.version,
                reason=done.reason,
                code=done.code,
                conflict_ids=list(done.conflict_ids or []),
            )
            if result.status == "rejected":
                result.current = _as_it_stands(push, op)
            results.append(result)
            continue
        # Each operation stands alone: every check runs before anything of it is written, so a
        # refused one leaves nothing behind and the rest go on (no savepoint per operation,
        # which would flush a thousand-record push row by row).
        try:
            result = _apply(push, op)
        except Refused as refused:
            result = _reject(op, refused)
            result.current = _as_it_stands(push, op)
            audit(
                session,
                account.user_name,
                "push_rejected",
                device.id,
                record_type=op.record_type,
                record_id=op.record_id,
                reason=result.reason,
                code=result.code,
            )
        counts[result.status] += 1
        applied[op.op_id] = AppliedOp(
            op_id=op.op_id,
            user_name=account.user_name,
            status=result.status,
            version=result.version,
            reason=result.reason,
            code=result.code,
            conflict_ids=result.conflict_ids,
        )
        session.add(applied[op.op_id])
        results.append(result)


def _as_it_stands(push: _Push, op: PushOp) -> Change | None:
    """The record a refused change was for, as the central store holds it, if the pusher may
    see it: the laptop puts it back, so it shows what was accepted."""
    record = get_record(push.session, op.record_type, op.record_id)
    if record is None or not _sees(
        push.viewer, push.visible, record.record_type, record.young_person_id, record.team_id
    ):
        return None
    return _change(record)


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


def _sees(
    viewer: Viewer,
    visible: set[str],
    record_type: str,
    young_person_id: str | None,
    team_id: str | None,
) -> bool:
    """A young person's records go to those who may see the young person; a team's own records
    (team forms, team actions) to the team; teams, workers and templates to every case worker."""
    if young_person_id is not None:
        return young_person_id in visible
    if viewer.role not in CASE_ROLES:
        return False
    return record_type in SHARED_TYPES or (team_id is not None and team_id == viewer.team_id)


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
            if conflict is not None and _sees(
                viewer, visible, conflict.record_type, conflict.young_person_id, conflict.team_id
            ):
                conflicts[conflict.id] = _conflict_info(conflict)
            continue
        if row.version is None:
            continue
        if _sees(viewer, visible, row.record_type, row.young_person_id, row.team_id):
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
    """Settle a conflict with the value chosen; the record changes only if the value differs.
    A finalised record never changes: a proposal on it is kept as it is ("kept") or added as an
    addendum written by the person resolving it."""
    conflict = session.get(Conflict, conflict_id)
    viewer = Viewer(account.user_name, account.role, account.team_id)
    if conflict is None or not _sees(
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
