"""The unit of work's bulk path for records as the central store holds them (a pulled page, the
record put back after a refusal): column values converted by the models' own types, the search
index kept by the same code as local writes, nothing echoed to the outbox.

A record that does not fit the declared schema, or that this store refuses (a reference another
young person holds here, a parent it lacks), is set aside with the reason and tried again later;
the others are written. A laptop's own team or worker gives way to the central one of the same
name. Young people the user may no longer see are taken off (``remove_young_person``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keyworker_app.store.models import (
    RECORD_TYPES,
    SYNCABLE_MODELS,
    FormTemplate,
    OutboxEntry,
    RefusedChange,
    SetAsideChange,
    SyncConflict,
    YoungPerson,
    table_of,
)
from keyworker_app.store.record_schema import problem_in_record
from keyworker_app.store.serialise import content_fields, from_json_value

if TYPE_CHECKING:
    from keyworker_app.store.unit_of_work import UnitOfWork

# Parents before children, so foreign keys hold after each statement.
ORDER = {model.__tablename__: n for n, model in enumerate(SYNCABLE_MODELS)}


@dataclass(frozen=True)
class RemoteRecord:
    """One record as the central store holds it (its JSON form)."""

    record_type: str
    record_id: str
    version: int
    deleted: bool
    data: dict[str, Any]
    updated_at: datetime | None = None
    updated_by: str | None = None


@dataclass
class RemoteResult:
    written: int = 0
    set_aside: list[tuple[RemoteRecord, str]] = field(default_factory=list)


def _row(model: Any, record: RemoteRecord) -> dict[str, Any]:
    """Column values (as Python values: the columns' own types store them) for ``record``."""
    row = {
        name: from_json_value(model, name, record.data[name])
        for name in content_fields(model)
        if name in record.data
    }
    row.update(
        id=record.record_id,
        version=record.version,
        deleted=record.deleted,
        updated_at=record.updated_at or datetime.now(UTC),
        updated_by=record.updated_by,
        device_id=None,
    )
    return row


def apply_remote(uow: UnitOfWork, records: Sequence[RemoteRecord]) -> RemoteResult:
    """Write ``records`` in ``uow`` (parents first, each kind in a few statements); set aside what
    cannot be written. Announced and indexed with the unit of work's commit."""
    session = uow.session
    session.flush()
    result = RemoteResult()
    groups: dict[str, list[dict[str, Any]]] = {}
    by_id: dict[str, RemoteRecord] = {}
    for record in records:
        problem = problem_in_record(record.record_type, record.data)
        if problem:
            result.set_aside.append((record, problem))
            continue
        by_id[record.record_id] = record
        groups.setdefault(record.record_type, []).append(
            _row(RECORD_TYPES[record.record_type], record)
        )
    for kind in ("team", "staff"):
        if kind in groups:
            groups[kind] = _adopt_central(session, kind, groups[kind])
    for record_type in sorted(groups, key=lambda t: ORDER.get(t, 99)):
        applied, existing = _write_kind(session, record_type, groups[record_type], by_id, result)
        result.written += len(applied)
        uow.remote_written(record_type, applied, existing)
        _no_longer_aside(session, record_type, [row["id"] for row in applied])
    for record, reason in result.set_aside:
        _set_aside(session, record, reason)
    return result


def _write_kind(
    session: Session,
    record_type: str,
    rows: list[dict[str, Any]],
    by_id: dict[str, RemoteRecord],
    result: RemoteResult,
) -> tuple[list[dict[str, Any]], set[str]]:
    """Write one kind's rows; returns those written and the ids that were here before. A batch
    the store refuses is written row by row under savepoints, so only the rows it refuses are
    set aside."""
    model = RECORD_TYPES[record_type]
    existing = _existing_ids(session, model, [row["id"] for row in rows])
    if model is FormTemplate:  # one copy of each template version
        rows = [r for r in rows if r["id"] in existing or not _template_known(session, r)]
    try:
        with session.begin_nested():
            _write_rows(session, model, rows, existing)
        return rows, existing
    except IntegrityError:
        pass
    applied = []
    for row in rows:
        try:
            with session.begin_nested():
                _write_rows(session, model, [row], existing)
        except IntegrityError as error:
            result.set_aside.append((by_id[row["id"]], _refusal(error)))
            continue
        applied.append(row)
    return applied, existing


def _existing_ids(session: Session, model: Any, ids: list[str]) -> set[str]:
    table = table_of(model)
    existing: set[str] = set()
    for start in range(0, len(ids), 500):
        existing.update(
            session.scalars(select(table.c.id).where(table.c.id.in_(ids[start : start + 500])))
        )
    return existing


def _write_rows(
    session: Session, model: Any, rows: list[dict[str, Any]], existing: set[str]
) -> None:
    """Inserts and updates through the table's own column types (Core executemany, grouped by
    the columns each row carries; columns a row leaves out take their defaults on insert)."""
    table = table_of(model)
    inserts: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        target = updates if row["id"] in existing else inserts
        target.setdefault(tuple(row), []).append(row)
    for batch in inserts.values():
        session.execute(table.insert(), batch)
    for keys, batch in updates.items():
        statement = _update_statement(model, keys)
        session.execute(statement, [{**row, "row_id": row["id"]} for row in batch])


@functools.cache
def _update_statement(model: Any, keys: tuple[str, ...]) -> Any:
    table = table_of(model)
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({key: bindparam(key) for key in keys if key != "id"})
    )


