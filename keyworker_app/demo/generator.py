"""``generate_demo``: fill a caseload with plainly synthetic, reproducible demo data.

One ``random.Random(seed)`` drives every choice, ids included, so the same seed and ``today``
on an empty store give the same caseload. Young people are written in batches, each batch (with
everything belonging to its young people) in one unit of work, so an interrupted run leaves
whole young people only.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import select

from keyworker_app.demo.casefile import plan_case
from keyworker_app.demo.chronology import add_chronology
from keyworker_app.demo.clock import uk_moment
from keyworker_app.demo.goals import add_goals, add_management_actions
from keyworker_app.demo.narratives import NoteWriter
from keyworker_app.demo.practice_forms import DemoPeople, add_practice_forms
from keyworker_app.demo.records import Allocation, CaseBuilder, CaseRecords
from keyworker_app.demo.staffing import allocate, staff_the_teams
from keyworker_app.demo.wordlists import WordLists, word_lists
from keyworker_app.domain.ids import new_id
from keyworker_app.forms.library import load_library
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import (
    Action,
    Addendum,
    ChronologyEvent,
    Contact,
    Goal,
    GoalScore,
    MissingEpisode,
    Placement,
    Referral,
    Syncable,
    YoungPerson,
)

REFERENCE_PREFIX = "DEMO-"
BATCH_SIZE = 25  # young people per unit of work: about 2,000 records, well under a second
# Parents before children: each bulk insert is checked against the foreign keys at once.
INSERT_ORDER: tuple[type[Syncable], ...] = (
    YoungPerson,
    Referral,
    Placement,
    Contact,
    MissingEpisode,
    Goal,
    ChronologyEvent,
    Addendum,
    GoalScore,
    Action,
)
MAX_YOUNG_PEOPLE = 100_000
MAX_YEARS = 10
CLOSED_SHARE = 0.3
UASC_SHARE = 0.2


@dataclass
class DemoSummary:
    """What one run added. ``teams`` counts the teams used (created or reused); ``staff`` the
    staff created; the rest count new records."""

    teams: int = 0
    staff: int = 0
    young_people: int = 0
    referrals: int = 0
    placements: int = 0
    contacts: int = 0
    draft_contacts: int = 0
    addenda: int = 0
    missing_episodes: int = 0
    goals: int = 0
    goal_scores: int = 0
    actions: int = 0
    chronology_events: int = 0
    practice_forms: int = 0
    form_templates: int = 0  # the template versions the practice forms were written in

    def add(self, counts: Counter[str], drafts: int) -> None:
        self.young_people += counts["young_person"]
        self.referrals += counts["referral"]
        self.placements += counts["placement"]
        self.contacts += counts["contact"]
        self.draft_contacts += drafts
        self.addenda += counts["addendum"]
        self.missing_episodes += counts["missing_episode"]
        self.goals += counts["goal"]
        self.goal_scores += counts["goal_score"]
        self.actions += counts["action"]
        self.chronology_events += counts["chronology_event"]

    @property
    def records(self) -> int:
        """How many records were written (teams reused and drafts are not extra records)."""
        skip = {"teams", "draft_contacts"}
        return sum(getattr(self, f.name) for f in fields(self) if f.name not in skip)

    def describe(self) -> str:
        return (
            f"{self.young_people:,} young people in {self.teams} teams "
            f"({self.staff} new staff), {self.contacts:,} contacts "
            f"({self.draft_contacts} drafts), {self.placements:,} placements, "
            f"{self.missing_episodes:,} missing episodes, {self.goals:,} goals with "
            f"{self.goal_scores:,} scores, {self.actions:,} actions, {self.addenda:,} addenda "
            f"{self.chronology_events:,} chronology events and "
            f"{self.practice_forms:,} practice records (formulations, deep dives)"
        )


def _validate(young_people: int, years: int) -> None:
    if isinstance(young_people, bool) or not isinstance(young_people, int):
        raise ValueError("The number of young people must be a whole number.")
    if not 1 <= young_people <= MAX_YOUNG_PEOPLE:
        raise ValueError(
            f"The number of young people must be between 1 and {MAX_YOUNG_PEOPLE:,}; "
            f"{young_people} was given."
        )
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= MAX_YEARS:
        raise ValueError(
            f"The number of years must be a whole number from 1 to {MAX_YEARS}; {years} was given."
        )


def generate_demo(
    store: Store,
    *,
    young_people: int,
    seed: int,
    years: int = 1,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Add ``young_people`` synthetic young people, referred over the last ``years`` years,
    with their teams, staff and records.

    Raises ValueError for a count or period out of range. ``progress(done, total)`` is called
    after each committed batch.
    """
    _validate(young_people, years)
    today = today or date.today()
    rng = random.Random(seed)
    words = word_lists()
    period_start = today - timedelta(days=round(years * 365.25))
    # Decided up front so the teams can be staffed for their open caseloads before any case.
    closed = [rng.random() < CLOSED_SHARE for _ in range(young_people)]
    uasc = [rng.random() < UASC_SHARE for _ in range(young_people)]
    team_count = 2 if young_people <= 40 else 3 if young_people <= 150 else 4
    team_of = [rng.randrange(team_count) for _ in range(young_people)]
    open_cases = [0] * team_count
    for team_index, is_closed in zip(team_of, closed, strict=True):
        open_cases[team_index] += not is_closed
    staffing = staff_the_teams(store, rng, words, open_cases, created=period_start)
    allocations = allocate(rng, staffing, team_of, closed)
    summary = DemoSummary(teams=team_count, staff=staffing.staff_created)
    first_number = _next_reference_number(store)
    # Their own random stream, so adding practice forms leaves every other record as it was.
    forms_rng = random.Random(seed * 7919 + 17)
    library = load_library()
    latest = uk_moment(today - timedelta(days=1), 23 * 60 + 30)
    for start in range(0, young_people, BATCH_SIZE):
        stop = min(young_people, start + BATCH_SIZE)
        cases = [
            _build_case(
                rng,
                words,
                allocations[i],
                reference=f"{REFERENCE_PREFIX}{first_number + i:05d}",
                closed=closed[i],
                uasc=uasc[i],
                today=today,
                period_start=period_start,
                latest=latest,
            )
            for i in range(start, stop)
        ]
        _write(store, cases)
        practice = add_practice_forms(
            store,
            forms_rng,
            library,
            [_people(case, today) for case in cases],
            staffing.clinician.id,
        )
        summary.practice_forms += practice["form_response"]
        summary.form_templates += practice["form_template"]
        summary.actions += practice["action"]
        for case in cases:
            summary.add(case.counts(), case.drafts())
        if progress is not None:
            progress(stop, young_people)
    return summary


