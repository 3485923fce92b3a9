"""The one write path.

Every change to the caseload happens inside a ``UnitOfWork``: in one SQLite transaction it writes
the rows, appends an outbox entry per changed record (a field-level patch on the version it was
based on, with an op id the central store deduplicates on), appends an audit event per change to
the hash chain, and keeps the search index current. Either all of that is committed or none.

It also enforces the record-keeping rules: finalised contacts and form responses are never
edited (corrections are addenda or revisions), goal scores and addenda are append-only, and
nothing is ever deleted, only tombstoned.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from keyworker_app.domain.dates import utc_now
from keyworker_app.domain.ids import new_id
from keyworker_app.domain.vocabulary import RecordStatus
from keyworker_app.store.audit_trail import PendingAudit, append_to_chain
from keyworker_app.store.changes import change_of
from keyworker_app.store.engine import StoreError
from keyworker_app.store.models import (
    BOOKKEEPING_FIELDS,
    Contact,
    FormResponse,
    OutboxEntry,
    Syncable,
    YoungPerson,
    table_of,
)
from keyworker_app.store.record_schema import problem_in_patch, rules_for
from keyworker_app.store.remote_changes import RemoteRecord, RemoteResult, apply_remote
from keyworker_app.store.search import (
    INDEXED_TABLES,
    SearchDocument,
    document_from_values,
    document_of,
    reindex,
)
from keyworker_app.store.serialise import content_fields, to_json_value

if TYPE_CHECKING:
    from keyworker_app.store.caseload_store import Store

T = TypeVar("T", bound=Syncable)
_AUDIT_ACTION = {"insert": "create", "update": "update", "delete": "delete"}
FINALISABLE = (Contact, FormResponse)


class DiskProblem(StoreError):
    """The disk refused a write (full, over a size limit, failing): nothing of it was saved."""


_DISK_ERRORS = {
    "database or disk is full": "the disk is full",
    "disk i/o error": "the disk could not be written to",
    "file too large": "the file reached the size limit of the disk",
}


def disk_problem(error: DBAPIError) -> DiskProblem | None:
    """The user's sentence for a write the disk refused, or None for any other database error.

    SQLite rolls the transaction back, so nothing of the change is on disk and everything
    committed before it is intact; the user only needs to make room and save again.
    """
    text = str(error.orig).lower()
    for marker, cause in _DISK_ERRORS.items():
        if marker in text:
            return DiskProblem(
                f"This was not saved because {cause}; free some space (or check the disk) and "
                "save again. Everything saved before is safe."
            )
    return None


class RecordLocked(StoreError):
    """An attempt to change a record the rules say must not change."""


class RecordInvalid(StoreError):
    """A record that does not fit its declared schema (a hidden character in a name, a code
    no vocabulary has, text too long): nothing of the change is saved."""


_KIND_WORDS = {"young_person": "young person", "form_response": "form", "goal_score": "score"}


def _check_fits(record_type: str, patch: dict[str, Any], *, insert: bool) -> None:
    rules = rules_for(record_type)
    problem = problem_in_patch(rules, patch, insert=insert) if rules is not None else None
    if problem:
        kind = _KIND_WORDS.get(record_type, record_type.replace("_", " "))
        raise RecordInvalid(
            f"This {kind} was not saved because {problem}; correct it and save again."
        )


@dataclass
class _Changes:
    outbox: list[dict[str, Any]] = field(default_factory=list)
    audit: list[PendingAudit] = field(default_factory=list)
    to_index: dict[str, Syncable | SearchDocument] = field(default_factory=dict)
    inserted_ids: set[str] = field(default_factory=set)
    # (record type, young person id) of everything written: announced after the commit.
    touched: set[tuple[str, str | None]] = field(default_factory=set)
    bookkeeping: bool = False


def _young_person_of(record: Syncable) -> str | None:
    if isinstance(record, YoungPerson):
        return record.id
    return getattr(record, "young_person_id", None)


@functools.cache
def _insert_plan(model: type[Syncable]) -> tuple[tuple[str, ...], tuple[tuple[str, Any], ...]]:
    """The fields an insert's patch carries, and the Python-side defaults to fill first."""
    defaults = tuple(
        (column.key, column.default)
        for column in table_of(model).columns
        if column.default is not None and column.key not in BOOKKEEPING_FIELDS
    )
    return tuple(content_fields(model)), defaults


