"""The shape of one young person's case: dates, risk, outcome, placements, what the work is about.

Everything else (contacts, goals, missing episodes...) is written to fit this plan, so a case
reads consistently: a young person deflected from care stays at home, a disrupted placement is
followed by a new one, costs follow the placement type.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from keyworker_app.demo.people import Identity, weighted, young_person_identity
from keyworker_app.demo.wordlists import WordLists
from keyworker_app.domain.vocabulary import LegalStatus, Outcome, PlacementType, RiskCategory

P = PlacementType
HOME_TYPES = frozenset({P.WITH_PARENTS, P.KINSHIP})
YEAR = 365.25

# Weekly cost in whole pounds (low, high); None means no cost to the council.
_WEEKLY_POUNDS: dict[PlacementType, tuple[int, int] | None] = {
    P.WITH_PARENTS: None,
    P.KINSHIP: (150, 300),
    P.IN_HOUSE_FOSTERING: (350, 550),
    P.IFA: (800, 1200),
    P.SUPPORTED_ACCOMMODATION: (900, 1600),
    P.ASSESSMENT_BED: (2000, 3200),
    P.IN_HOUSE_RESIDENTIAL: (2500, 3500),
    P.EXTERNAL_RESIDENTIAL: (3500, 6500),
    P.SECURE: (6000, 8000),
}
_IN_AREA_SHARE = {
    P.WITH_PARENTS: 0.97, P.KINSHIP: 0.85, P.IN_HOUSE_FOSTERING: 0.95, P.IFA: 0.55,
    P.SUPPORTED_ACCOMMODATION: 0.7, P.ASSESSMENT_BED: 0.9, P.IN_HOUSE_RESIDENTIAL: 0.95,
    P.EXTERNAL_RESIDENTIAL: 0.2, P.SECURE: 0.1,
}  # fmt: skip
_OUTCOMES_AT_HOME = (
    (Outcome.DEFLECTED_FROM_CARE, 70),
    (Outcome.RETURNED_HOME_AFTER_SHORT_PLACEMENT, 15),
    (Outcome.ENTERED_CARE, 15),
)
_OUTCOMES_IN_CARE = (
    (Outcome.PLACEMENT_STABILISED, 65),
    (Outcome.DISCHARGED_FROM_CARE, 15),
    (Outcome.PLACEMENT_DISRUPTED, 20),
)
_EARLIER_ENDINGS = (
    "Placement ended at the carer's request",
    "Planned move",
    "Placement disrupted",
    "Moved nearer to school and family",
)
_GENERAL_THEMES = (
    ("school", 10), ("college", 5), ("football", 6), ("boxing", 3), ("out_late", 8),
    ("exploitation", 6), ("cannabis", 6), ("family_conflict", 9), ("family_time", 5),
    ("placement", 6), ("mental_health", 7), ("self_harm", 3), ("offending", 4), ("online", 4),
    ("health", 3), ("independence", 3), ("music", 3), ("work", 3), ("friendships", 4),
    ("bereavement", 2),
)  # fmt: skip


@dataclass(frozen=True)
class PlacementPlan:
    placement_type: PlacementType
    provider: str
    carer: str  # who the notes say looks after the young person there
    in_area: bool
    start: date
    end: date | None = None
    end_reason: str | None = None
    weekly_cost_pence: int | None = None


@dataclass
class CasePlan:
    identity: Identity
    date_of_birth: date
    referral_date: date
    last_day: date  # closure, or yesterday for open cases (nothing is dated in the future)
    closed_date: date | None
    outcome: Outcome | None
    risk: RiskCategory
    legal_status: LegalStatus
    restricted: bool
    school: str | None
    referral_source: str
    referral_reason: str
    themes: list[str]
    parent: str
    sibling: str
    social_worker: str
    club: str
    placements: list[PlacementPlan] = field(default_factory=list)

    def placement_on(self, day: date) -> PlacementPlan:
        current = self.placements[0]
        for placement in self.placements:
            if placement.start <= day:
                current = placement
        return current

    def age_on(self, day: date) -> int:
        return int((day - self.date_of_birth).days / YEAR)


def plan_case(
    rng: random.Random,
    words: WordLists,
    *,
    today: date,
    period_start: date,
    closed: bool,
    uasc: bool,
) -> CasePlan:
    """Plan one case referred within [period_start, today]."""
    identity = young_person_identity(rng, words, uasc=uasc)
    referral, closed_date = _referral_dates(rng, today, period_start, closed)
    dob = _date_of_birth(rng, today, referral, uasc)
    age_at_referral = int((referral - dob).days / YEAR)
    risk = _risk(rng, uasc)
    at_home = not uasc and (
        risk == RiskCategory.PLACEMENT_LIKELY_WITHOUT_INTERVENTION
        or (risk == RiskCategory.OTHER and rng.random() < 0.5)
    )
    outcome = None
    if closed_date is not None:
        table = _OUTCOMES_AT_HOME if at_home else _OUTCOMES_IN_CARE
        outcome = weighted(rng, table)
        if risk == RiskCategory.OTHER and rng.random() < 0.35:
            outcome = Outcome.OTHER
        elif uasc and outcome == Outcome.DISCHARGED_FROM_CARE:
            outcome = Outcome.PLACEMENT_STABILISED  # no family here to return to
    themes = _themes(rng, words, age_at_referral, uasc, at_home=at_home)
    plan = CasePlan(
        identity=identity,
        date_of_birth=dob,
        referral_date=referral,
        last_day=closed_date or today - timedelta(days=1),
        closed_date=closed_date,
        outcome=outcome,
        risk=risk,
        legal_status=LegalStatus.NONE,
        restricted=rng.random() < 0.05,
        school=_school(rng, words, (today - dob).days / YEAR, uasc),
        referral_source=rng.choice(
            words.places.referral_sources["uasc" if uasc else "home" if at_home else "care"]
        ),
        referral_reason="",
        themes=themes,
        parent=weighted(rng, (("Mum", 60), ("Dad", 18), ("Nan", 10), ("Aunt", 6), ("Grandad", 6))),
        sibling=rng.choice(words.siblings),
        social_worker=rng.choice(words.places.social_workers),
        club=rng.choice(words.places.clubs),
    )
    plan.placements = _placements(rng, words, plan, at_home=at_home)
    plan.legal_status = _legal_status(rng, plan)
    plan.referral_reason = _reason(rng, words, plan, at_home=at_home)
    return plan


def _referral_dates(
    rng: random.Random, today: date, period_start: date, closed: bool
) -> tuple[date, date | None]:
    span = (today - period_start).days
    if closed:
        length = rng.randint(70, 330)
        latest = max(0, span - length - 1)
        referral = period_start + timedelta(days=rng.randint(0, latest))
        return referral, min(referral + timedelta(days=length), today - timedelta(days=1))
    # Open cases are mostly recent referrals, with a tail of long-running ones.
    long_running = rng.random() < 0.35
    age = rng.randint(0, span) if long_running else min(span, int(rng.expovariate(1 / 150)))
    return today - timedelta(days=age), None


def _date_of_birth(rng: random.Random, today: date, referral: date, uasc: bool) -> date:
    """Aged 11-17 today, and at least 10 (14 for UASC) when referred where the dates allow."""
    elapsed = (today - referral).days
    lowest = int(11 * YEAR) + 2
    highest = int(18 * YEAR) - 3
    floor_at_referral = int((14 if uasc else 10.5) * YEAR) + elapsed
    low = max(lowest, min(floor_at_referral, highest - 120))
    return today - timedelta(days=rng.randint(low, highest))


def _risk(rng: random.Random, uasc: bool) -> RiskCategory:
    R = RiskCategory
    if uasc:
        return weighted(rng, ((R.PLACEMENT_LIKELY_TO_DISRUPT, 60), (R.OTHER, 40)))
    return weighted(
        rng,
        ((R.PLACEMENT_LIKELY_WITHOUT_INTERVENTION, 42), (R.PLACEMENT_LIKELY_TO_DISRUPT, 27),
         (R.OTHER, 31)),
    )  # fmt: skip


def _themes(
    rng: random.Random, words: WordLists, age: int, uasc: bool, *, at_home: bool
) -> list[str]:
    """Three or four things the work is about, fitting the young person's age and home."""
    fitting = [
        (k, w)
        for k, w in _GENERAL_THEMES
        if words.themes[k].min_age <= age and not (at_home and k == "placement")
    ]
    chosen: list[str] = []
    if uasc:
        asylum = [t.key for t in words.themes.values() if t.uasc_only]
        chosen = rng.sample(asylum, 2)
        fitting = [(k, w) for k, w in fitting if k not in {"family_conflict", "family_time"}]
    while len(chosen) < (4 if uasc else rng.randint(3, 4)):
        pick = weighted(rng, fitting)
        if pick not in chosen:
            chosen.append(pick)
    return chosen