def _refusal(error: IntegrityError) -> str:
    """The reason, in words, a record could not be written here."""
    text_ = str(error.orig)
    if "young_person.reference" in text_:
        return "another young person on this laptop already has this reference"
    if "UNIQUE" in text_:
        column = text_.rsplit(".", 1)[-1].replace("_", " ") if "." in text_ else "value"
        return f"another record on this laptop already holds the same {column}"
    if "FOREIGN KEY" in text_:
        return "it refers to a record this laptop does not have (yet)"
    return "this laptop's store refused it"


def _template_known(session: Session, row: dict[str, Any]) -> bool:
    return (
        session.scalars(
            select(FormTemplate.id).where(
                FormTemplate.template_id == row.get("template_id"),
                FormTemplate.template_version == row.get("template_version"),
            )
        ).first()
        is not None
    )


# -- set aside --------------------------------------------------------------------------------


def _set_aside(session: Session, record: RemoteRecord, reason: str) -> None:
    table = table_of(SetAsideChange)
    session.execute(
        delete(table).where(
            table.c.record_type == record.record_type, table.c.record_id == record.record_id
        )
    )
    session.execute(
        table.insert(),
        {
            "record_type": record.record_type[:40],
            "record_id": record.record_id,
            "version": record.version,
            "deleted": record.deleted,
            "data": record.data,
            "changed_at": record.updated_at,
            "changed_by": record.updated_by,
            "reason": reason,
            "set_aside_at": datetime.now(UTC),
            "reported": False,
        },
    )


def _no_longer_aside(session: Session, record_type: str, ids: list[str]) -> None:
    table = table_of(SetAsideChange)
    for start in range(0, len(ids), 500):
        session.execute(
            delete(table).where(
                table.c.record_type == record_type,
                table.c.record_id.in_(ids[start : start + 500]),
            )
        )


def retry_set_aside(uow: UnitOfWork) -> int:
    """Try again every record set aside at an earlier pull (its parent may have arrived, the
    clashing reference may have gone); returns how many now applied."""
    session = uow.session
    waiting = list(session.scalars(select(SetAsideChange)))
    if not waiting:
        return 0
    pending = set(session.scalars(select(OutboxEntry.record_id)))
    records = [
        RemoteRecord(
            item.record_type,
            item.record_id,
            item.version,
            item.deleted,
            item.data,
            item.changed_at,
            item.changed_by,
        )
        for item in waiting
        if item.record_id not in pending and not _superseded(session, item)
    ]
    result = apply_remote(uow, records)
    for item in waiting:
        if _superseded(session, item):
            session.delete(item)
    return result.written


def _superseded(session: Session, item: SetAsideChange) -> bool:
    """A newer version of the record is already here (written by a later pull)."""
    model = RECORD_TYPES.get(item.record_type)
    if model is None:
        return False
    version = session.scalar(select(model.version).where(model.id == item.record_id))
    return version is not None and version >= item.version


# -- a laptop's own teams and workers ----------------------------------------------------------

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
    session: Session, record_type: str, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A laptop used before signing in made its own teams and workers (from a spreadsheet, say).
    When the central store sends one with the same name, the laptop's copy gives way: its
    records point at the central one, and the local copy (never accepted centrally) goes.
    Returns the rows still to write."""
    model = RECORD_TYPES[record_type]
    table = table_of(model)
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
        _give_way(session, record_type, local[0], row)
    return remaining


def _give_way(session: Session, record_type: str, old: str, row: dict[str, Any]) -> None:
    model = RECORD_TYPES[record_type]
    table = table_of(model)
    key = _NATURAL_KEY[record_type]
    # Out of the way first (the name is unique), then the central row, then the pointers.
    session.execute(update(table).where(table.c.id == old).values({key: f"{row.get(key)} ({old})"}))
    _write_rows(session, model, [row], _existing_ids(session, model, [row["id"]]))
    for other_type, column in _POINTING_AT[record_type]:
        other = table_of(RECORD_TYPES[other_type])
        session.execute(update(other).where(other.c[column] == old).values({column: row["id"]}))
    waiting: list[OutboxEntry | RefusedChange] = [
        *session.scalars(select(OutboxEntry)),
        *session.scalars(select(RefusedChange)),
    ]
    for entry in waiting:
        if entry.record_id == old:
            session.delete(entry)
        elif any(value == old for value in (entry.patch or {}).values()):
            new = row["id"]
            entry.patch = {k: (new if v == old else v) for k, v in entry.patch.items()}
    session.execute(delete(table).where(table.c.id == old))


# -- taking a young person off the laptop -----------------------------------------------------


def remove_young_person(session: Session, young_person_id: str) -> None:
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
        table = table_of(model)
        if "young_person_id" in table.c:
            ids = list(
                session.scalars(
                    select(table.c.id).where(table.c.young_person_id == young_person_id)
                )
            )
            record_ids += ids
            session.execute(delete(table).where(table.c.young_person_id == young_person_id))
    session.execute(
        delete(table_of(YoungPerson)).where(table_of(YoungPerson).c.id == young_person_id)
    )
    session.execute(delete(SyncConflict).where(SyncConflict.young_person_id == young_person_id))
    for chunk in range(0, len(record_ids), 500):
        session.execute(
            delete(OutboxEntry).where(OutboxEntry.record_id.in_(record_ids[chunk : chunk + 500]))
        )


def young_people_with_local_work(session: Session) -> set[str]:
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
            table = table_of(RECORD_TYPES[record_type])
            if "young_person_id" in table.c:
                owner = session.scalar(
                    select(table.c.young_person_id).where(table.c.id == record_id)
                )
        if isinstance(owner, str):
            waiting.add(owner)
    return refused | waiting


__all__ = [
    "RemoteRecord",
    "RemoteResult",
    "apply_remote",
    "remove_young_person",
    "retry_set_aside",
    "young_people_with_local_work",
]
