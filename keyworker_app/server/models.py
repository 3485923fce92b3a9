"""The central store's tables. Case records are kept as versioned JSON documents of the same
records the desktop holds; everything needed to decide who may see them is in columns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ServerBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[ServerBase]) -> Table:
    """A model's table, typed as the Table it is (``__table__`` is typed as any FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class Account(ServerBase):
    """Someone who signs in. Case workers have a staff record that syncs; admins do not."""

    __tablename__ = "account"
    user_name: Mapped[str] = mapped_column(String(120), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[str | None] = mapped_column(String(36))
    staff_id: Mapped[str | None] = mapped_column(String(36))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Device(ServerBase):
    __tablename__ = "device"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("account.user_name"))
    name: Mapped[str] = mapped_column(String(200), default="")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pending: Mapped[int] = mapped_column(Integer, default=0)


class Token(ServerBase):
    """Access and refresh tokens, stored hashed so a copy of the database grants nothing."""

    __tablename__ = "token"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    user_name: Mapped[str] = mapped_column(ForeignKey("account.user_name"))
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Record(ServerBase):
    """The current version of one synced record."""

    __tablename__ = "record"
    __table_args__ = (Index("ix_record_young_person", "young_person_id"),)
    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    young_person_id: Mapped[str | None] = mapped_column(String(36))
    team_id: Mapped[str | None] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(120))
    device_id: Mapped[str | None] = mapped_column(String(36))


class RecordVersion(ServerBase):
    """Every accepted version of every record: the bases that merges compare against."""

    __tablename__ = "record_version"
    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    device_id: Mapped[str | None] = mapped_column(String(36))  # None: written on the store


class ChangeEntry(ServerBase):
    """The change feed devices pull. ``seq`` is allocated under a lock held to commit, so a
    later number never becomes visible before an earlier one."""

    __tablename__ = "change_entry"
    __table_args__ = (Index("ix_change_entry_young_person", "young_person_id"),)
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(String(10))  # "record" or "conflict"
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))
    young_person_id: Mapped[str | None] = mapped_column(String(36))
    team_id: Mapped[str | None] = mapped_column(String(36))


class SequenceCounter(ServerBase):
    __tablename__ = "sequence_counter"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class AppliedOp(ServerBase):
    """Each pushed operation's outcome, so a retried push gets the same answer."""

    __tablename__ = "applied_op"
    op_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10))
    version: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(30))
    conflict_ids: Mapped[list[str]] = mapped_column(JSON, default=list)


class Conflict(ServerBase):
    """A same-field clash (``kind`` "clash"), or an edit that arrived after the record was
    finalised (``kind`` "proposal"): kept for its author to add as an addendum, never merged."""

    __tablename__ = "conflict"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="clash", server_default="clash")
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))
    young_person_id: Mapped[str | None] = mapped_column(String(36), index=True)
    team_id: Mapped[str | None] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(80))
    base_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    kept_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    kept_by: Mapped[str] = mapped_column(String(120))
    kept_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    other_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    other_by: Mapped[str] = mapped_column(String(120))
    other_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default="open")
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolution: Mapped[Any] = mapped_column(JSON, nullable=True)


class ReferenceClaim(ServerBase):
    """Which young person holds a reference (as people compare them: case ignored)."""

    __tablename__ = "reference_claim"
    reference_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    young_person_id: Mapped[str] = mapped_column(String(36))


class Restriction(ServerBase):
    """Who may see a restricted young person (no one else, whatever their team)."""

    __tablename__ = "restriction"
    young_person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(120), primary_key=True)


class ServerAudit(ServerBase):
    """The central store's own audit log, hash-chained (``server/audit_log.py``): ``seq`` runs
    from 1 with no gaps and is given at commit under the head row's lock."""

    __tablename__ = "server_audit"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    device_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Unique: two events following the same one would be a fork, refused rather than kept.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))


class ServerAuditHead(ServerBase):
    """One row: the number and hash of the audit log's last event, so removing the last events
    is found as surely as removing any other."""

    __tablename__ = "server_audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class DeviceAudit(ServerBase):
    """Audit events recorded on devices, as pushed (hash chain preserved)."""

    __tablename__ = "device_audit"
    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
