"""Chronology events a worker enters by hand: referral, moves, orders, police, health, school.

Significant contacts join a chronology by query, so they are not repeated here.
"""

from __future__ import annotations

from datetime import date, timedelta

from keyworker_app.demo.records import CaseBuilder
from keyworker_app.domain.vocabulary import ChronologyCategory, PlacementType
from keyworker_app.store.models import ChronologyEvent, MissingEpisode

Cat = ChronologyCategory
_RANDOM_CATEGORIES = ("health", "education", "family", "safeguarding")


def add_chronology(case: CaseBuilder, episodes: list[MissingEpisode]) -> None:
    plan = case.plan
    referred = "Referred to the edge of care service"
    _event(case, plan.referral_date, Cat.OTHER, referred, plan.referral_reason)
    _placement_events(case)
    for episode in episodes:
        if episode.reported_to_police:
            title = f"{_missing_for(episode)}; found {episode.where_found}"
            _event(case, episode.went_missing_at.date(), Cat.MISSING, title, episode.notes)
    _background_events(case)
    if plan.closed_date is not None and plan.outcome is not None:
        title = f"Case closed: {plan.outcome.label.lower()}"
        _event(case, plan.closed_date, Cat.OTHER, title, None)


def _missing_for(episode: MissingEpisode) -> str:
    if episode.returned_at is None:
        return "Missing"
    hours = (episode.returned_at - episode.went_missing_at).total_seconds() / 3600
    if hours < 8:
        return f"Missing for {max(1, round(hours))} hours"
    if hours < 30:
        return "Missing overnight"
    return f"Missing for {round(hours / 24)} days"


def _placement_events(case: CaseBuilder) -> None:
    plan, rng = case.plan, case.rng
    for index, placement in enumerate(plan.placements):
        if index == 0 and placement.placement_type == PlacementType.WITH_PARENTS:
            continue
        if index and placement.placement_type == PlacementType.WITH_PARENTS:
            title = "Returned home"
        else:
            title = f"Moved to {placement.provider}"
        cost = placement.weekly_cost_pence
        detail = placement.placement_type.label
        if cost:
            detail += f", £{cost / 100:,.2f} a week"
        detail += ", in area" if placement.in_area else ", out of area"
        _event(case, placement.start, Cat.PLACEMENT, title, detail)
        entering_care = index > 0 and plan.placements[index - 1].end_reason == "Entered care"
        if entering_care:
            order = rng.choice(("Section 20 agreement signed", "Interim care order granted"))
            _event(case, placement.start, Cat.LEGAL, order, None)


def _background_events(case: CaseBuilder) -> None:
    rng, plan = case.rng, case.plan
    titles = case.words.notes["chronology"]
    categories = list(_RANDOM_CATEGORIES)
    if {"offending", "exploitation"} & set(plan.themes):
        categories.append("police")
    if rng.random() < 0.3:
        categories.append("legal")
    first = plan.referral_date - timedelta(days=60)
    span = (plan.last_day - first).days
    for _ in range(rng.randint(1, 4)):
        key = rng.choice(categories)
        day = first + timedelta(days=rng.randint(0, span))
        _event(case, day, ChronologyCategory(key), rng.choice(titles[key]), None)
    if plan.identity.uasc:
        arrived = plan.placements[0].start
        _event(case, arrived, Cat.OTHER, "Arrived in the UK", None)
        for title in rng.sample(titles["uasc"][1:], rng.randint(1, 2)):
            day = arrived + timedelta(days=rng.randint(14, max(14, (plan.last_day - arrived).days)))
            _event(case, min(day, plan.last_day), Cat.LEGAL, title, None)


def _event(
    case: CaseBuilder, day: date, category: ChronologyCategory, title: str, detail: str | None
) -> None:
    case.records.append(
        ChronologyEvent(
            id=case.new_id(day),
            young_person_id=case.person_id,
            occurred_on=min(day, case.today),
            category=category,
            title=title,
            detail=detail,
        )
    )