def _school(rng: random.Random, words: WordLists, age: float, uasc: bool) -> str | None:
    places = words.places
    if uasc:
        return rng.choice(places.uasc_education)
    if age >= 16:
        return rng.choice(places.colleges + places.not_in_education[:1])
    if rng.random() < 0.06:
        return rng.choice(places.not_in_education)
    return rng.choice(places.schools)


def weekly_cost(rng: random.Random, placement_type: PlacementType) -> int | None:
    pounds = _WEEKLY_POUNDS.get(placement_type)
    if pounds is None or (placement_type == P.KINSHIP and rng.random() < 0.4):
        return None
    return rng.randint(pounds[0] * 100, pounds[1] * 100)


def _new_placement(
    rng: random.Random,
    words: WordLists,
    placement_type: PlacementType,
    start: date,
    parent: str,
) -> PlacementPlan:
    if placement_type == P.WITH_PARENTS:
        provider, carer = "Family home", parent
    elif placement_type == P.KINSHIP:
        provider = rng.choice(words.providers("kinship"))
        carer = provider.split("(")[1].rstrip(")")
    elif placement_type in (P.IN_HOUSE_FOSTERING,):
        provider = rng.choice(words.providers("in_house_fostering"))
        carer = provider.split("(")[1].rstrip(")")
    elif placement_type == P.IFA:
        provider = rng.choice(words.providers("ifa"))
        carer = rng.choice(words.carer_names)
    elif placement_type == P.SUPPORTED_ACCOMMODATION:
        provider = rng.choice(words.providers("supported_accommodation"))
        carer = f"{rng.choice(words.carer_names)} (support worker)"
    else:
        provider = rng.choice(words.providers(placement_type.value))
        carer = "staff"
    return PlacementPlan(
        placement_type=placement_type,
        provider=provider,
        carer=carer,
        in_area=rng.random() < _IN_AREA_SHARE[placement_type],
        start=start,
        weekly_cost_pence=weekly_cost(rng, placement_type),
    )


