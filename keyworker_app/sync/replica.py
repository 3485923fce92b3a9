"""Applying what the central store sends to the laptop's store: records as the server holds
them, conflicts, and young people the user may no longer see. Each page is one transaction,
together with the cursor, so a crash never leaves half a page or a cursor ahead of its data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, text, update

from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import (
    RECORD_TYPES,
    SYNCABLE_MODELS,
    FormTemplate,
    OutboxEntry,
    StoreSetting,
    SyncConflict,
    YoungPerson,
)
from keyworker_app.store.search import INDEXED_TABLES, document_from_values, reindex
from keyworker_app.store.serialise import from_json_value
from keyworker_app.sync.protocol import Change, ConflictInfo

CURSOR = "sync_cursor"


def setting(store: Store, key: str) -> str | None:
    with store.reading() as session:
        row = session.get(StoreSetting, key)
        return row.value if row else None


def put_setting(session: Any, key: str, value: str) -> None:
    if session.get(StoreSetting, key) is None:
        session.execute(StoreSetting.__table__.insert(), {"key": key, "value": value})
    else:
        session.execute(update(StoreSetting).where(StoreSetting.key == key).values(value=value))


def _row(change: Change) -> dict[str, Any] | None:
    model = RECORD_TYPES.get(change.record_type)
    if model is None:
        return None  # a kind of record this version does not know: skip it
    columns = model.__table__.columns.keys()
    row: dict[str, Any] = {}
    for name in columns:
        if name in change.data:
            try:
                row[name] = from_json_value(model, name, change.data[name])
            except (ValueError, TypeError):
                row[name] = None
    row.update(
        id=change.record_id,
        version=change.version,
        deleted=change.deleted,
        updated_at=change.updated_at or datetime.now(UTC),
        updated_by=change.updated_by,
        device_id=None,
    )
    return row


# Parents before children, so foreign keys hold after each statement.
ORDER = {model.__tablename__: n for n, model in enumerate(SYNCABLE_MODELS)}


def apply_page(
    store: Store,
    changes: Sequence[Change],
    conflicts: Sequence[ConflictInfo],
    removed: Iterable[str],
    cursor: int,
) -> int:
    """Write one pulled page and its cursor in one transaction; returns the records written."""
    written = 0
    with store.unit_of_work(record_outbox=False) as uow:
        session = uow.session
        pending = set(session.scalars(select(OutboxEntry.record_id)))
        documents = []
        groups: dict[str, list[dict[str, Any]]] = {}
        for change in changes:
            if change.record_id in pending:
                continue  # changed here since: it comes back after this device's push
            row = _row(change)
            if row is not None:
                groups.setdefault(change.record_type, []).append(row)
        # Parents first; each kind written with a handful of statements, not one per record.
        for record_type in sorted(groups, key=lambda t: ORDER.get(t, 99)):
            rows = groups[record_type]
            model = RECORD_TYPES[record_type]
            table = model.__table__
            ids = [row["id"] for row in rows]
            existing: set[str] = set()
            for start in range(0, len(ids), 500):
                existing.update(
                    session.scalars(
                        select(table.c.id).where(table.c.id.in_(ids[start : start + 500]))
                    )
                )
            defaults = {
                c.key: c.default.arg
                for c in table.columns
                if c.default is not None and c.default.is_scalar and c.default.arg is not None
            }
            inserts: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in rows:
                if row["id"] in existing:
                    updates.setdefault(tuple(sorted(row)), []).append(row)
                    continue
                if model is FormTemplate and _template_known(session, row):
                    continue
                full = {**{k: v for k, v in defaults.items() if k not in row}, **row}
                inserts.setdefault(tuple(sorted(full)), []).append(full)
            for batch in inserts.values():
                session.execute(table.insert(), batch)
            for keys, batch in updates.items():
                statement = (
                    update(table)
                    .where(table.c.id == bindparam("row_id"))
                    .values({k: bindparam(f"v_{k}") for k in keys if k != "id"})
                )
                session.execute(
                    statement,
                    [{"row_id": r["id"], **{f"v_{k}": v for k, v in r.items()}} for r in batch],
                )
            if record_type in INDEXED_TABLES:
                documents += [document_from_values(record_type, row) for row in rows]
            written += len(rows)
        if documents:
            reindex(session, documents)
        for conflict in conflicts:
            _store_conflict(session, conflict)
        gone = list(removed)
        for young_person_id in gone:
            remove_young_person(session, young_person_id)
        put_setting(session, CURSOR, str(cursor))
        if written or conflicts or gone:
            uow.audit(
                "sync_pull",
                detail={"records": written, "conflicts": len(conflicts), "removed": len(gone)},
            )
        uow.commit()
    return written


def _template_known(session: Any, row: dict[str, Any]) -> bool:
    return (
        session.scalars(
            select(FormTemplate.id).where(
                FormTemplate.template_id == row.get("template_id"),
                FormTemplate.template_version == row.get("template_version"),
            )
        ).first()
        is not None
    )


def _store_conflict(session: Any, conflict: ConflictInfo) -> None:
    values = conflict.model_dump(mode="python")
    session.execute(delete(SyncConflict).where(SyncConflict.id == conflict.id))
    session.execute(SyncConflict.__table__.insert(), values)


def remove_young_person(session: Any, young_person_id: str) -> None:
    """Take a young person the user may no longer see off this laptop: every record about them,
    their search entries and anything waiting to be sent. (Not a deletion of the case: the
    central store keeps it.)"""
    session.execute(text("PRAGMA defer_foreign_keys = ON"))
    doc_ids = [
        row[0]
        for row in session.execute(
            text("SELECT id FROM search_document WHERE young_person_id = :yp"),
            {"yp": young_person_id},
        )
    ]
    for doc_id in doc_ids:
        session.execute(text("DELETE FROM search_text WHERE rowid = :id"), {"id": doc_id})
    session.execute(
        text("DELETE FROM search_document WHERE young_person_id = :yp"), {"yp": young_person_id}
    )
    record_ids: list[str] = [young_person_id]
    for model in reversed(SYNCABLE_MODELS):
        table = model.__table__
        if "young_person_id" in table.c:
            ids = list(
                session.scalars(
                    select(table.c.id).where(table.c.young_person_id == young_person_id)
                )
            )
            record_ids += ids
            session.execute(delete(table).where(table.c.young_person_id == young_person_id))
    session.execute(
        delete(YoungPerson.__table__).where(YoungPerson.__table__.c.id == young_person_id)
    )
    session.execute(delete(SyncConflict).where(SyncConflict.young_person_id == young_person_id))
    for chunk in range(0, len(record_ids), 500):
        session.execute(
            delete(OutboxEntry).where(OutboxEntry.record_id.in_(record_ids[chunk : chunk + 500]))
        )