class UnitOfWork:
    """A transaction on the store; use as a context manager and call ``commit``.

    ``record_outbox=False`` is for changes that came *from* the central store (sync pull): they
    are audited and indexed but not echoed back.
    """

    def __init__(self, store: Store, *, record_outbox: bool = True) -> None:
        self.store = store
        self.actor = store.user_name
        self.record_outbox = record_outbox
        self.session = Session(bind=store.write_engine, expire_on_commit=False, autoflush=True)
        self._changes = _Changes()
        # Records the central store never accepted, which their author may correct even when
        # finalised here (a wrong clock, a reference another young person holds).
        self._correctable: set[str] = set()
        event.listen(self.session, "before_flush", self._before_flush)

    # -- the session's API, narrowed -------------------------------------------------------
    def add(self, record: Syncable) -> Syncable:
        self.session.add(record)
        return record

    def add_all(self, records: list[Syncable]) -> None:
        self.session.add_all(records)

    def get(self, model: type[T], record_id: str) -> T | None:
        record = self.session.get(model, record_id)
        return None if record is None or record.deleted else record

    def mark_changed(self, kind: str | None = None, young_person_id: str | None = None) -> None:
        """Say what this unit of work changed that the store's own bookkeeping does not see:
        records written by bulk statements (a pulled page), or, with no kind, bookkeeping such
        as conflicts, refused changes and sync settings. Announced after the commit."""
        if kind is None:
            self._changes.bookkeeping = True
        else:
            self._changes.touched.add((kind, young_person_id))

    def apply_remote(self, records: Sequence[RemoteRecord]) -> RemoteResult:
        """Write records as the central store holds them (a pulled page): the bulk path of
        store/remote_changes.py, indexed and announced with this unit of work's commit and never
        echoed to the outbox."""
        return apply_remote(self, records)

    def remote_written(
        self, record_type: str, rows: list[dict[str, Any]], existing: set[str]
    ) -> None:
        """Bookkeeping for rows the bulk path wrote: search entries by the code local writes
        use, and what the commit announces."""
        own = record_type == "young_person"
        for row in rows:
            self._changes.touched.add(
                (record_type, row["id"] if own else row.get("young_person_id"))
            )
            if record_type in INDEXED_TABLES:
                self._changes.to_index[row["id"]] = document_from_values(
                    record_type, row, is_new=row["id"] not in existing
                )

    def allow_correction(self, record: Syncable) -> None:
        """Let ``record`` change although it is finalised: only for a record the central store
        refused, which exists nowhere else. The change is audited like any other."""
        self._correctable.add(record.id)

    def send_again(self, record: Syncable, patch: dict[str, Any] | None = None) -> None:
        """Queue a refused change to ``record`` to be sent to the central store again, as a new
        operation: ``patch`` on the version held now, or (no patch) the whole record as new,
        for a refused arrival the central store keeps no trace of."""
        if patch is None:
            fields, _defaults = _insert_plan(type(record))
            patch = {name: to_json_value(getattr(record, name)) for name in fields}
            operation, base_version = "insert", 0
        else:
            operation, base_version = "update", record.version
        self._log(
            record.__tablename__,
            record.id,
            _young_person_of(record),
            operation,
            base_version,
            patch,
            utc_now(),
            {"fields": sorted(k for k, v in patch.items() if v is not None), "resent": True},
        )

    def tombstone(self, record: Syncable) -> None:
        """Mark a record deleted; it stays in the store (and syncs) as a tombstone."""
        record.deleted = True

    def audit(
        self,
        action: str,
        record: Syncable | None = None,
        *,
        young_person_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record an event that changes no record, such as opening or exporting a case."""
        self._changes.audit.append(
            PendingAudit(
                action=action,
                record_type=record.__tablename__ if record is not None else None,
                record_id=record.id if record is not None else None,
                young_person_id=young_person_id or (_young_person_of(record) if record else None),
                detail=detail or {},
                occurred_at=utc_now(),
            )
        )

    # -- bookkeeping on every flush ---------------------------------------------------------
    def _before_flush(self, session: Session, _context: object, _instances: object) -> None:
        now = utc_now()
        for record in list(session.deleted):
            if isinstance(record, Syncable):
                raise RecordLocked(
                    "Records are never deleted from the caseload; they are marked deleted instead."
                )
        for record in list(session.new):
            if isinstance(record, Syncable):
                self._stamp_new(record, now)
        for record in list(session.dirty):
            if isinstance(record, Syncable) and session.is_modified(
                record, include_collections=False
            ):
                self._stamp_changed(record, now)

    def _stamp_new(self, record: Syncable, now: datetime) -> None:
        if not record.id:
            record.id = new_id()
        record.version = 1
        record.updated_at = now
        record.updated_by = self.actor
        record.device_id = self.store.device_id
        fields, defaults = _insert_plan(type(record))
        # Fill defaults now so the patch carries what will be stored. Reading the instance's
        # __dict__ rather than its instrumented attributes keeps bulk inserts fast.
        values = record.__dict__
        for key, default in defaults:
            if values.get(key) is None:
                setattr(record, key, default.arg if default.is_scalar else default.arg(None))
        patch = {name: to_json_value(values.get(name)) for name in fields}
        _check_fits(record.__tablename__, patch, insert=True)
        detail = {"fields": sorted(k for k, v in patch.items() if v is not None)}
        self._log_record(record, "insert", 0, patch, now, detail)

    def _stamp_changed(self, record: Syncable, now: datetime) -> None:
        state = inspect(record)
        changed: dict[str, Any] = {}
        for attr in state.mapper.column_attrs:
            if attr.key in BOOKKEEPING_FIELDS:
                continue
            history = state.attrs[attr.key].history
            if history.has_changes():
                changed[attr.key] = getattr(record, attr.key)
        if not changed:
            return
        self._refuse_locked_change(record, state, changed)
        patch = {k: to_json_value(v) for k, v in changed.items()}
        _check_fits(record.__tablename__, patch, insert=False)
        base_version = record.version
        record.version = base_version + 1
        record.updated_at = now
        record.updated_by = self.actor
        record.device_id = self.store.device_id
        operation = "delete" if changed.get("deleted") is True else "update"
        self._log_record(record, operation, base_version, patch, now, {"fields": sorted(changed)})

    def _refuse_locked_change(self, record: Syncable, state: Any, changed: dict[str, Any]) -> None:
        kind = type(record).__name__
        rules = rules_for(record.__tablename__)
        if rules is not None and rules.append_only:
            raise RecordLocked(f"A saved {kind.lower()} cannot be changed; add a new one instead.")
        if isinstance(record, FINALISABLE) and record.id not in self._correctable:
            history = state.attrs["status"].history
            was = (history.deleted or history.unchanged or [None])[0]
            if was == RecordStatus.FINAL:
                raise RecordLocked(
                    f"This {kind.lower()} is finalised and cannot be edited; "
                    + (
                        "add an addendum instead."
                        if isinstance(record, Contact)
                        else "start a revision instead."
                    )
                )

    def _log(
        self,
        record_type: str,
        record_id: str,
        young_person_id: str | None,
        operation: str,
        base_version: int,
        patch: dict[str, Any],
        now: datetime,
        detail: dict[str, Any],
    ) -> None:
        self._changes.touched.add((record_type, young_person_id))
        if self.record_outbox:
            self._changes.outbox.append(
                {
                    "op_id": new_id(),
                    "record_type": record_type,
                    "record_id": record_id,
                    "operation": operation,
                    "base_version": base_version,
                    "patch": patch,
                    "created_at": now,
                }
            )
        self._changes.audit.append(
            PendingAudit(
                action=_AUDIT_ACTION[operation],
                record_type=record_type,
                record_id=record_id,
                young_person_id=young_person_id,
                detail=detail,
                occurred_at=now,
            )
        )

    def _log_record(
        self,
        record: Syncable,
        operation: str,
        base_version: int,
        patch: dict[str, Any],
        now: datetime,
        detail: dict[str, Any],
    ) -> None:
        self._log(
            record.__tablename__,
            record.id,
            _young_person_of(record),
            operation,
            base_version,
            patch,
            now,
            detail,
        )
        if record.__tablename__ in INDEXED_TABLES:
            self._changes.to_index[record.id] = record
            if operation == "insert":
                self._changes.inserted_ids.add(record.id)

    def insert_many(self, model: type[Syncable], rows: list[dict[str, Any]]) -> list[str]:
        """Insert many new records of one kind from plain values, with exactly the bookkeeping
        ``add`` gives (version, outbox, audit, search index) but without ORM objects.

        For bulk loads (demo data, imports, sync pull). Returns the ids, in order.
        """
        self.session.flush()  # pending ORM records first, so references resolve
        fields, defaults = _insert_plan(model)
        record_type = model.__tablename__
        indexed = record_type in INDEXED_TABLES
        now = utc_now()
        table_rows = []
        for values in rows:
            row = dict(values)
            for key, default in defaults:
                if row.get(key) is None:
                    row[key] = default.arg if default.is_scalar else default.arg(None)
            row["id"] = row.get("id") or new_id()
            row.update(
                version=1, updated_at=now, updated_by=self.actor, device_id=self.store.device_id
            )
            patch = {name: to_json_value(row.get(name)) for name in fields}
            _check_fits(record_type, patch, insert=True)
            young_person_id = row["id"] if model is YoungPerson else row.get("young_person_id")
            detail = {"fields": sorted(k for k, v in patch.items() if v is not None)}
            self._log(record_type, row["id"], young_person_id, "insert", 0, patch, now, detail)
            if indexed:
                self._changes.to_index[row["id"]] = document_from_values(
                    record_type, row, is_new=True
                )
            table_rows.append(row)
        if table_rows:
            self.session.execute(table_of(model).insert(), table_rows)
        return [row["id"] for row in table_rows]

    # -- commit -----------------------------------------------------------------------------
    def commit(self) -> None:
        """Write everything in one transaction. On any error nothing is written."""
        session = self.session
        session.flush()
        changes = self._changes
        if changes.outbox:
            # Core inserts: the ORM's bulk path costs several times more per row here.
            session.execute(table_of(OutboxEntry).insert(), changes.outbox)
        if changes.to_index:
            documents = [
                item
                if isinstance(item, SearchDocument)
                else replace(document_of(item), is_new=item.id in changes.inserted_ids)
                for item in changes.to_index.values()
            ]
            reindex(session, documents)
        if changes.audit:
            append_to_chain(self.session, changes.audit, self.actor, self.store.device_id)
        session.commit()
        self._changes = _Changes()
        change = change_of(
            changes.touched, sync=not self.record_outbox, bookkeeping=changes.bookkeeping
        )
        if change is not None:
            self.store.changes.announce(change)

    # -- context manager --------------------------------------------------------------------
    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.session.in_transaction():
                self.session.rollback()
            self.session.close()
        except DBAPIError:
            if exc is None:
                raise
            # After a failed write the rollback can fail too; the error that matters is exc.
        if isinstance(exc, DBAPIError):
            problem = disk_problem(exc)
            if problem is not None:
                raise problem from exc