def _care_type(rng: random.Random, age: int, uasc: bool) -> PlacementType:
    if uasc:
        if age >= 16:
            return weighted(
                rng, ((P.SUPPORTED_ACCOMMODATION, 70), (P.IFA, 20), (P.IN_HOUSE_FOSTERING, 10))
            )
        return weighted(rng, ((P.IN_HOUSE_FOSTERING, 45), (P.IFA, 55)))
    options = [(P.IFA, 34), (P.IN_HOUSE_FOSTERING, 26), (P.IN_HOUSE_RESIDENTIAL, 12),
               (P.EXTERNAL_RESIDENTIAL, 16), (P.KINSHIP, 4)]  # fmt: skip
    if age >= 16:
        options.append((P.SUPPORTED_ACCOMMODATION, 14))
    return weighted(rng, options)


def _between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _placements(
    rng: random.Random, words: WordLists, plan: CasePlan, *, at_home: bool
) -> list[PlacementPlan]:
    """One to three placements, the last still current, consistent with the outcome."""
    referral = plan.referral_date
    uasc = plan.identity.uasc
    if at_home:
        moved_in = max(plan.date_of_birth, referral - timedelta(days=rng.randint(200, 3000)))
        home_type = P.WITH_PARENTS if rng.random() < 0.8 else P.KINSHIP
        first = _new_placement(rng, words, home_type, moved_in, plan.parent)
    else:
        arrived = referral - timedelta(days=rng.randint(7, 200) if uasc else rng.randint(20, 900))
        arrived = max(arrived, plan.date_of_birth + timedelta(days=int(8 * YEAR)))
        care_type = _care_type(rng, plan.age_on(referral), uasc)
        first = _new_placement(rng, words, care_type, arrived, plan.parent)
    chain = [first]
    if (plan.last_day - referral).days >= 21:
        move_on = _between(rng, referral + timedelta(days=14), plan.last_day - timedelta(days=7))
        story = _home_story if at_home else _care_story
        story(chain, rng, words, plan, move_on)
    if not at_home and not uasc and len(chain) < 3 and rng.random() < 0.45:
        _add_earlier_placement(chain, rng, words, plan)
    return chain