def _people(case: CaseRecords, today: date) -> DemoPeople:
    person = next(r for r in case.records if isinstance(r, YoungPerson))
    referral = next(r for r in case.records if isinstance(r, Referral))
    assert referral.referral_date is not None
    return DemoPeople(
        young_person_id=person.id,
        keyworker_id=person.keyworker_id,
        referral_date=referral.referral_date,
        last_day=min(referral.closed_date or today, today) - timedelta(days=1),
    )


def _write(store: Store, cases: list[CaseRecords]) -> None:
    """One unit of work for the batch; parents are inserted before the records that point at
    them (foreign keys are checked on each insert)."""
    by_model: dict[type[Syncable], list[dict[str, Any]]] = {model: [] for model in INSERT_ORDER}
    for case in cases:
        for record in case.records:
            by_model[type(record)].append(_column_values(record))
    with store.unit_of_work() as uow:
        for model, rows in by_model.items():
            if rows:
                uow.insert_many(model, rows)
        uow.commit()


def _column_values(record: Syncable) -> dict[str, Any]:
    """Every column (so all rows of a kind share keys); unset ones are None, which the bulk
    insert replaces with the column default."""
    values = record.__dict__
    return {key: values.get(key) for key in _column_keys(type(record))}


@cache
def _column_keys(model: type[Syncable]) -> tuple[str, ...]:
    return tuple(model.__table__.columns.keys())


def _build_case(
    rng: random.Random,
    words: WordLists,
    allocation: Allocation,
    *,
    reference: str,
    closed: bool,
    uasc: bool,
    today: date,
    period_start: date,
    latest: datetime,
) -> CaseRecords:
    plan = plan_case(rng, words, today=today, period_start=period_start, closed=closed, uasc=uasc)
    referred = plan.referral_date
    person_id = new_id(
        at=datetime(referred.year, referred.month, referred.day, 9, tzinfo=UTC), rng=rng
    )
    case = CaseBuilder(
        rng=rng,
        words=words,
        plan=plan,
        staff=allocation,
        person_id=person_id,
        latest=latest,
        today=today,
        writer=NoteWriter(rng, words, plan),
    )
    case.young_person(reference)
    case.placements()
    episodes = case.missing_episodes()
    case.contacts(episodes)
    add_goals(case)
    add_management_actions(case)
    add_chronology(case, episodes)
    return case.records


def _next_reference_number(store: Store) -> int:
    """One past the highest DEMO- reference already in the store, so runs never collide."""
    with store.reading() as session:
        references = session.scalars(
            select(YoungPerson.reference).where(YoungPerson.reference.like(f"{REFERENCE_PREFIX}%"))
        )
        numbers = [
            int(tail) for ref in references if (tail := ref[len(REFERENCE_PREFIX) :]).isdigit()
        ]
    return max(numbers, default=0) + 1
