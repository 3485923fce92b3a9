"""The service's figures for a date range, as a scrutiny committee report gives them: referrals
received, closed and open, risk categories at referral, outcomes at closure, placements started
per financial year, the full-year cost effect of placements ended and started, and worker
capacity.

Everything is counted from the local store; tombstoned records (and the records of a tombstoned
young person) never count. Both ends of the range are included. The figures are frozen
dataclasses; ``ServiceFigures.as_json()`` is the JSON `keyworker service-report --json` writes
next to the PDF, whose keys and values people's scripts read (money in pounds there, in whole
pence here).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.domain.dates import financial_year
from keyworker_app.domain.vocabulary import (
    CaseStatus,
    Outcome,
    PlacementType,
    RiskCategory,
    Vocabulary,
)
from keyworker_app.store.models import Placement, Referral, Staff, Team, YoungPerson

__all__ = [
    "Capacity",
    "CostFigures",
    "OutcomeCount",
    "PlacementCount",
    "PlacementYear",
    "ReferralFigures",
    "RiskCount",
    "ServiceFigures",
    "WorkerLoad",
    "financial_year",
    "percent",
    "service_figures",
]

WEEKS_A_YEAR = 52


def percent(part: int, whole: int) -> float:
    """``part`` as a percentage of ``whole`` to one decimal place, halves rounded up (as a
    reader rounds by hand: 1 of 16 is 6.3%, where float rounding would say 6.2%); 0.0 when
    ``whole`` is 0."""
    if not whole:
        return 0.0
    exact = Decimal(part * 100) / Decimal(whole)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _in(day: date | None, start: date, end: date) -> bool:
    return day is not None and start <= day <= end


def _pounds(pence: int) -> float:
    # Sums are kept in whole pence and turned into pounds once, so no float error accumulates.
    return pence / 100


def _tally(vocabulary: type[Vocabulary], codes: Iterable[object]) -> dict[str, int]:
    """Counts per code, every code of the vocabulary present (zero when none). A code written
    by a newer version of Keyworker (read back as raw text) is counted under its own key."""
    counts: dict[str, int] = dict.fromkeys(vocabulary.codes(), 0)
    for code, n in Counter(str(c) for c in codes).items():
        counts[code] = counts.get(code, 0) + n
    return counts


def _financial_years(start: date, end: date) -> list[str]:
    """Every financial year the range touches, so a year with no placements shows as zeros
    rather than vanishing from a trend."""
    first, last = int(financial_year(start)[:4]), int(financial_year(end)[:4])
    return [financial_year(date(year, 4, 1)) for year in range(first, last + 1)]


@dataclass(frozen=True)
class RiskCount:
    """Referrals received in one risk category at referral, and their share of all received."""

    code: str
    count: int
    percent: float


@dataclass(frozen=True)
class ReferralFigures:
    received: int
    closed: int
    open: int  # at the end of the range
    by_risk_category: tuple[RiskCount, ...]  # every category, in the vocabulary's order
    # So the categories' percentages visibly add up to 100 with these.
    risk_category_not_recorded: int
    closed_outcome_not_recorded: int

    def risk(self, code: str) -> RiskCount:
        """The count for one risk category's code. Raises KeyError for a code not counted."""
        for risk in self.by_risk_category:
            if risk.code == code:
                return risk
        raise KeyError(code)

    def as_json(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "closed": self.closed,
            "open": self.open,
            "by_risk_category": {
                r.code: {"count": r.count, "percent": r.percent} for r in self.by_risk_category
            },
            "risk_category_not_recorded": self.risk_category_not_recorded,
            "closed_outcome_not_recorded": self.closed_outcome_not_recorded,
        }


@dataclass(frozen=True)
class OutcomeCount:
    """Referrals closed in the range with one outcome."""

    code: str
    count: int


@dataclass(frozen=True)
class PlacementCount:
    """Placements of one type started."""

    code: str
    count: int


@dataclass(frozen=True)
class PlacementYear:
    """Placements started in the range's days of one financial year."""

    year: str  # "2019/20"
    by_type: tuple[PlacementCount, ...]  # every placement type, in the vocabulary's order
    out_of_area: int  # of those started; an unknown area is not counted as out of area

    def count(self, code: str) -> int:
        """How many of one placement type started (0 for a type not counted)."""
        return next((t.count for t in self.by_type if t.code == code), 0)

    def as_json(self) -> dict[str, int]:
        return {**{t.code: t.count for t in self.by_type}, "out_of_area": self.out_of_area}


