"""The synthetic demo caseload: reproducible, plausible, safe to add to a store twice."""

from __future__ import annotations

import itertools
import os
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from keyworker_app.demo import DemoSummary, generate_demo
from keyworker_app.demo.generator import BATCH_SIZE
from keyworker_app.domain.dates import age_on
from keyworker_app.domain.vocabulary import (
    ActionStatus,
    CaseStatus,
    PlacementType,
    RecordStatus,
    RiskCategory,
    Role,
    ScoreStage,
)
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.integrity import check_store
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
from keyworker_app.store.search import search

TODAY = date(2025, 3, 14)
MIDNIGHT = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")
GEEZ_SCRIPT = re.compile(r"[\u1200-\u137F]")
# The brief's weekly cost ranges, in pounds.
COSTS = {
    PlacementType.KINSHIP: (0, 300),
    PlacementType.IN_HOUSE_FOSTERING: (350, 550),
    PlacementType.IFA: (800, 1200),
    PlacementType.SUPPORTED_ACCOMMODATION: (900, 1600),
    PlacementType.ASSESSMENT_BED: (2000, 3200),
    PlacementType.IN_HOUSE_RESIDENTIAL: (2500, 3500),
    PlacementType.EXTERNAL_RESIDENTIAL: (3500, 6500),
    PlacementType.SECURE: (6000, 8000),
}


def new_store(folder: Path, user_name: str = "tester") -> Store:
    return Store.create(folder / "data", os.urandom(32), user_name=user_name)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, DemoSummary]]:
    """60 young people over two years, shared by the read-only checks below."""
    store = new_store(tmp_path_factory.mktemp("demo"))
    summary = generate_demo(store, young_people=60, seed=7, years=2, today=TODAY)
    yield store, summary
    store.close()


