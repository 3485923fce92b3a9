"""The service figures against a small hand-built caseload whose every answer is worked out by
hand: range edges, the financial-year boundary, tombstones, rounding and the cost sums."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from keyworker_app.domain.ids import new_id
from keyworker_app.domain.vocabulary import (
    CaseStatus,
    Outcome,
    PlacementType,
    RiskCategory,
    Role,
)
from keyworker_app.reports.service_figures import (
    ServiceFigures,
    financial_year,
    percent,
    service_figures,
)
from keyworker_app.reports.service_report import save_figures
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import Placement, Referral, Staff, Team, YoungPerson

START, END = date(2019, 1, 1), date(2019, 12, 31)
WITHOUT = RiskCategory.PLACEMENT_LIKELY_WITHOUT_INTERVENTION
DISRUPT = RiskCategory.PLACEMENT_LIKELY_TO_DISRUPT
OTHER = RiskCategory.OTHER
ENTERED, DEFLECTED = Outcome.ENTERED_CARE, Outcome.DEFLECTED_FROM_CARE
STABILISED, DISCHARGED = Outcome.PLACEMENT_STABILISED, Outcome.DISCHARGED_FROM_CARE


@dataclass(frozen=True)
class Case:
    """One young person with at most one referral; ``worker`` is a user name or None."""

    reference: str
    worker: str | None
    referred: date | None = None
    risk: RiskCategory | None = None
    closed: date | None = None
    outcome: Outcome | None = None

    @property
    def status(self) -> CaseStatus:
        return CaseStatus.CLOSED if self.closed else CaseStatus.OPEN


# The worked answers are in the comments: R = received in 2019, C = closed in 2019,
# O = open on 31 December 2019, H = held open now (capacity).
CASES = (
    Case("P01", "ana.w", date(2019, 1, 1), WITHOUT),  # first day: R O H
    Case("P02", "ana.w", END, DISRUPT, date(2020, 1, 5), ENTERED),  # last day: R O
    Case("P03", "ana.w", date(2020, 1, 1), OTHER),  # the day after: only H
    Case("P04", "ana.w", date(2018, 12, 31), WITHOUT, START, DEFLECTED),  # C on the first day
    Case("P05", "ana.w", date(2019, 6, 1), WITHOUT, END, STABILISED),  # R, C on the last day
    Case("P06", "ben.w", date(2019, 3, 1), None, date(2019, 8, 1), None),  # R C, none recorded
    Case("P07", "ben.w", date(2019, 2, 1), DISRUPT, date(2019, 9, 9), STABILISED),  # R C
    Case("P08", "ben.w", date(2019, 7, 7), OTHER),  # R O H
    Case("P09", "ben.w", date(2019, 10, 10), WITHOUT, date(2020, 1, 1), ENTERED),  # R O
    Case("P11", "ben.w", date(2019, 5, 2), DISRUPT),  # tombstoned young person: nothing
    Case("P12", "ana.w", date(2018, 6, 1), WITHOUT, date(2020, 2, 1), DISCHARGED),  # O
    Case("P13", None, None, OTHER),  # no referral date, so never O; H but unallocated
    Case("P14", "cal.w", date(2017, 1, 1)),  # O; H by a deleted worker, so unallocated
    Case("P15", "ana.w"),  # no referral at all: H
)

# (reference, type, start, end, weekly cost in pence, in area)
PLACEMENTS = (
    ("P01", PlacementType.IFA, date(2019, 3, 31), None, 85_000, False),  # FY 2018/19
    ("P01", PlacementType.KINSHIP, date(2019, 4, 1), None, 20_001, True),  # FY 2019/20
    ("P02", PlacementType.EXTERNAL_RESIDENTIAL, END, None, 450_000, False),  # last day
    ("P03", PlacementType.IN_HOUSE_FOSTERING, date(2020, 1, 1), None, 30_000, True),  # day after
    ("P05", PlacementType.EXTERNAL_RESIDENTIAL, date(2018, 6, 1), START, 500_025, False),  # ended
    ("P06", PlacementType.IFA, date(2018, 12, 31), date(2020, 1, 1), 90_000, True),  # neither
    ("P07", PlacementType.SUPPORTED_ACCOMMODATION, START, END, None, None),  # both, no cost
    ("P09", PlacementType.IN_HOUSE_RESIDENTIAL, date(2019, 4, 1), date(2019, 10, 1), 100_000, True),
    ("P11", PlacementType.IFA, date(2019, 5, 2), None, 70_000, False),  # tombstoned person
)


@pytest.fixture
def caseload(store: Store) -> Store:
    with store.unit_of_work() as uow:
        north = Team(id=new_id(), name="North Hub", caseload_cap=2)
        south = Team(id=new_id(), name="South Hub", caseload_cap=0)  # no cap: the default
        uow.add_all([north, south])
        uow.session.flush()  # no relationships are mapped, so parents are written first
        staff = {
            user_name: Staff(
                id=new_id(),
                user_name=user_name,
                display_name=display_name,
                role=Role.KEYWORKER,
                team_id=team.id,
            )
            for user_name, display_name, team in (
                ("ana.w", "Ana Worker", north),
                ("ben.w", "Ben Worker", south),
                ("cal.w", "Cal Worker", north),
            )
        }
        uow.add_all(list(staff.values()))
        uow.session.flush()
        people = {
            case.reference: YoungPerson(
                id=new_id(),
                reference=case.reference,
                given_name="Test",
                family_name=case.reference,
                date_of_birth=date(2005, 1, 1),
                keyworker_id=staff[case.worker].id if case.worker else None,
                status=case.status,
            )
            for case in CASES
        }
        uow.add_all(list(people.values()))
        uow.session.flush()
        uow.add_all(
            [
                Referral(
                    id=new_id(),
                    young_person_id=people[case.reference].id,
                    referral_date=case.referred,
                    risk_category=case.risk,
                    closed_date=case.closed,
                    outcome=case.outcome,
                )
                for case in CASES
                if case.referred or case.risk
            ]
        )
        uow.add_all(
            [
                Placement(
                    id=new_id(),
                    young_person_id=people[ref].id,
                    placement_type=kind,
                    start_date=start,
                    end_date=end,
                    weekly_cost_pence=cost,
                    in_area=in_area,
                )
                for ref, kind, start, end, cost, in_area in PLACEMENTS
            ]
        )
        # Records that are tombstoned later: none of them may count.
        deleted_referral = Referral(
            id=new_id(),
            young_person_id=people["P01"].id,
            referral_date=date(2019, 5, 1),
            risk_category=DISRUPT,
            closed_date=date(2019, 5, 5),
            outcome=Outcome.ENTERED_CARE,
        )
        deleted_placement = Placement(
            id=new_id(),
            young_person_id=people["P08"].id,
            placement_type=PlacementType.IFA,
            start_date=date(2019, 5, 5),
            end_date=date(2019, 6, 5),
            weekly_cost_pence=90_000,
            in_area=False,
        )
        uow.add_all([deleted_referral, deleted_placement])
        uow.commit()
    with store.unit_of_work() as uow:
        for record in (
            uow.get(Referral, deleted_referral.id),
            uow.get(Placement, deleted_placement.id),
            uow.get(YoungPerson, people["P11"].id),
            uow.get(Staff, staff["cal.w"].id),
        ):
            assert record is not None
            uow.tombstone(record)
        uow.commit()
    return store


def figures(store: Store, start: date = START, end: date = END, **options: int) -> ServiceFigures:
    with store.reading() as session:
        return service_figures(session, start, end, **options)


def zeros(vocabulary: type[PlacementType], **counts: int) -> dict[str, int]:
    return {code: counts.get(code, 0) for code in vocabulary.codes()}


EXPECTED = {
    "period": {"from": "2019-01-01", "to": "2019-12-31"},
    "referrals": {
        "received": 7,  # P01 P02 P05 P06 P07 P08 P09
        "closed": 4,  # P04 (first day) P05 (last day) P06 P07
        "open": 6,  # P01 P02 P08 P09 P12 P14
        "by_risk_category": {
            WITHOUT.value: {"count": 3, "percent": 42.9},  # 3/7 = 42.857
            DISRUPT.value: {"count": 2, "percent": 28.6},  # 2/7 = 28.571
            OTHER.value: {"count": 1, "percent": 14.3},  # 1/7 = 14.286
        },
        "risk_category_not_recorded": 1,  # P06
        "closed_outcome_not_recorded": 1,  # P06
    },
    "outcomes": {
        "deflected_from_care": 1,
        "discharged_from_care": 0,
        "returned_home_after_short_placement": 0,
        "placement_stabilised": 2,
        "entered_care": 0,
        "placement_disrupted": 0,
        "other": 0,
    },
    "placements_started": {
        # 1 January to 31 March 2019: the IFA started on 31 March and supported accommodation.
        "2018/19": {**zeros(PlacementType, ifa=1, supported_accommodation=1), "out_of_area": 1},
        "2019/20": {
            **zeros(PlacementType, kinship=1, external_residential=1, in_house_residential=1),
            "out_of_area": 1,
        },
    },
    "cost": {
        # Ended in 2019: 5,000.25 + 1,000.00 a week (P07's has no cost) = 6,000.25 x 52.
        "full_year_saving_from_ended": 312_013.00,
        # Started in 2019: 850.00 + 200.01 + 4,500.00 + 1,000.00 = 6,550.01 x 52.
        "full_year_cost_of_new": 340_600.52,
        "net_full_year": 28_587.52,
        "placements_without_cost": 1,
    },
    "capacity": {
        "workers": [
            {
                "worker": "Ana Worker",
                "user_name": "ana.w",
                "team": "North Hub",
                "open": 3,  # P01 P03 P15
                "cap": 2,
                "over_cap": True,
            },
            {
                "worker": "Ben Worker",
                "user_name": "ben.w",
                "team": "South Hub",
                "open": 1,  # P08 (P11 is tombstoned)
                "cap": 3,  # South Hub has no cap, so the default given
                "over_cap": False,
            },
        ],
        "totals": {"open": 6, "allocated": 4, "unallocated": 2, "workers": 2, "over_cap": 1},
    },
}


def test_every_figure_matches_the_worked_answers(caseload: Store) -> None:
    result = figures(caseload, cap_default=3)
    assert result.as_json() == EXPECTED
    assert json.loads(json.dumps(result.as_json())) == EXPECTED  # plain JSON, nothing lost
    # The typed figures say the same, money in whole pence.
    referrals = result.referrals
    assert (referrals.received, referrals.closed, referrals.open) == (7, 4, 6)
    assert (referrals.risk(WITHOUT.value).count, referrals.risk(WITHOUT.value).percent) == (3, 42.9)
    assert result.outcome(STABILISED.value) == 2
    assert result.placement_year("2018/19").count(PlacementType.IFA.value) == 1
    assert (result.cost.saving_from_ended_pence, result.cost.cost_of_new_pence) == (
        31_201_300,
        34_060_052,
    )
    assert result.cost.net_pence == 2_858_752
    capacity = result.capacity
    assert [(w.user_name, w.open, w.cap, w.over_cap) for w in capacity.workers] == [
        ("ana.w", 3, 2, True),
        ("ben.w", 1, 3, False),
    ]
    assert (capacity.open, capacity.allocated, capacity.unallocated) == (6, 4, 2)


def test_the_json_file_keeps_its_keys_order_and_values(caseload: Store, tmp_path: Path) -> None:
    # People's scripts read `keyworker service-report --json FILE`: the file is exactly the
    # worked answers, key for key and in this order, with 0.0 and 0 kept apart.
    out = tmp_path / "figures.json"
    save_figures(figures(caseload, cap_default=3), out)
    assert out.read_text(encoding="utf-8") == json.dumps(EXPECTED, indent=2) + "\n"


def test_the_default_cap_is_twelve(caseload: Store) -> None:
    ben = figures(caseload).capacity.workers[1]
    assert (ben.user_name, ben.cap) == ("ben.w", 12)


def test_the_organisations_cap_overrides_every_teams(caseload: Store) -> None:
    workers = figures(caseload, caseload_cap=1).capacity.workers
    assert [(w.user_name, w.cap, w.over_cap) for w in workers] == [
        (w["user_name"], 1, w["open"] > 1) for w in EXPECTED["capacity"]["workers"]
    ]
    assert any(w.over_cap for w in workers) and any(w.open == 1 for w in workers)


def test_moving_the_range_by_a_day_moves_the_edges(caseload: Store) -> None:
    later = figures(caseload, date(2019, 1, 2), date(2020, 1, 1))
    # P01 (1 Jan 2019) drops out and P03 (1 Jan 2020) comes in; P04's closure on 1 Jan drops
    # out and P09's on 1 Jan 2020 comes in.
    assert later.referrals.received == 7
    assert later.referrals.risk(WITHOUT.value).count == 2
    assert later.referrals.risk(OTHER.value).count == 2
    assert later.outcome("deflected_from_care") == 0
    assert later.outcome("entered_care") == 1
    # P09 closed on the new last day, P03 referred on it.
    assert later.referrals.open == 6  # P01 P02 P03 P08 P12 P14
    assert later.placement_year("2019/20").count("in_house_fostering") == 1
    assert later.placement_year("2018/19").count("supported_accommodation") == 0


def test_one_day_ranges_either_side_of_the_financial_year(caseload: Store) -> None:
    march = figures(caseload, date(2019, 3, 31), date(2019, 3, 31)).placements_started
    april = figures(caseload, date(2019, 4, 1), date(2019, 4, 1)).placements_started
    assert [y.year for y in march] == ["2018/19"] and march[0].count("ifa") == 1
    assert march[0].out_of_area == 1
    assert [y.year for y in april] == ["2019/20"]
    assert (april[0].count("kinship"), april[0].count("in_house_residential")) == (1, 1)
    assert april[0].out_of_area == 0


def test_an_empty_store_gives_zeros_not_errors(store: Store) -> None:
    result = figures(store, date(2024, 1, 1), date(2024, 12, 31))
    assert result.referrals.received == 0
    assert all((r.count, r.percent) == (0, 0.0) for r in result.referrals.by_risk_category)
    assert {o.count for o in result.outcomes} == {0}
    assert [y.year for y in result.placements_started] == ["2023/24", "2024/25"]
    assert result.cost.as_json() == {
        "full_year_saving_from_ended": 0.0,
        "full_year_cost_of_new": 0.0,
        "net_full_year": 0.0,
        "placements_without_cost": 0,
    }
    assert result.capacity.as_json() == {
        "workers": [],
        "totals": {"open": 0, "allocated": 0, "unallocated": 0, "workers": 0, "over_cap": 0},
    }


def test_a_range_that_ends_before_it_starts_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="starts after it ends"):
        figures(store, END, START)


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (1, 3, 33.3),
        (2, 3, 66.7),
        (1, 16, 6.3),  # 6.25 rounds half up, not to even
        (3, 16, 18.8),  # 18.75
        (1, 8, 12.5),
        (5, 5, 100.0),
        (0, 0, 0.0),
    ],
)
def test_percentages_round_half_up_to_one_decimal(part: int, whole: int, expected: float) -> None:
    assert percent(part, whole) == expected


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2019, 3, 31), "2018/19"),
        (date(2019, 4, 1), "2019/20"),
        (date(2000, 3, 31), "1999/00"),
        (date(2099, 12, 31), "2099/00"),
    ],
)
def test_financial_years_run_april_to_march(day: date, year: str) -> None:
    assert financial_year(day) == year
