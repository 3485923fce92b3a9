"""The caseload's tables, as typed SQLAlchemy models.

Every record a worker creates is *syncable*: it carries a version, who changed it last, when and on
which device, and a tombstone instead of being deleted. Only the unit of work sets those columns.
The audit chain, the outbox and the store's own settings are local bookkeeping, never synced.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from keyworker_app.domain.vocabulary import (
    ActionSource,
    ActionStatus,
    CaseStatus,
    ChronologyCategory,
    ContactType,
    Gender,
    GoalStatus,
    LegalStatus,
    Outcome,
    PlacementType,
    RecordStatus,
    RiskCategory,
    Role,
    ScoreStage,
)
from keyworker_app.store.types import Code, Day, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        date: Day(),
        dict[str, Any]: JSON(),
    }


class Syncable(Base):
    """A record that travels to the central store. Subclasses are the domain's records."""

    __abstract__ = True

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[str | None] = mapped_column(String(120))
    device_id: Mapped[str | None] = mapped_column(String(36))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


# Columns that sync and audit never copy into a patch: the bookkeeping itself.
BOOKKEEPING_FIELDS = frozenset({"id", "version", "updated_at", "updated_by", "device_id"})


def _yp_fk() -> Mapped[str]:
    return mapped_column(ForeignKey("young_person.id"), index=True)


class Team(Syncable):
    __tablename__ = "team"
    name: Mapped[str] = mapped_column(String(120), unique=True)
    visiting_standard_days: Mapped[int] = mapped_column(Integer, default=7)
    caseload_cap: Mapped[int] = mapped_column(Integer, default=12)


class Staff(Syncable):
    __tablename__ = "staff"
    user_name: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Code(Role))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("team.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class YoungPerson(Syncable):
    __tablename__ = "young_person"
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    preferred_name: Mapped[str | None] = mapped_column(String(200))
    date_of_birth: Mapped[date]
    gender: Mapped[Gender | None] = mapped_column(Code(Gender))
    first_language: Mapped[str | None] = mapped_column(String(80))
    uasc: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_status: Mapped[LegalStatus | None] = mapped_column(Code(LegalStatus))
    school: Mapped[str | None] = mapped_column(String(200))
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("team.id"), index=True)
    keyworker_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(Code(CaseStatus), default=CaseStatus.OPEN)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Referral(Syncable):
    __tablename__ = "referral"
    young_person_id: Mapped[str] = _yp_fk()
    referral_date: Mapped[date | None]  # unknown for some cases imported from spreadsheets
    source: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    risk_category: Mapped[RiskCategory | None] = mapped_column(Code(RiskCategory))
    closed_date: Mapped[date | None]
    outcome: Mapped[Outcome | None] = mapped_column(Code(Outcome))


class Placement(Syncable):
    __tablename__ = "placement"
    young_person_id: Mapped[str] = _yp_fk()
    placement_type: Mapped[PlacementType] = mapped_column(Code(PlacementType))
    provider: Mapped[str | None] = mapped_column(String(200))
    in_area: Mapped[bool | None] = mapped_column(Boolean)
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    # Money in whole pence: exact on every database, no float rounding in cost reports.
    weekly_cost_pence: Mapped[int | None] = mapped_column(Integer)
    end_reason: Mapped[str | None] = mapped_column(String(200))


class Contact(Syncable):
    __tablename__ = "contact"
    __table_args__ = (
        Index("ix_contact_latest", "young_person_id", "deleted", "occurred_at"),
        Index("ix_contact_drafts", "status", "author"),
    )
    young_person_id: Mapped[str] = mapped_column(ForeignKey("young_person.id"))
    occurred_at: Mapped[datetime]
    contact_type: Mapped[ContactType] = mapped_column(Code(ContactType))
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(200))
    present: Mapped[list[str]] = mapped_column(JSON, default=list)
    purpose: Mapped[str | None] = mapped_column(String(300))
    narrative: Mapped[str] = mapped_column(Text, default="")
    own_words: Mapped[str | None] = mapped_column(Text)
    worries: Mapped[list[str]] = mapped_column(JSON, default=list)
    significant: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[RecordStatus] = mapped_column(Code(RecordStatus), default=RecordStatus.DRAFT)
    author: Mapped[str | None] = mapped_column(String(120))
    finalised_at: Mapped[datetime | None]
    finalised_by: Mapped[str | None] = mapped_column(String(120))


class Addendum(Syncable):
    """A correction or addition to a finalised contact; the contact itself never changes."""

    __tablename__ = "addendum"
    contact_id: Mapped[str] = mapped_column(ForeignKey("contact.id"), index=True)
    young_person_id: Mapped[str] = _yp_fk()
    written_at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)


class MissingEpisode(Syncable):
    __tablename__ = "missing_episode"
    young_person_id: Mapped[str] = _yp_fk()
    went_missing_at: Mapped[datetime]
    returned_at: Mapped[datetime | None]
    reported_to_police: Mapped[bool] = mapped_column(Boolean, default=False)
    return_interview_on: Mapped[date | None]
    where_found: Mapped[str | None] = mapped_column(String(200))
    exploitation_concern: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)


class Goal(Syncable):
    """A Goal Based Outcomes goal, in the young person's own words."""

    __tablename__ = "goal"
    young_person_id: Mapped[str] = _yp_fk()
    description: Mapped[str] = mapped_column(Text)
    set_on: Mapped[date]
    status: Mapped[GoalStatus] = mapped_column(Code(GoalStatus), default=GoalStatus.ACTIVE)


