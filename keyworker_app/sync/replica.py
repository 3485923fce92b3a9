"""Applying what the central store sends to the laptop's store: records as the server holds
them, conflicts, and young people the user may no longer see. Each page is one transaction,
together with the cursor, so a crash never leaves half a page or a cursor ahead of its data."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Boolean, delete, select, text, update

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
from keyworker_app.store.types import Code, Day, UTCDateTime
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


def _to_moment(value: Any) -> str:
    return datetime.fromisoformat(value).astimezone(UTC).isoformat(timespec="microseconds")


def _to_day(value: Any) -> str:
    return date.fromisoformat(value).isoformat()


@functools.cache
def _converters(model: type) -> dict[str, Callable[[Any], Any]]:
    """For each column, JSON value -> the value as the column stores it (what the column type
    would write), so rows can go to the driver without a round trip through Python objects."""
    converters: dict[str, Callable[[Any], Any]] = {}
    for column in model.__table__.columns:
        kind = column.type
        if isinstance(kind, UTCDateTime):
            converters[column.key] = _to_moment
        elif isinstance(kind, Day):
            converters[column.key] = _to_day
        elif isinstance(kind, Code):
            converters[column.key] = functools.partial(_to_code, kind.enum)
        elif isinstance(kind, Boolean):
            converters[column.key] = bool
        else:
            converters[column.key] = _same
    return converters


def _same(value: Any) -> Any:
    return value


def _to_code(enum: Any, value: Any) -> str:
    return enum(value).value


@functools.cache
def _defaults(model: type) -> dict[str, Any]:
    """Stored defaults for columns a change may leave out (written by an older version)."""
    values: dict[str, Any] = {}
    converters = _converters(model)
    for column in model.__table__.columns:
        default = column.default
        if default is None:
            continue
        if default.is_scalar:
            value = default.arg
        elif default.is_callable:
            try:
                value = default.arg(None)
            except TypeError:
                continue
        else:
            continue
        if isinstance(value, Enum):
            value = value.value
        values[column.key] = converters[column.key](value) if value is not None else None
    return values


def _stored_row(change: Change) -> dict[str, Any]:
    converters = _converters(RECORD_TYPES[change.record_type])
    row: dict[str, Any] = {}
    for name, value in change.data.items():
        convert = converters.get(name)
        if convert is None or name in BOOKKEEPING:
            continue
        try:
            row[name] = None if value is None else convert(value)
        except (ValueError, TypeError):
            row[name] = None
    row.update(
        id=change.record_id,
        version=change.version,
        deleted=change.deleted,
        updated_at=_to_moment((change.updated_at or datetime.now(UTC)).isoformat()),
        updated_by=change.updated_by,
        device_id=None,
    )
    return row


def _dbapi(value: Any) -> Any:
    # JSON columns (lists, answers) go to the driver as text, as SQLAlchemy's JSON type writes.
    return json.dumps(value) if isinstance(value, dict | list) else value


BOOKKEEPING = frozenset({"id", "version", "deleted", "updated_at", "updated_by", "device_id"})

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
            if change.record_type in RECORD_TYPES:
                groups.setdefault(change.record_type, []).append(_stored_row(change))
        connection = session.connection()
        # Parents first; each kind written with a few executemany calls straight to the
        # driver, with values already in the columns' stored form (a first sync is 10,000s).
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
            inserts: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in rows:
                if row["id"] in existing:
                    updates.setdefault(tuple(row), []).append(row)
                    continue
                if model is FormTemplate and _template_known(session, row):
                    continue
                full = {**_defaults(model), **row}
                inserts.setdefault(tuple(full), []).append(full)
            for keys, batch in inserts.items():
                columns = ", ".join(f'"{k}"' for k in keys)
                marks = ", ".join("?" for _ in keys)
                connection.exec_driver_sql(
                    f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})',
                    [tuple(_dbapi(r[k]) for k in keys) for r in batch],
                )
            for keys, batch in updates.items():
                settable = [k for k in keys if k != "id"]
                assignments = ", ".join(f'"{k}" = ?' for k in settable)
                connection.exec_driver_sql(
                    f'UPDATE "{table.name}" SET {assignments} WHERE id = ?',
                    [(*(_dbapi(r[k]) for k in settable), r["id"]) for r in batch],
                )
            if record_type in INDEXED_TABLES:
                documents += [
                    document_from_values(record_type, row, is_new=row["id"] not in existing)
                    for row in rows
                ]
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
