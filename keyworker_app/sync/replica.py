"""Applying what the central store sends to the laptop's store: records as the server holds
them, conflicts, and young people the user may no longer see. Each page is one transaction,
together with the cursor, so a crash never leaves half a page or a cursor ahead of its data."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Boolean, delete, select, text, update
from sqlalchemy.exc import IntegrityError

from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import (
    RECORD_TYPES,
    SYNCABLE_MODELS,
    FormTemplate,
    OutboxEntry,
    RefusedChange,
    SetAsideChange,
    StoreSetting,
    SyncConflict,
    YoungPerson,
)
from keyworker_app.store.record_schema import problem_in_record
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


@dataclass
class PageResult:
    written: int = 0
    set_aside: list[tuple[Change, str]] = field(default_factory=list)
    touched: set[tuple[str, str | None]] = field(default_factory=set)  # (kind, young person)


def apply_page(
    store: Store,
    changes: Sequence[Change],
    conflicts: Sequence[ConflictInfo],
    removed: Iterable[str],
    cursor: int,
) -> PageResult:
    """Write one pulled page and its cursor in one transaction. A record this laptop cannot
    apply is set aside with the reason and the rest applies; a young person with changes not
    yet accepted here (unsent or refused) is never taken off the laptop."""
    with store.unit_of_work(record_outbox=False) as uow:
        session = uow.session
        pending = set(session.scalars(select(OutboxEntry.record_id)))
        # Changed here since: it comes back after this device's push.
        result = write_changes(session, [c for c in changes if c.record_id not in pending])
        for conflict in conflicts:
            _store_conflict(session, conflict)
            uow.mark_changed("sync_conflict", conflict.young_person_id)
        gone = list(removed)
        if gone:
            kept = young_people_with_local_work(session)
            gone = [young_person_id for young_person_id in gone if young_person_id not in kept]
        for young_person_id in gone:
            remove_young_person(session, young_person_id)
            uow.mark_changed("young_person", young_person_id)
        for kind, young_person_id in result.touched:
            uow.mark_changed(kind, young_person_id)
        put_setting(session, CURSOR, str(cursor))
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


def young_people_with_local_work(session: Any) -> set[str]:
    """Young people this laptop holds work for that the central store has not accepted: changes
    waiting to be sent, or refused ones. Their records stay, whatever a pull says."""
    refused = {
        young_person_id
        for young_person_id in session.scalars(select(RefusedChange.young_person_id))
        if young_person_id is not None
    }
    waiting: set[str] = set()
    for record_type, record_id, patch in session.execute(
        select(OutboxEntry.record_type, OutboxEntry.record_id, OutboxEntry.patch)
    ):
        owner = record_id if record_type == "young_person" else (patch or {}).get("young_person_id")
        if owner is None and record_type in RECORD_TYPES and record_type != "young_person":
            table = RECORD_TYPES[record_type].__table__
            if "young_person_id" in table.c:
                owner = session.scalar(
                    select(table.c.young_person_id).where(table.c.id == record_id)
                )
        if isinstance(owner, str):
            waiting.add(owner)
    return refused | waiting


def write_changes(session: Any, changes: Sequence[Change]) -> PageResult:
    """Write records as the central store holds them, each kind with a few executemany calls
    straight to the driver (a first sync is 10,000s of records). A record that does not fit
    the schema, or that the store refuses (a reference another young person holds here, a
    parent this laptop lacks), is set aside; the others are written."""
    result = PageResult()
    groups: dict[str, list[dict[str, Any]]] = {}
    by_id: dict[str, Change] = {}
    for change in changes:
        problem = problem_in_record(change.record_type, change.data)
        if problem:
            result.set_aside.append((change, problem))
            continue
        by_id[change.record_id] = change
        groups.setdefault(change.record_type, []).append(_stored_row(change))
    for record_type in ("team", "staff"):
        if record_type in groups:
            groups[record_type] = _adopt_central(session, record_type, groups[record_type])
    documents = []
    # Parents first, so foreign keys hold after each statement.
    for record_type in sorted(groups, key=lambda t: ORDER.get(t, 99)):
        model = RECORD_TYPES[record_type]
        rows = groups[record_type]
        existing = _existing_ids(session, model, [row["id"] for row in rows])
        rows = [
            row
            for row in rows
            if row["id"] in existing
            or not (model is FormTemplate and _template_known(session, row))
        ]
        try:
            with session.begin_nested():
                _write_rows(session, model, rows, existing)
            applied = rows
        except IntegrityError:
            applied = []
            for row in rows:  # one at a time, to find the ones this store refuses
                try:
                    with session.begin_nested():
                        _write_rows(session, model, [row], existing)
                except IntegrityError as error:
                    result.set_aside.append((by_id[row["id"]], _refusal(error)))
                    continue
                applied.append(row)
        if record_type in INDEXED_TABLES:
            documents += [
                document_from_values(record_type, row, is_new=row["id"] not in existing)
                for row in applied
            ]
        result.written += len(applied)
        result.touched |= {
            (
                record_type,
                row["id"] if record_type == "young_person" else row.get("young_person_id"),
            )
            for row in applied
        }
        _no_longer_aside(session, record_type, [row["id"] for row in applied])
    if documents:
        reindex(session, documents)
    for change, reason in result.set_aside:
        _set_aside(session, change, reason)
    return result


def _existing_ids(session: Any, model: Any, ids: list[str]) -> set[str]:
    table = model.__table__
    existing: set[str] = set()
    for start in range(0, len(ids), 500):
        existing.update(
            session.scalars(select(table.c.id).where(table.c.id.in_(ids[start : start + 500])))
        )
    return existing


def _write_rows(session: Any, model: Any, rows: list[dict[str, Any]], existing: set[str]) -> None:
    table = model.__table__
    connection = session.connection()
    inserts: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        if row["id"] in existing:
            updates.setdefault(tuple(row), []).append(row)
        else:
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


def _refusal(error: IntegrityError) -> str:
    """The reason, in words, a record could not be written here."""
    text = str(error.orig)
    if "young_person.reference" in text:
        return "another young person on this laptop already has this reference"
    if "UNIQUE" in text:
        return "another record on this laptop already holds the same " + (
            text.rsplit(".", 1)[-1].replace("_", " ") if "." in text else "value"
        )
    if "FOREIGN KEY" in text:
        return "it refers to a record this laptop does not have (yet)"
    return "this laptop's store refused it"


def _set_aside(session: Any, change: Change, reason: str) -> None:
    table = SetAsideChange.__table__
    session.execute(
        delete(table).where(
            table.c.record_type == change.record_type, table.c.record_id == change.record_id
        )
    )
    session.execute(
        table.insert(),
        {
            "record_type": change.record_type[:40],
            "record_id": change.record_id,
            "version": change.version,
            "deleted": change.deleted,
            "data": change.data,
            "changed_at": change.updated_at,
            "changed_by": change.updated_by,
            "reason": reason,
            "set_aside_at": datetime.now(UTC),
            "reported": False,
        },
    )


def _no_longer_aside(session: Any, record_type: str, ids: list[str]) -> None:
    table = SetAsideChange.__table__
    for start in range(0, len(ids), 500):
        session.execute(
            delete(table).where(
                table.c.record_type == record_type,
                table.c.record_id.in_(ids[start : start + 500]),
            )
        )


def retry_set_aside(store: Store) -> int:
    """Try again every record set aside at an earlier pull (its parent may have arrived, the
    clashing reference may have gone); returns how many now applied."""
    with store.unit_of_work(record_outbox=False) as uow:
        session = uow.session
        waiting = list(session.scalars(select(SetAsideChange)))
        if not waiting:
            return 0
        pending = set(session.scalars(select(OutboxEntry.record_id)))
        changes = [
            Change.model_construct(
                record_type=item.record_type,
                record_id=item.record_id,
                version=item.version,
                deleted=item.deleted,
                data=item.data,
                updated_at=item.changed_at,
                updated_by=item.changed_by,
            )
            for item in waiting
            if item.record_id not in pending and not _superseded(session, item)
        ]
        result = write_changes(session, changes)
        for item in waiting:
            if _superseded(session, item):
                session.delete(item)
        for kind, young_person_id in result.touched:
            uow.mark_changed(kind, young_person_id)
        if result.written:
            uow.audit("sync_set_aside_applied", detail={"records": result.written})
        uow.commit()
        return result.written


def _superseded(session: Any, item: Any) -> bool:
    """A newer version of the record is already here (written by a later pull)."""
    model = RECORD_TYPES.get(item.record_type)
    if model is None:
        return False
    version = session.scalar(select(model.version).where(model.id == item.record_id))
    return version is not None and version >= item.version


# Fields that point at a team or a worker: re-pointed when a laptop's own team or worker turns
# out to be one the central store already has.
_POINTING_AT = {
    "team": (
        ("young_person", "team_id"),
        ("staff", "team_id"),
        ("action", "team_id"),
        ("form_response", "team_id"),
    ),
    "staff": (("young_person", "keyworker_id"), ("action", "owner_id")),
}
_NATURAL_KEY = {"team": "name", "staff": "user_name"}


def _adopt_central(
    session: Any, record_type: str, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A laptop used before signing in made its own teams and workers (from a spreadsheet, say).
    When the central store sends one with the same name, the laptop's copy gives way: its
    records point at the central one, and the local copy (never accepted centrally) goes.
    Returns the rows still to write."""
    model = RECORD_TYPES[record_type]
    table = model.__table__
    key = _NATURAL_KEY[record_type]
    remaining = []
    for row in rows:
        wanted = str(row.get(key) or "").casefold()
        local = [
            found
            for found, name in session.execute(select(table.c.id, table.c[key]))
            if found != row["id"] and str(name).casefold() == wanted
        ]
        if not local:
            remaining.append(row)
            continue
        old = local[0]
        # Out of the way first (the name is unique), then the central row, then the pointers.
        session.execute(
            update(table).where(table.c.id == old).values({key: f"{row.get(key)} ({old})"})
        )
        existing = _existing_ids(session, model, [row["id"]])
        _write_rows(session, model, [row], existing)
        for other_type, column in _POINTING_AT[record_type]:
            other = RECORD_TYPES[other_type].__table__
            session.execute(update(other).where(other.c[column] == old).values({column: row["id"]}))
        for queue in (OutboxEntry, RefusedChange):
            for entry in session.scalars(select(queue)):
                if entry.record_id == old:
                    session.delete(entry)
                elif any(value == old for value in (entry.patch or {}).values()):
                    entry.patch = {
                        k: (row["id"] if v == old else v) for k, v in entry.patch.items()
                    }
        session.execute(delete(table).where(table.c.id == old))
    return remaining


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