class GoalScore(Syncable):
    """One 0-10 score against a goal; scores are appended, never edited."""

    __tablename__ = "goal_score"
    goal_id: Mapped[str] = mapped_column(ForeignKey("goal.id"), index=True)
    young_person_id: Mapped[str] = _yp_fk()
    scored_on: Mapped[date]
    score: Mapped[int] = mapped_column(Integer)
    stage: Mapped[ScoreStage] = mapped_column(Code(ScoreStage))
    note: Mapped[str | None] = mapped_column(Text)


class Action(Syncable):
    __tablename__ = "action"
    young_person_id: Mapped[str | None] = mapped_column(ForeignKey("young_person.id"), index=True)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("team.id"))
    source: Mapped[ActionSource] = mapped_column(Code(ActionSource))
    source_id: Mapped[str | None] = mapped_column(String(36))
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), index=True)
    due_on: Mapped[date | None]
    status: Mapped[ActionStatus] = mapped_column(Code(ActionStatus), default=ActionStatus.OPEN)
    completed_on: Mapped[date | None]


class ChronologyEvent(Syncable):
    """A significant event entered by hand (significant contacts join the chronology by query)."""

    __tablename__ = "chronology_event"
    young_person_id: Mapped[str] = _yp_fk()
    occurred_on: Mapped[date]
    category: Mapped[ChronologyCategory] = mapped_column(Code(ChronologyCategory))
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str | None] = mapped_column(Text)


class FormResponse(Syncable):
    """Answers to a practice template, kept with the template version they were written in.

    A revision is a new row pointing at the one it revises, so every version stays readable.
    """

    __tablename__ = "form_response"
    young_person_id: Mapped[str | None] = mapped_column(ForeignKey("young_person.id"), index=True)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("team.id"))
    template_id: Mapped[str] = mapped_column(String(80))
    template_version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[RecordStatus] = mapped_column(Code(RecordStatus), default=RecordStatus.DRAFT)
    revision_of: Mapped[str | None] = mapped_column(ForeignKey("form_response.id"))
    revision_number: Mapped[int] = mapped_column(Integer, default=1)
    author: Mapped[str | None] = mapped_column(String(120))
    finalised_at: Mapped[datetime | None]
    finalised_by: Mapped[str | None] = mapped_column(String(120))


class FormTemplate(Syncable):
    """The definition of one template version, as it was when a response was first written."""

    __tablename__ = "form_template"
    __table_args__ = (
        UniqueConstraint(
            "template_id", "template_version", name="uq_form_template_template_id_version"
        ),
    )
    template_id: Mapped[str] = mapped_column(String(80))
    template_version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)


class SyncConflict(Base):
    """A same-field clash reported by the central store: both values, who and when."""

    __tablename__ = "sync_conflict"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # "clash": two values for one field; "proposal": an edit that arrived after the record was
    # finalised, kept for its author to add as an addendum.
    kind: Mapped[str] = mapped_column(String(10), default="clash", server_default="clash")
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))
    young_person_id: Mapped[str | None] = mapped_column(String(36), index=True)
    field: Mapped[str] = mapped_column(String(80))
    base_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    kept_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    kept_by: Mapped[str] = mapped_column(String(120))
    kept_at: Mapped[datetime]
    other_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    other_by: Mapped[str] = mapped_column(String(120))
    other_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10))
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolution: Mapped[Any] = mapped_column(JSON, nullable=True)


class AuditEvent(Base):
    """One link in the audit hash chain: who did what, when, to which record."""

    __tablename__ = "audit_event"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    device_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(40))
    record_type: Mapped[str | None] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(36))
    young_person_id: Mapped[str | None] = mapped_column(String(36), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class OutboxEntry(Base):
    """A change waiting to be pushed to the central store: a field-level patch on a base version."""

    __tablename__ = "outbox"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    op_id: Mapped[str] = mapped_column(String(36), unique=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))
    operation: Mapped[str] = mapped_column(String(10))
    base_version: Mapped[int] = mapped_column(Integer)
    patch: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class RefusedChange(Base):
    """A change the central store did not accept, with its reason: kept on the laptop until
    someone corrects and resends it, exports it or lets it go. Never synced."""

    __tablename__ = "refused_change"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    op_id: Mapped[str] = mapped_column(String(80), unique=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    young_person_id: Mapped[str | None] = mapped_column(String(36), index=True)
    operation: Mapped[str] = mapped_column(String(10))
    base_version: Mapped[int] = mapped_column(Integer)
    patch: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(30))
    refused_at: Mapped[datetime]


class SetAsideChange(Base):
    """A record the central store sent that this laptop could not apply (a reference it already
    holds, a parent it lacks, a value it cannot read): kept with the reason and tried again at
    every later pull, so one bad record never stops the rest. Never synced."""

    __tablename__ = "set_aside_change"
    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_at: Mapped[datetime | None]
    changed_by: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    set_aside_at: Mapped[datetime]
    reported: Mapped[bool] = mapped_column(Boolean, default=False)


class StoreSetting(Base):
    """Facts about this store: its device id, the local user, the schema it was created with."""

    __tablename__ = "store_setting"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def table_of(model: type[Base]) -> Table:
    """A model's table, typed as the Table it is (``__table__`` is typed as any FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


SYNCABLE_MODELS: tuple[type[Syncable], ...] = (
    Team,
    Staff,
    YoungPerson,
    Referral,
    Placement,
    Contact,
    Addendum,
    MissingEpisode,
    Goal,
    GoalScore,
    Action,
    ChronologyEvent,
    FormResponse,
    FormTemplate,
)
RECORD_TYPES: dict[str, type[Syncable]] = {m.__tablename__: m for m in SYNCABLE_MODELS}