def rows(store: Store, model: type[Any]) -> list[Any]:
    with store.reading() as session:
        return list(session.scalars(select(model)))


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the same seed must reproduce, ids included."""
    people = sorted(rows(store, YoungPerson), key=lambda y: y.reference)
    return {
        "people": [
            (y.id, y.reference, y.given_name, y.family_name, y.date_of_birth, y.legal_status)
            for y in people
        ],
        "contacts": sorted(
            (c.id, c.young_person_id, c.occurred_at, c.contact_type, c.narrative, c.status)
            for c in rows(store, Contact)
        ),
        "placements": sorted(
            (p.id, p.placement_type, p.start_date, p.weekly_cost_pence)
            for p in rows(store, Placement)
        ),
        "scores": sorted((s.id, s.scored_on, s.score) for s in rows(store, GoalScore)),
        "staff": sorted((s.id, s.user_name, s.display_name) for s in rows(store, Staff)),
    }


# -- reproducible -------------------------------------------------------------------------------
def test_the_same_seed_and_day_give_the_same_caseload(store: Store, tmp_path: Path) -> None:
    other = new_store(tmp_path / "second")
    try:
        first = generate_demo(store, young_people=30, seed=11, years=2, today=TODAY)
        second = generate_demo(other, young_people=30, seed=11, years=2, today=TODAY)
        assert first == second
        assert snapshot(store) == snapshot(other)
        assert len(snapshot(store)["contacts"]) == first.contacts > 0
    finally:
        other.close()


def test_different_seeds_give_different_caseloads(store: Store, tmp_path: Path) -> None:
    other = new_store(tmp_path / "second")
    try:
        generate_demo(store, young_people=10, seed=1, today=TODAY)
        generate_demo(other, young_people=10, seed=2, today=TODAY)
        one, two = snapshot(store), snapshot(other)
        assert [p[2:4] for p in one["people"]] != [p[2:4] for p in two["people"]]
        assert [c[4] for c in one["contacts"]] != [c[4] for c in two["contacts"]]
    finally:
        other.close()


# -- plausible ----------------------------------------------------------------------------------
def test_summary_matches_what_was_written(demo: tuple[Store, DemoSummary]) -> None:
    store, summary = demo
    with store.reading() as session:

        def count(model: type[Any]) -> int:
            return session.scalar(select(func.count()).select_from(model)) or 0

        assert count(YoungPerson) == summary.young_people == 60
        assert count(Referral) == summary.referrals == 60
        assert count(Contact) == summary.contacts
        assert count(Placement) == summary.placements
        assert count(MissingEpisode) == summary.missing_episodes
        assert count(Goal) == summary.goals
        assert count(GoalScore) == summary.goal_scores
        assert count(Action) == summary.actions
        assert count(Addendum) == summary.addenda
        assert count(ChronologyEvent) == summary.chronology_events
    assert summary.contacts / summary.young_people > 15  # one or two contacts a week
    assert "60 young people" in summary.describe()
    assert all(f.ok for f in check_store(store)), check_store(store)


def test_young_people_are_adolescents_with_a_mix_of_needs(
    demo: tuple[Store, DemoSummary],
) -> None:
    store, _ = demo
    people = rows(store, YoungPerson)
    assert {age_on(y.date_of_birth, TODAY) for y in people} <= set(range(11, 18))
    uasc = [y for y in people if y.uasc]
    assert 0.05 <= len(uasc) / len(people) <= 0.4
    assert all(y.first_language not in (None, "English") for y in uasc)
    assert len({y.legal_status for y in people}) >= 4
    assert len({y.first_language for y in people}) >= 4
    risks = Counter(r.risk_category for r in rows(store, Referral))
    assert set(risks) == set(RiskCategory)
    assert all(0.15 <= n / len(people) <= 0.55 for n in risks.values()), risks


def test_uasc_names_are_written_in_arabic_and_geez_scripts(
    demo: tuple[Store, DemoSummary],
) -> None:
    store, _ = demo
    names = [f"{y.given_name} {y.family_name}" for y in rows(store, YoungPerson)]
    assert any(ARABIC_SCRIPT.search(n) for n in names)
    assert any(GEEZ_SCRIPT.search(n) for n in names)
    # Names in a script are whole: not mixed with Latin letters in the same name.
    for name in names:
        if ARABIC_SCRIPT.search(name) or GEEZ_SCRIPT.search(name):
            assert not re.search(r"[A-Za-z]", name), name


def test_referrals_close_with_outcomes_and_cases_follow(demo: tuple[Store, DemoSummary]) -> None:
    store, _ = demo
    period_start = TODAY - timedelta(days=round(2 * 365.25))
    status = {y.id: y.status for y in rows(store, YoungPerson)}
    referrals = rows(store, Referral)
    closed = [r for r in referrals if r.closed_date is not None]
    assert 0.1 <= len(closed) / len(referrals) <= 0.5
    for referral in referrals:
        assert period_start <= referral.referral_date <= TODAY
        if referral.closed_date is None:
            assert referral.outcome is None
            assert status[referral.young_person_id] == CaseStatus.OPEN
        else:
            assert referral.referral_date < referral.closed_date < TODAY
            assert referral.outcome is not None
            assert status[referral.young_person_id] == CaseStatus.CLOSED


def test_placements_chain_and_cost_what_their_type_costs(demo: tuple[Store, DemoSummary]) -> None:
    store, _ = demo
    by_person: dict[str, list[Placement]] = {}
    for placement in rows(store, Placement):
        by_person.setdefault(placement.young_person_id, []).append(placement)
    assert len(by_person) == 60
    for chain in by_person.values():
        chain.sort(key=lambda p: p.start_date)
        assert 1 <= len(chain) <= 3
        assert [p.end_date is None for p in chain] == [False] * (len(chain) - 1) + [True]
        for before, after in itertools.pairwise(chain):
            assert before.end_date == after.start_date and before.end_reason
        for placement in chain:
            pence = placement.weekly_cost_pence
            if placement.placement_type == PlacementType.WITH_PARENTS:
                assert pence is None
            elif pence is not None:
                low, high = COSTS[placement.placement_type]
                assert low * 100 <= pence <= high * 100, placement.placement_type
    types = {p.placement_type for chain in by_person.values() for p in chain}
    assert len(types) >= 5


def test_contacts_fall_within_the_work_and_never_in_the_future(
    demo: tuple[Store, DemoSummary],
) -> None:
    store, _ = demo
    referral = {r.young_person_id: r for r in rows(store, Referral)}
    contacts = rows(store, Contact)
    for contact in contacts:
        work = referral[contact.young_person_id]
        assert work.referral_date <= contact.occurred_at.date() + timedelta(days=1)
        assert contact.occurred_at < MIDNIGHT
        if work.closed_date:
            assert contact.occurred_at.date() <= work.closed_date + timedelta(days=1)
        if contact.status == RecordStatus.FINAL:
            assert contact.finalised_by == contact.author
            assert contact.occurred_at <= contact.finalised_at < MIDNIGHT
        else:
            assert contact.finalised_at is None and work.closed_date is None
        assert contact.narrative.strip()
    significant = sum(c.significant for c in contacts) / len(contacts)
    assert 0.03 <= significant <= 0.15
    assert len({c.contact_type for c in contacts}) >= 8
    assert len({c.narrative for c in contacts}) > 0.95 * len(contacts)
    assert any(c.own_words and f'"{c.own_words}"' in c.narrative for c in contacts)
    assert any(c.worries for c in contacts) and any(c.present for c in contacts)


def test_drafts_are_only_the_latest_contact_of_open_cases(
    demo: tuple[Store, DemoSummary],
) -> None:
    store, summary = demo
    contacts = rows(store, Contact)
    latest: dict[str, datetime] = {}
    for contact in contacts:
        latest[contact.young_person_id] = max(
            contact.occurred_at, latest.get(contact.young_person_id, contact.occurred_at)
        )
    drafts = [c for c in contacts if c.status == RecordStatus.DRAFT]
    assert len(drafts) == summary.draft_contacts >= 1
    assert all(d.occurred_at == latest[d.young_person_id] for d in drafts)
    final_ids = {c.id for c in contacts if c.status == RecordStatus.FINAL}
    addenda = rows(store, Addendum)
    assert addenda and all(a.contact_id in final_ids for a in addenda)


def test_goals_are_scored_from_a_low_start(demo: tuple[Store, DemoSummary]) -> None:
    store, _ = demo
    scores: dict[str, list[GoalScore]] = {}
    for score in rows(store, GoalScore):
        scores.setdefault(score.goal_id, []).append(score)
    goals = rows(store, Goal)
    assert goals and {g.id for g in goals} == set(scores)
    improved = 0
    for history in scores.values():
        history.sort(key=lambda s: s.scored_on)
        assert history[0].stage == ScoreStage.START and 1 <= history[0].score <= 4
        assert all(0 <= s.score <= 10 for s in history)
        improved += history[-1].score > history[0].score
    assert improved > len(scores) / 2
    per_person = Counter(g.young_person_id for g in goals)
    assert set(per_person.values()) <= {1, 2, 3}


def test_actions_have_owners_and_some_are_overdue(demo: tuple[Store, DemoSummary]) -> None:
    store, _ = demo
    actions = rows(store, Action)
    assert all(a.owner_id and a.due_on and a.description for a in actions)
    done = [a for a in actions if a.status == ActionStatus.DONE]
    assert len(done) > len(actions) / 2
    assert all(a.completed_on is not None for a in done)
    assert any(a.status == ActionStatus.OPEN and a.due_on < TODAY for a in actions)


def test_practice_forms_name_who_wrote_them(demo: tuple[Store, DemoSummary]) -> None:
    store, _ = demo
    users = {s.user_name for s in rows(store, Staff)}
    forms = rows(store, FormResponse)
    assert forms and all(f.author in users for f in forms)


def test_missing_episodes_and_chronology(demo: tuple[Store, DemoSummary]) -> None:
    store, _ = demo
    episodes = rows(store, MissingEpisode)
    went_missing = {e.young_person_id for e in episodes}
    assert 0.1 <= len(went_missing) / 60 <= 0.45
    for episode in episodes:
        assert episode.returned_at is not None and episode.went_missing_at < episode.returned_at
        assert episode.returned_at < MIDNIGHT
    assert any(e.reported_to_police for e in episodes)
    assert any(e.return_interview_on for e in episodes)
    events = rows(store, ChronologyEvent)
    assert {e.young_person_id for e in events} == {y.id for y in rows(store, YoungPerson)}
    assert len({e.category for e in events}) >= 5


def test_teams_and_caseloads(demo: tuple[Store, DemoSummary]) -> None:
    store, _ = demo
    staff = rows(store, Staff)
    teams = rows(store, Team)
    assert 2 <= len(teams) <= 4
    roles = Counter(s.role for s in staff)
    assert roles[Role.SUPERVISOR] == len(teams) and roles[Role.CLINICIAN] == 1
    open_held = Counter(
        y.keyworker_id for y in rows(store, YoungPerson) if y.status == CaseStatus.OPEN
    )
    keyworkers = {s.id for s in staff if s.role == Role.KEYWORKER}
    assert set(open_held) <= keyworkers
    assert max(open_held.values()) <= 12
    assert sum(y.restricted for y in rows(store, YoungPerson)) <= 10


def test_notes_are_searchable(demo: tuple[Store, DemoSummary]) -> None:
    store, _ = demo
    with store.reading() as session:
        assert search(session, "school")


# -- adding to a store --------------------------------------------------------------------------
def test_a_second_run_adds_without_collisions_and_the_user_holds_a_caseload(
    store: Store,
) -> None:
    generate_demo(store, young_people=15, seed=1, today=TODAY)
    again = generate_demo(store, young_people=15, seed=2, today=TODAY)
    people = rows(store, YoungPerson)
    references = sorted(y.reference for y in people)
    assert references == [f"DEMO-{n:05d}" for n in range(1, 31)]
    assert len({y.id for y in people}) == 30
    assert len(rows(store, Team)) == again.teams == 2  # reused by name
    me = [s for s in rows(store, Staff) if s.user_name == "tester"]
    assert len(me) == 1 and me[0].role == Role.KEYWORKER
    assert any(y.keyworker_id == me[0].id and y.status == CaseStatus.OPEN for y in people)


def test_an_existing_local_worker_and_team_are_kept(
    store: Store, team_and_worker: tuple[Team, Staff]
) -> None:
    team, worker = team_and_worker
    generate_demo(store, young_people=12, seed=3, today=TODAY)
    assert [t.name for t in rows(store, Team)].count(team.name) == 1
    testers = [s for s in rows(store, Staff) if s.user_name == "tester"]
    assert [s.id for s in testers] == [worker.id]


def test_batches_are_committed_whole(store: Store) -> None:
    class Stop(Exception):
        pass

    def stop_after_first_batch(done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        generate_demo(
            store, young_people=BATCH_SIZE + 5, seed=4, today=TODAY, progress=stop_after_first_batch
        )
    people = rows(store, YoungPerson)
    assert len(people) == BATCH_SIZE
    referred = {r.young_person_id for r in rows(store, Referral)}
    assert referred == {y.id for y in people}


def test_progress_reports_each_batch(store: Store) -> None:
    calls: list[tuple[int, int]] = []
    generate_demo(
        store,
        young_people=BATCH_SIZE + 3,
        seed=5,
        today=TODAY,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls == [(BATCH_SIZE, BATCH_SIZE + 3), (BATCH_SIZE + 3, BATCH_SIZE + 3)]


@pytest.mark.parametrize(
    ("young_people", "years", "message"),
    [
        (0, 1, "between 1 and 100,000"),
        (100_001, 1, "between 1 and 100,000"),
        (10, 0, "from 1 to 10"),
        (10, 11, "from 1 to 10"),
        (True, 1, "whole number"),
    ],
)
def test_arguments_out_of_range_are_refused_before_writing(
    store: Store, young_people: int, years: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        generate_demo(store, young_people=young_people, seed=1, years=years, today=TODAY)
    assert rows(store, Staff) == [] and rows(store, Team) == []