@dataclass(frozen=True)
class CostFigures:
    """The full-year effect (weekly cost × 52) of placements ended and started in the range,
    in whole pence so sums carry no float error."""

    saving_from_ended_pence: int
    cost_of_new_pence: int
    placements_without_cost: int  # in either sum with no weekly cost: the sums leave them out

    @property
    def net_pence(self) -> int:
        """Cost of new less saving from ended: positive means the year's placement spend rose,
        negative means a net saving."""
        return self.cost_of_new_pence - self.saving_from_ended_pence

    def as_json(self) -> dict[str, Any]:
        return {
            "full_year_saving_from_ended": _pounds(self.saving_from_ended_pence),
            "full_year_cost_of_new": _pounds(self.cost_of_new_pence),
            "net_full_year": _pounds(self.net_pence),
            "placements_without_cost": self.placements_without_cost,
        }


@dataclass(frozen=True)
class WorkerLoad:
    """One worker's open young people against their caseload cap."""

    worker: str  # display name
    user_name: str
    team: str | None
    open: int
    cap: int

    @property
    def over_cap(self) -> bool:
        return self.open > self.cap

    def as_json(self) -> dict[str, Any]:
        return {
            "worker": self.worker,
            "user_name": self.user_name,
            "team": self.team,
            "open": self.open,
            "cap": self.cap,
            "over_cap": self.over_cap,
        }


@dataclass(frozen=True)
class Capacity:
    """Open young people per worker now, and the open young people no live worker holds."""

    workers: tuple[WorkerLoad, ...]  # by team, then name
    open: int  # every open young person

    @property
    def allocated(self) -> int:
        return sum(w.open for w in self.workers)

    @property
    def unallocated(self) -> int:
        return self.open - self.allocated

    @property
    def over_cap(self) -> int:
        return sum(1 for w in self.workers if w.over_cap)

    def as_json(self) -> dict[str, Any]:
        return {
            "workers": [w.as_json() for w in self.workers],
            "totals": {
                "open": self.open,
                "allocated": self.allocated,
                "unallocated": self.unallocated,
                "workers": len(self.workers),
                "over_cap": self.over_cap,
            },
        }


@dataclass(frozen=True)
class ServiceFigures:
    start: date
    end: date  # both included
    referrals: ReferralFigures
    outcomes: tuple[OutcomeCount, ...]  # every outcome, in the vocabulary's order
    placements_started: tuple[PlacementYear, ...]  # every financial year the range touches
    cost: CostFigures
    capacity: Capacity

    def outcome(self, code: str) -> int:
        """Referrals closed in the range with the outcome ``code`` (0 for one not counted)."""
        return next((o.count for o in self.outcomes if o.code == code), 0)

    def placement_year(self, year: str) -> PlacementYear:
        """The placements started in financial year ``year`` ("2019/20"). Raises KeyError for a
        year the range does not touch."""
        for started in self.placements_started:
            if started.year == year:
                return started
        raise KeyError(year)

    def as_json(self) -> dict[str, Any]:
        """The figures as `keyworker service-report --json` writes them: exactly these keys, in
        this order."""
        return {
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat()},
            "referrals": self.referrals.as_json(),
            "outcomes": {o.code: o.count for o in self.outcomes},
            "placements_started": {p.year: p.as_json() for p in self.placements_started},
            "cost": self.cost.as_json(),
            "capacity": self.capacity.as_json(),
        }


@dataclass(frozen=True)
class _Live:
    """The store's records that count: none tombstoned, none belonging to a tombstoned
    young person."""

    referrals: list[Referral]
    placements: list[Placement]
    open_people: list[YoungPerson]

    @classmethod
    def read(cls, session: Session) -> _Live:
        live_person = YoungPerson.deleted.is_(False)
        referrals = session.scalars(
            select(Referral)
            .join(YoungPerson, Referral.young_person_id == YoungPerson.id)
            .where(Referral.deleted.is_(False), live_person)
        )
        placements = session.scalars(
            select(Placement)
            .join(YoungPerson, Placement.young_person_id == YoungPerson.id)
            .where(Placement.deleted.is_(False), live_person)
        )
        open_people = session.scalars(
            select(YoungPerson).where(live_person, YoungPerson.status == CaseStatus.OPEN)
        )
        return cls(list(referrals), list(placements), list(open_people))


