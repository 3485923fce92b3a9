"""Goal Based Outcomes goals and scores, and the actions agreed at reviews and supervision."""

from __future__ import annotations

from datetime import date, timedelta

from keyworker_app.demo.records import CaseBuilder
from keyworker_app.domain.vocabulary import ActionSource, GoalStatus, ScoreStage
from keyworker_app.store.models import Goal, GoalScore

# How a goal's score moves between reviews: most improve, some stall, a few slip.
_TRENDS = {
    "up": (0, 1, 1, 2),
    "flat": (-1, 0, 0, 1),
    "down": (-1, -1, 0),
}


def add_goals(case: CaseBuilder) -> None:
    """One to three goals in the young person's words, scored at start, reviews and end."""
    rng, plan = case.rng, case.plan
    set_on = plan.referral_date + timedelta(days=rng.randint(7, 28))
    if set_on > plan.last_day:
        return  # too new: goals are set in the first weeks of the work
    ideas = list(dict.fromkeys(g for key in plan.themes for g in case.words.themes[key].goals))
    count = min(len(ideas), rng.choice((1, 2, 2, 3, 3)))
    review_days = _review_days(case, set_on)
    for description in rng.sample(ideas, count):
        _goal(case, description, set_on, review_days)
    for day in review_days:
        if rng.random() < 0.5:
            ideas = case.words.notes["review_actions"]
            case.action(case.fill(rng.choice(ideas), day), ActionSource.REVIEW, day)


def _review_days(case: CaseBuilder, set_on: date) -> list[date]:
    days = []
    day = set_on + timedelta(days=case.rng.randint(42, 70))
    while day < case.plan.last_day:
        days.append(day)
        day += timedelta(days=case.rng.randint(42, 70))
    return days


def _goal(case: CaseBuilder, description: str, set_on: date, review_days: list[date]) -> None:
    rng, plan = case.rng, case.plan
    goal = Goal(
        id=case.new_id(set_on),
        young_person_id=case.person_id,
        description=description,
        set_on=set_on,
        status=GoalStatus.ACTIVE,
    )
    case.records.append(goal)
    steps = _TRENDS[rng.choices(("up", "flat", "down"), weights=(70, 20, 10))[0]]
    score = rng.randint(1, 4)
    stages = [(set_on, ScoreStage.START)] + [(d, ScoreStage.REVIEW) for d in review_days]
    if plan.closed_date is not None:
        stages.append((plan.closed_date, ScoreStage.END))
    for index, (day, stage) in enumerate(stages):
        if index:
            score = max(0, min(10, score + rng.choice(steps)))
        note = None
        if rng.random() < 0.4:
            note = case.fill(rng.choice(case.words.notes["score_notes"]), day)
        case.records.append(
            GoalScore(
                id=case.new_id(day),
                goal_id=goal.id,
                young_person_id=case.person_id,
                scored_on=day,
                score=score,
                stage=stage,
                note=note,
            )
        )
    if plan.closed_date is not None:
        goal.status = GoalStatus.ACHIEVED if score >= 7 else GoalStatus.ENDED
    elif score >= 9 and rng.random() < 0.5:
        goal.status = GoalStatus.ACHIEVED


def add_management_actions(case: CaseBuilder) -> None:
    """Actions from supervision for every case, and from a deep dive review for some."""
    rng, plan, notes = case.rng, case.plan, case.words.notes
    span = (plan.last_day - plan.referral_date).days
    if span < 14:
        return
    for _ in range(rng.randint(1, 2 + span // 120)):
        day = plan.referral_date + timedelta(days=rng.randint(14, span))
        text = case.fill(rng.choice(notes["supervision_actions"]), day)
        case.action(text, ActionSource.SUPERVISION, day)
    if rng.random() < 0.2:
        day = plan.referral_date + timedelta(days=rng.randint(14, span))
        for text in rng.sample(notes["deep_dive_actions"], rng.randint(1, 3)):
            case.action(case.fill(text, day), ActionSource.DEEP_DIVE, day)
