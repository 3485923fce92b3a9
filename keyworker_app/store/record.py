"""Everything shown on one young person's record, read in one snapshot.

Records come back detached from the session: plain objects a screen or a report can hold
without touching the store again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.domain.dates import age_on
from keyworker_app.domain.goals import Trend, goal_trend, overall_trend
from keyworker_app.domain.vocabulary import ActionStatus
from keyworker_app.store.chronology import ChronologyEntry, merge_chronology
from keyworker_app.store.models import (
    Action,
    Addendum,
    ChronologyEvent,
    Contact,
    FormResponse,
    Goal,
    GoalScore,
    MissingEpisode,
    Placement,
    Referral,
    Staff,
    Team,
    YoungPerson,
)
from keyworker_app.store.recording import NotFound

# Missing episodes this recent flag the young person as at risk of going missing.
MISSING_RISK_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class GoalProgress:
    goal: Goal
    scores: list[GoalScore]

    @property
    def trend(self) -> Trend:
        return goal_trend([s.score for s in self.scores])


@dataclass
class YoungPersonRecord:
    person: YoungPerson
    age: int
    team: Team | None
    keyworker: Staff | None
    referrals: list[Referral]  # oldest first
    placements: list[Placement]
    contacts: list[Contact]
    addenda: dict[str, list[Addendum]]
    missing_episodes: list[MissingEpisode]
    goals: list[GoalProgress]
    actions: list[Action]
    chronology: list[ChronologyEntry]
    chronology_events: list[ChronologyEvent]  # the manual ones, as recorded
    form_responses: list[FormResponse]
    staff_names: dict[str, str] = field(default_factory=dict)  # staff id -> name
    user_names: dict[str, str] = field(default_factory=dict)  # user name -> name
    today: date = field(default_factory=date.today)

    @property
    def referral(self) -> Referral | None:
        """The latest referral (the one the service is working on now)."""
        return self.referrals[-1] if self.referrals else None

    @property
    def current_placement(self) -> Placement | None:
        current = [p for p in self.placements if p.end_date is None or p.end_date >= self.today]
        return current[-1] if current else None

    @property
    def missing_risk(self) -> bool:
        cutoff = self.today - MISSING_RISK_WINDOW
        return any(m.went_missing_at.date() >= cutoff for m in self.missing_episodes)

    @property
    def goal_trend(self) -> Trend:
        return overall_trend([[s.score for s in g.scores] for g in self.goals])

    def name_of(self, user_name: str | None) -> str:
        """A worker's name for display, from the user name records carry."""
        if not user_name:
            return "–"
        return self.user_names.get(user_name, user_name)

    def overdue(self, action: Action) -> bool:
        return (
            action.status == ActionStatus.OPEN
            and action.due_on is not None
            and action.due_on < self.today
        )


def _live(model: Any, young_person_id: str) -> Any:
    # Every record type here has a young person and a tombstone; the model is typed loosely so
    # one query serves them all.
    return select(model).where(model.young_person_id == young_person_id, model.deleted.is_(False))


def load_record(
    session: Session, young_person_id: str, *, today: date | None = None
) -> YoungPersonRecord:
    """The whole record of one young person. Raises NotFound."""
    today = today or date.today()
    person = session.get(YoungPerson, young_person_id)
    if person is None or person.deleted:
        raise NotFound("That young person is not in this caseload.")
    staff = {s.id: s for s in session.scalars(select(Staff))}
    addenda: dict[str, list[Addendum]] = {}
    for addendum in session.scalars(_live(Addendum, person.id).order_by(Addendum.written_at)):
        addenda.setdefault(addendum.contact_id, []).append(addendum)
    scores: dict[str, list[GoalScore]] = {}
    for score in session.scalars(
        _live(GoalScore, person.id).order_by(GoalScore.scored_on, GoalScore.id)
    ):
        scores.setdefault(score.goal_id, []).append(score)
    contacts = list(session.scalars(_live(Contact, person.id).order_by(Contact.occurred_at.desc())))
    events = list(
        session.scalars(_live(ChronologyEvent, person.id).order_by(ChronologyEvent.occurred_on))
    )
    record = YoungPersonRecord(
        person=person,
        age=age_on(person.date_of_birth, today),
        team=session.get(Team, person.team_id) if person.team_id else None,
        keyworker=staff.get(person.keyworker_id or ""),
        # Referrals with an unknown date (from spreadsheets) count as the oldest.
        referrals=sorted(
            session.scalars(_live(Referral, person.id)),
            key=lambda r: r.referral_date or date.min,
        ),
        placements=list(
            session.scalars(_live(Placement, person.id).order_by(Placement.start_date))
        ),
        contacts=contacts,
        addenda=addenda,
        missing_episodes=list(
            session.scalars(
                _live(MissingEpisode, person.id).order_by(MissingEpisode.went_missing_at.desc())
            )
        ),
        goals=[
            GoalProgress(goal, scores.get(goal.id, []))
            for goal in session.scalars(_live(Goal, person.id).order_by(Goal.set_on))
        ],
        actions=list(session.scalars(_live(Action, person.id).order_by(Action.due_on))),
        chronology=merge_chronology(contacts, events),
        chronology_events=events,
        form_responses=list(
            session.scalars(_live(FormResponse, person.id).order_by(FormResponse.updated_at.desc()))
        ),
        staff_names={s.id: s.display_name for s in staff.values()},
        user_names={s.user_name: s.display_name for s in staff.values()},
        today=today,
    )
    return record
