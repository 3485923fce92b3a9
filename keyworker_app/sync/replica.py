"""Applying what the central store sends to the laptop's store: records as the server holds
them, conflicts, and young people the user may no longer see. Each page is one unit of work,
together with the cursor, so a crash never leaves half a page or a cursor ahead of its data.

The records go through the unit of work's bulk path for remote changes
(store/remote_changes.py): the same column types, search index and change event as local
writes, never echoed to the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select

from keyworker_app.store import remote_changes
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import OutboxEntry, SyncConflict, table_of
from keyworker_app.store.remote_changes import RemoteRecord, RemoteResult
from keyworker_app.store.settings import SettingKey, write_setting
from keyworker_app.sync.protocol import Change, ConflictInfo

CURSOR = SettingKey.CURSOR
# The young people a pull must leave alone: work for them waits here (unsent or refused).
young_people_with_local_work = remote_changes.young_people_with_local_work


def as_remote(change: Change) -> RemoteRecord:
    return RemoteRecord(
        record_type=change.record_type,
        record_id=change.record_id,
        version=change.version,
        deleted=change.deleted,
        data=change.data,
        updated_at=change.updated_at,
        updated_by=change.updated_by,
    )


def apply_page(
    store: Store,
    changes: Sequence[Change],
    conflicts: Sequence[ConflictInfo],
    removed: Iterable[str],
    cursor: int,
) -> RemoteResult:
    """Write one pulled page and its cursor in one unit of work. A record this laptop cannot
    apply is set aside with the reason and the rest applies; a young person with changes not
    yet accepted here (unsent or refused) is never taken off the laptop."""
    with store.unit_of_work(record_outbox=False) as uow:
        session = uow.session
        pending = _pending_record_ids(session)
        # Changed here since: it comes back after this device's push.
        result = uow.apply_remote([as_remote(c) for c in changes if c.record_id not in pending])
        for conflict in conflicts:
            _store_conflict(session, conflict)
            uow.mark_changed("sync_conflict", conflict.young_person_id)
        gone = list(removed)
        if gone:
            kept = young_people_with_local_work(session)
            gone = [young_person_id for young_person_id in gone if young_person_id not in kept]
        for young_person_id in gone:
            remote_changes.remove_young_person(session, young_person_id)
            uow.mark_changed("young_person", young_person_id)
        write_setting(session, SettingKey.CURSOR, str(cursor))
        if result.written or conflicts or gone or result.set_aside:
            uow.audit(
                "sync_pull",
                detail={
                    "records": result.written,
                    "conflicts": len(conflicts),
                    "removed": len(gone),
                    "set_aside": len(result.set_aside),
                },
            )
        uow.commit()
    return result


def _pending_record_ids(session: Any) -> set[str]:
    return set(session.scalars(select(OutboxEntry.record_id)))


def retry_set_aside(store: Store) -> int:
    """Try again every record set aside at an earlier pull; returns how many now applied."""
    with store.unit_of_work(record_outbox=False) as uow:
        written = remote_changes.retry_set_aside(uow)
        if written:
            uow.audit("sync_set_aside_applied", detail={"records": written})
        uow.commit()
        return written


def _store_conflict(session: Any, conflict: ConflictInfo) -> None:
    values = conflict.model_dump(mode="python")
    session.execute(delete(SyncConflict).where(SyncConflict.id == conflict.id))
    session.execute(table_of(SyncConflict).insert(), values)
