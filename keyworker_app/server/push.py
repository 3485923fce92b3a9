"""Taking a laptop's push: each operation applied once (deduplicated by op id), after the
checks in push_checks (schema, owner, references, clock, templates), merged field by field
against the version the laptop started from. Finalising fixes a record as its finaliser saw
it; any other change to a final record is kept as a proposal. A refused operation leaves
nothing behind and the rest of the push goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.domain.ids import new_id
from keyworker_app.server.access import Viewer, sees_record, visible_young_people
from keyworker_app.server.audit_log import audit
from keyworker_app.server.device_audit import keep_device_audit
from keyworker_app.server.models import (
    Account,
    AppliedOp,
    Conflict,
    Device,
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
    announce_conflict,
    as_change,
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
)
from keyworker_app.sync.merge import FieldClash, merge_fields
from keyworker_app.sync.protocol import (
    Change,
    OpResult,
    PushOp,
    PushRequest,
    PushResponse,
)


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
    announce_conflict(session, conflict)
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
            value = op.patch.get(name)
            if isinstance(value, str):
                wanted.add((target, value))
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
    anchor = keep_device_audit(session, account, device, request)
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
    if record is None or not sees_record(
        push.viewer, push.visible, record.record_type, record.young_person_id, record.team_id
    ):
        return None
    return as_change(record)
