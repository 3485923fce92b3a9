"""The sync protocol: the messages the desktop and the central store exchange (pydantic, so the
server's OpenAPI schema describes them exactly)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

PROTOCOL_VERSION = 1


def as_utc(moment: datetime) -> datetime:
    # Some databases hand back naive datetimes; everything on the wire is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


UtcDateTime = Annotated[datetime, AfterValidator(as_utc)]
MAX_PUSH_OPS = 2000
# Counters stay exact as JSON numbers in any client (and fit every database's integers).
MAX_COUNTER = 2**53 - 1
MAX_PULL_PAGE = 2000


class LoginRequest(BaseModel):
    user: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=1000)
    device_id: str = Field(min_length=1, max_length=36)
    device_name: str = Field(default="", max_length=200)


class UserInfo(BaseModel):
    user_name: str
    display_name: str
    role: str
    team: str | None
    staff_id: str | None


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    expires_in: int
    user: UserInfo


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)
    device_id: str = Field(min_length=1, max_length=36)


# A field's value in a patch, as a laptop's columns hold it. Whole numbers stay exact in JSON
# (and so within SQLite's integers): one beyond 2**63 was accepted centrally, then failed every
# laptop's pull with an OverflowError. No column holds a float (and a float member here would
# take in big integers as floats).
PatchValue = (
    Annotated[int, Field(ge=-MAX_COUNTER, le=MAX_COUNTER)]
    | str
    | bool
    | list[Any]
    | dict[str, Any]
    | None
)


class PushOp(BaseModel):
    op_id: str = Field(min_length=1, max_length=80)
    record_type: str = Field(min_length=1, max_length=40)
    record_id: str = Field(min_length=1, max_length=36)
    operation: Literal["insert", "update", "delete"]
    base_version: int = Field(ge=0, le=MAX_COUNTER)
    patch: dict[str, PatchValue]
    created_at: datetime | None = None


class DeviceAuditEvent(BaseModel):
    seq: int = Field(ge=0, le=MAX_COUNTER)
    occurred_at: str
    actor: str
    action: str
    record_type: str | None = None
    record_id: str | None = None
    young_person_id: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    hash: str


class SetAside(BaseModel):
    """A pulled record the laptop could not apply, reported so the central store's log shows it
    (what and why; never the record's content)."""

    record_type: str = Field(max_length=40)
    record_id: str = Field(max_length=36)
    version: int = Field(ge=0, le=MAX_COUNTER)
    reason: str = Field(max_length=300)


class PushRequest(BaseModel):
    ops: list[PushOp] = Field(default_factory=list, max_length=MAX_PUSH_OPS)
    audit: list[DeviceAuditEvent] = Field(default_factory=list, max_length=MAX_PUSH_OPS)
    set_aside: list[SetAside] = Field(default_factory=list, max_length=MAX_PUSH_OPS)
    pending: int = Field(
        default=0, ge=0, le=2**31 - 1, description="changes still waiting on the device"
    )


class Change(BaseModel):
    record_type: str
    record_id: str
    version: int
    deleted: bool
    data: dict[str, Any]
    updated_at: UtcDateTime | None = None
    updated_by: str | None = None


class OpResult(BaseModel):
    op_id: str
    status: Literal["accepted", "conflict", "rejected"]
    version: int | None = None
    reason: str | None = None
    code: str | None = Field(
        default=None,
        description="why a change was refused, for the laptop to offer the way out: "
        "duplicate_reference (rename or merge), clock (correct the time), refused (anything else)",
    )
    conflict_ids: list[str] = Field(default_factory=list)
    current: Change | None = Field(
        default=None,
        description="for a refused change to a record the user may see: the record as the "
        "central store holds it, so the laptop shows what was accepted",
    )


class AuditAnchor(BaseModel):
    """The head of a laptop's audit chain as the central store holds it after a push: events up
    to ``seq`` are kept centrally, so removing or changing them on the laptop shows."""

    seq: int = Field(ge=0, le=MAX_COUNTER)
    hash: str = Field(max_length=64)
    anchored_at: UtcDateTime


class PushResponse(BaseModel):
    results: list[OpResult]
    anchor: AuditAnchor | None = None


class PullRequest(BaseModel):
    cursor: int = Field(default=0, ge=0, le=MAX_COUNTER)
    limit: int = Field(default=1000, ge=1, le=MAX_PULL_PAGE)
    held: list[str] | None = Field(
        default=None, description="young person ids the device holds (first page only)"
    )


class ConflictInfo(BaseModel):
    id: str
    kind: Literal["clash", "proposal"] = Field(
        default="clash",
        description="clash: two values for one field; proposal: an edit that arrived after the "
        "record was finalised, kept for its author to add as an addendum",
    )
    record_type: str
    record_id: str
    young_person_id: str | None
    field: str
    base_value: Any = None
    kept_value: Any = None
    kept_by: str
    kept_at: UtcDateTime
    other_value: Any = None
    other_by: str
    other_at: UtcDateTime
    status: Literal["open", "resolved"]
    resolved_by: str | None = None
    resolution: Any = None


class PullResponse(BaseModel):
    changes: list[Change]
    conflicts: list[ConflictInfo]
    removed: list[str] = Field(default_factory=list, description="young people no longer visible")
    cursor: int
    more: bool
    latest: int = Field(
        default=0, ge=0, description="the newest change number: how far the pull has to go"
    )


class KeepOneSide(BaseModel):
    keep: Literal["kept", "other"]


class KeepText(BaseModel):
    keep: Literal["text"]
    text: str = Field(max_length=100_000)


class AddAsAddendum(BaseModel):
    keep: Literal["addendum"]


# How to settle a conflict: keep the value that stood, the other one, or new text; a proposal
# on a finalised record is kept as it is ("kept") or added as an addendum.
ResolveRequest = Annotated[KeepOneSide | KeepText | AddAsAddendum, Field(discriminator="keep")]


class WorkerStatus(BaseModel):
    user_name: str
    display_name: str
    last_sync: UtcDateTime | None
    pending: int


class ErrorBody(BaseModel):
    detail: str
