"""The caseload as a worker sees it: one row per young person, with the figures that matter today.

Built from a handful of grouped queries rather than one query per young person, so a caseload of
thousands loads in well under a second.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.domain.dates import age_on
from keyworker_app.domain.goals import Trend, overall_trend
from keyworker_app.domain.vocabulary import (
    ActionStatus,
    CaseStatus,
    LegalStatus,
    PlacementType,
    RiskCategory,
)
from keyworker_app.store.models import (
    Action,
    Contact,
    GoalScore,
    Placement,
    Referral,
    Staff,
    Team,
    YoungPerson,
)

PERSON_COLUMNS = (
    "id",
    "reference",
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "status",
    "legal_status",
    "restricted",
    "uasc",
    "team_id",
    "keyworker_id",
)


class Scope(StrEnum):
    MINE = "mine"
    TEAM = "team"
    ALL = "all"


@dataclass(frozen=True)
class CaseloadRow:
    young_person_id: str
    reference: str
    given_name: str
    family_name: str
    preferred_name: str | None
    date_of_birth: date
    age: int
    status: CaseStatus
    legal_status: LegalStatus | None
    restricted: bool
    uasc: bool
    team: str | None
    keyworker: str | None
    keyworker_user_name: str | None
    placement_type: PlacementType | None
    risk_category: RiskCategory | None
    last_contact: datetime | None
    days_since_contact: int | None
    visiting_standard_days: int
    open_actions: int
    overdue_actions: int
    goal_trend: Trend

    @property
    def display_name(self) -> str:
        given = self.preferred_name or self.given_name
        return f"{given} {self.family_name}"

    @property
    def overdue_for_visit(self) -> bool:
        return self.status == CaseStatus.OPEN and (
            self.days_since_contact is None or self.days_since_contact > self.visiting_standard_days
        )


def _first_per_young_person(rows: Iterable[Any]) -> dict[str, Any]:
    """The first value for each young person from rows already ordered newest first."""
    first: dict[str, Any] = {}
    for young_person_id, value in rows:
        first.setdefault(young_person_id, value)
    return first


def caseload(
    session: Session,
    *,
    scope: Scope = Scope.ALL,
    user_name: str | None = None,
    include_closed: bool = True,
    today: date | None = None,
    visiting_standard_days: int | None = None,
) -> list[CaseloadRow]:
    """The young people in ``scope`` for ``user_name``, sorted by family then given name.
    ``visiting_standard_days`` is the organisation's standard; None: each team's own."""
    today = today or date.today()
    # Plain columns, not ORM objects: thousands of rows load several times faster.
    columns = [getattr(YoungPerson, name) for name in PERSON_COLUMNS]
    query = select(*columns).where(YoungPerson.deleted.is_(False))
    if not include_closed:
        query = query.where(YoungPerson.status == CaseStatus.OPEN)
    if scope != Scope.ALL:
        me = session.scalars(select(Staff).where(Staff.user_name == user_name)).first()
        if me is None:
            return []
        if scope == Scope.MINE:
            query = query.where(YoungPerson.keyworker_id == me.id)
        else:
            query = query.where(YoungPerson.team_id == me.team_id)
    # Core rows through the session's connection: the ORM layer adds nothing for plain columns.
    conn = session.connection()
    people = conn.execute(query).all()

    teams = {t.id: t for t in session.scalars(select(Team))}
    staff = {s.id: s for s in session.scalars(select(Staff))}
    # One index seek per young person (ix_contact_latest); a GROUP BY would read every contact.
    latest = (
        select(Contact.occurred_at)
        .where(Contact.young_person_id == YoungPerson.id, Contact.deleted.is_(False))
        .order_by(Contact.occurred_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    last_contact = dict(
        conn.execute(select(YoungPerson.id, latest).where(YoungPerson.deleted.is_(False))).all()
    )
    placements = _first_per_young_person(
        conn.execute(
            select(Placement.young_person_id, Placement.placement_type)
            .where(Placement.deleted.is_(False), Placement.end_date.is_(None))
            .order_by(Placement.young_person_id, Placement.start_date.desc())
        ).all(),
    )
    referrals = _first_per_young_person(
        conn.execute(
            select(Referral.young_person_id, Referral.risk_category)
            .where(Referral.deleted.is_(False))
            .order_by(Referral.young_person_id, Referral.referral_date.desc())
        ).all(),
    )
    open_actions: dict[str, int] = {}
    overdue_actions: dict[str, int] = {}
    for young_person_id, due_on in conn.execute(
        select(Action.young_person_id, Action.due_on).where(
            Action.deleted.is_(False), Action.status == ActionStatus.OPEN
        )
    ):
        if young_person_id is None:
            continue  # a team's own action: on no young person's row
        open_actions[young_person_id] = open_actions.get(young_person_id, 0) + 1
        if due_on is not None and due_on < today:
            overdue_actions[young_person_id] = overdue_actions.get(young_person_id, 0) + 1

    scores: dict[str, dict[str, list[int]]] = {}
    # Sorted here rather than by SQL: cheaper than SQLite sorting every score.
    for young_person_id, goal_id, score, _ in sorted(
        conn.execute(
            select(
                GoalScore.young_person_id, GoalScore.goal_id, GoalScore.score, GoalScore.scored_on
            ).where(GoalScore.deleted.is_(False))
        ),
        key=lambda row: row[3],
    ):
        scores.setdefault(young_person_id, {}).setdefault(goal_id, []).append(score)

    rows = []
    for person in people:
        team = teams.get(person.team_id or "")
        worker = staff.get(person.keyworker_id or "")
        raw_last = last_contact.get(person.id)
        last = datetime.fromisoformat(raw_last) if isinstance(raw_last, str) else raw_last
        rows.append(
            CaseloadRow(
                young_person_id=person.id,
                reference=person.reference,
                given_name=person.given_name,
                family_name=person.family_name,
                preferred_name=person.preferred_name,
                date_of_birth=person.date_of_birth,
                age=age_on(person.date_of_birth, today),
                status=person.status,
                legal_status=person.legal_status,
                restricted=person.restricted,
                uasc=person.uasc,
                team=team.name if team else None,
                keyworker=worker.display_name if worker else None,
                keyworker_user_name=worker.user_name if worker else None,
                placement_type=placements.get(person.id),
                risk_category=referrals.get(person.id),
                last_contact=last,
                days_since_contact=(today - last.astimezone().date()).days if last else None,
                visiting_standard_days=(
                    visiting_standard_days or (team.visiting_standard_days if team else 7)
                ),
                open_actions=open_actions.get(person.id, 0),
                overdue_actions=overdue_actions.get(person.id, 0),
                goal_trend=overall_trend(list(scores.get(person.id, {}).values())),
            )
        )
    rows.sort(key=lambda r: (r.family_name.casefold(), r.given_name.casefold(), r.reference))
    return rows