def _referral_figures(referrals: list[Referral], start: date, end: date) -> ReferralFigures:
    received = [r for r in referrals if _in(r.referral_date, start, end)]
    closed = [r for r in referrals if _in(r.closed_date, start, end)]
    # Open at the end of the range: referred by then and not yet closed by then. A referral
    # with no referral date (some imported ones) cannot be placed in time, so it is not counted.
    still_open = [
        r
        for r in referrals
        if r.referral_date is not None
        and r.referral_date <= end
        and (r.closed_date is None or r.closed_date > end)
    ]
    risks = _tally(RiskCategory, (r.risk_category for r in received if r.risk_category))
    return ReferralFigures(
        received=len(received),
        closed=len(closed),
        open=len(still_open),
        by_risk_category=tuple(
            RiskCount(code, n, percent(n, len(received))) for code, n in risks.items()
        ),
        risk_category_not_recorded=sum(1 for r in received if r.risk_category is None),
        closed_outcome_not_recorded=sum(1 for r in closed if r.outcome is None),
    )


def _placements_started(
    placements: list[Placement], start: date, end: date
) -> tuple[PlacementYear, ...]:
    started: dict[str, list[Placement]] = {year: [] for year in _financial_years(start, end)}
    for p in placements:
        if _in(p.start_date, start, end):
            started[financial_year(p.start_date)].append(p)
    return tuple(
        PlacementYear(
            year,
            tuple(
                PlacementCount(code, n)
                for code, n in _tally(PlacementType, (p.placement_type for p in those)).items()
            ),
            # Unknown (None) means not recorded, not in area: only an explicit "no" counts.
            out_of_area=sum(1 for p in those if p.in_area is False),
        )
        for year, those in started.items()
    )


def _cost(placements: list[Placement], start: date, end: date) -> CostFigures:
    ended = [p for p in placements if _in(p.end_date, start, end)]
    new = [p for p in placements if _in(p.start_date, start, end)]
    return CostFigures(
        saving_from_ended_pence=sum(p.weekly_cost_pence or 0 for p in ended) * WEEKS_A_YEAR,
        cost_of_new_pence=sum(p.weekly_cost_pence or 0 for p in new) * WEEKS_A_YEAR,
        placements_without_cost=len({p.id for p in (*ended, *new) if p.weekly_cost_pence is None}),
    )


def _capacity(
    session: Session, open_people: list[YoungPerson], cap_default: int, cap: int | None
) -> Capacity:
    """Open young people per keyworker now. The store keeps who holds a case now, not who held
    it when, so capacity is as things stand, whatever the range."""
    held = Counter(p.keyworker_id for p in open_people if p.keyworker_id)
    live_staff = select(Staff).where(Staff.id.in_(list(held)), Staff.deleted.is_(False))
    staff = {s.id: s for s in session.scalars(live_staff)}
    teams = {t.id: t for t in session.scalars(select(Team).where(Team.deleted.is_(False)))}
    workers: list[WorkerLoad] = []
    for staff_id, n in held.items():
        worker = staff.get(staff_id)
        if worker is None:
            continue  # held by a deleted worker: counted as unallocated
        team = teams.get(worker.team_id or "")
        worker_cap = cap or (team.caseload_cap if team else 0) or cap_default
        workers.append(
            WorkerLoad(
                worker=worker.display_name,
                user_name=worker.user_name,
                team=team.name if team else None,
                open=n,
                cap=worker_cap,
            )
        )
    workers.sort(key=lambda w: (w.team or "", w.worker.casefold(), w.user_name))
    return Capacity(tuple(workers), open=len(open_people))


def service_figures(
    session: Session,
    start: date,
    end: date,
    *,
    cap_default: int = 12,
    caseload_cap: int | None = None,
) -> ServiceFigures:
    """The service's figures for ``start`` to ``end`` inclusive.

    ``caseload_cap`` is the organisation's cap for every worker; without one, each team's own
    cap, and ``cap_default`` for a worker whose team has none. Raises ValueError when the range
    starts after it ends.
    """
    if start > end:
        raise ValueError("The range starts after it ends; give a start date before the end date")
    live = _Live.read(session)
    closed_in_range = [r for r in live.referrals if _in(r.closed_date, start, end)]
    outcomes = _tally(Outcome, (r.outcome for r in closed_in_range if r.outcome))
    return ServiceFigures(
        start=start,
        end=end,
        referrals=_referral_figures(live.referrals, start, end),
        outcomes=tuple(OutcomeCount(code, n) for code, n in outcomes.items()),
        placements_started=_placements_started(live.placements, start, end),
        cost=_cost(live.placements, start, end),
        capacity=_capacity(session, live.open_people, cap_default, caseload_cap),
    )