def _add_earlier_placement(
    chain: list[PlacementPlan], rng: random.Random, words: WordLists, plan: CasePlan
) -> None:
    """A placement that ended before the referral: many young people have moved before."""
    moved = chain[0].start
    start = moved - timedelta(days=rng.randint(60, 700))
    if start < plan.date_of_birth + timedelta(days=int(8 * YEAR)):
        return
    earlier = _new_placement(
        rng, words, _care_type(rng, plan.age_on(start), False), start, plan.parent
    )
    reason = rng.choice(_EARLIER_ENDINGS)
    chain.insert(0, replace(earlier, end=moved, end_reason=reason))


def _home_story(
    chain: list[PlacementPlan], rng: random.Random, words: WordLists, plan: CasePlan, on: date
) -> None:
    """Living at home: most stay there; some have a short placement, a few enter care."""
    outcome, roll = plan.outcome, rng.random()
    if outcome == Outcome.RETURNED_HOME_AFTER_SHORT_PLACEMENT or (not outcome and roll < 0.12):
        short_type = P.ASSESSMENT_BED if rng.random() < 0.6 else P.IN_HOUSE_FOSTERING
        back = on + timedelta(days=rng.randint(10, 70))
        home_type = chain[0].placement_type
        _move(chain, rng, words, short_type, on, "Accommodated for a short assessment", plan)
        if back <= plan.last_day or outcome:
            _move(chain, rng, words, home_type, min(back, plan.last_day), "Returned home", plan)
    elif outcome == Outcome.ENTERED_CARE or (not outcome and roll < 0.17):
        _move(chain, rng, words, _care_type(rng, plan.age_on(on), False), on, "Entered care", plan)


def _care_story(
    chain: list[PlacementPlan], rng: random.Random, words: WordLists, plan: CasePlan, on: date
) -> None:
    """Already in care: most placements hold; some disrupt, some young people go home."""
    outcome, roll = plan.outcome, rng.random()
    uasc = plan.identity.uasc
    if outcome == Outcome.PLACEMENT_DISRUPTED or (not outcome and roll < 0.15):
        reason = "Placement disrupted: carer gave notice"
        if rng.random() < 0.3 and (plan.last_day - on).days > 14:
            secure = "exploitation" in plan.themes and rng.random() < 0.3
            emergency = P.SECURE if secure else P.ASSESSMENT_BED
            _move(chain, rng, words, emergency, on, reason, plan)
            reason = "Moved on from the emergency placement"
            stay = rng.randint(42, 84) if secure else rng.randint(7, 40)
            on = min(plan.last_day, on + timedelta(days=stay))
        if uasc:
            next_type = _care_type(rng, plan.age_on(on), True)
        else:
            next_type = weighted(
                rng, ((P.IN_HOUSE_RESIDENTIAL, 30), (P.EXTERNAL_RESIDENTIAL, 40), (P.IFA, 30))
            )
        _move(chain, rng, words, next_type, on, reason, plan)
    elif not uasc and (outcome == Outcome.DISCHARGED_FROM_CARE or (not outcome and roll < 0.2)):
        home_type = P.WITH_PARENTS if rng.random() < 0.75 else P.KINSHIP
        _move(chain, rng, words, home_type, on, "Returned home (reunification)", plan)
    elif uasc and roll < 0.3 and _can_move_on(chain[0], plan.age_on(on)):
        reason = "Moved on to 16+ accommodation"
        _move(chain, rng, words, P.SUPPORTED_ACCOMMODATION, on, reason, plan)


def _can_move_on(placement: PlacementPlan, age: int) -> bool:
    return age >= 16 and placement.placement_type != P.SUPPORTED_ACCOMMODATION


def _move(
    chain: list[PlacementPlan],
    rng: random.Random,
    words: WordLists,
    placement_type: PlacementType,
    on: date,
    reason: str,
    plan: CasePlan,
) -> None:
    """End the current placement on ``on`` and start the next one the same day."""
    chain[-1] = replace(chain[-1], end=on, end_reason=reason)
    chain.append(_new_placement(rng, words, placement_type, on, plan.parent))


def _legal_status(rng: random.Random, plan: CasePlan) -> LegalStatus:
    L = LegalStatus
    now = plan.placements[-1].placement_type
    if plan.identity.uasc:
        return weighted(rng, ((L.SECTION_20, 92), (L.CARE_ORDER, 8)))
    if now == P.WITH_PARENTS:
        if plan.outcome == Outcome.DISCHARGED_FROM_CARE:
            return weighted(rng, ((L.CHILD_IN_NEED, 70), (L.NONE, 30)))
        return weighted(
            rng, ((L.CHILD_IN_NEED, 45), (L.CHILD_PROTECTION, 35), (L.NONE, 12),
                  (L.CHILD_ARRANGEMENTS_ORDER, 8)),
        )  # fmt: skip
    if now == P.KINSHIP:
        return weighted(
            rng,
            (
                (L.SPECIAL_GUARDIANSHIP, 35),
                (L.CHILD_IN_NEED, 25),
                (L.SECTION_20, 20),
                (L.CARE_ORDER, 20),
            ),
        )
    if now in (P.ASSESSMENT_BED, P.SECURE) and plan.closed_date is None:
        return weighted(rng, ((L.SECTION_20, 50), (L.INTERIM_CARE_ORDER, 50)))
    options = [(L.CARE_ORDER, 45), (L.SECTION_20, 30), (L.INTERIM_CARE_ORDER, 18)]
    if "offending" in plan.themes:
        options.append((L.REMAND, 4))
    return weighted(rng, options)


def _reason(rng: random.Random, words: WordLists, plan: CasePlan, *, at_home: bool) -> str:
    reasons = [r for key in plan.themes for r in words.themes[key].reasons]
    picked = rng.sample(reasons, min(len(reasons), rng.randint(1, 2)))
    if plan.risk == RiskCategory.PLACEMENT_LIKELY_WITHOUT_INTERVENTION:
        picked.append("Strong likelihood of needing a placement without intervention.")
    elif plan.risk == RiskCategory.PLACEMENT_LIKELY_TO_DISRUPT:
        picked.append("Without intervention the current placement is highly likely to disrupt.")
    elif at_home:
        picked.append("Support requested to keep the family together.")
    else:
        picked.append("Support requested for the young person and the placement.")
    return " ".join(picked)
