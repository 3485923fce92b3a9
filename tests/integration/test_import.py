"""Importing a spreadsheet into a real store: all or nothing, idempotent, updates in place."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from keyworker_app.domain.caseload_csv import parse_caseload_csv
from keyworker_app.domain.vocabulary import CaseStatus, PlacementType, RiskCategory, Role
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.importing import ImportRefused, describe_result, import_caseload
from keyworker_app.store.models import OutboxEntry, Placement, Referral, Staff, Team, YoungPerson

GOOD = (
    "reference,given_name,family_name,date_of_birth,team,keyworker,risk_category,referral_date,"
    "placement_type,placement_start,placement_end,placement_weekly_cost,placement_in_area\n"
    "YP-1,Siân,Llŷr,2008-03-04,North,asha.k,placement_likely_to_disrupt,2024-01-10,kinship,2022-01-01,2023-06-01,,yes\n"
    "YP-1,,,,,,,,ifa,2023-06-01,,850.00,no\n"
    "YP-2,Łukasz,Wąsowski,14/07/2009,North,,placement_likely_without_intervention,2024-02-11,,,,,\n"
)
BAD = (
    "reference,given_name,family_name,date_of_birth\n"
    "YP-3,Ok,Row,2009-01-01\n"
    "YP-4,Bad,Date,2009-13-45\n"
)


def counts(store: Store) -> tuple[int, int, int]:
    with store.reading() as session:
        return (
            session.scalar(select(func.count()).select_from(YoungPerson)) or 0,
            session.scalar(select(func.count()).select_from(Placement)) or 0,
            session.scalar(select(func.count()).select_from(OutboxEntry)) or 0,
        )


def run(store: Store, text: str, **options: bool):  # type: ignore[no-untyped-def]
    return import_caseload(
        store, parse_caseload_csv(text.encode(), today=date(2026, 11, 20)), **options
    )


def test_a_bad_file_imports_nothing(store: Store) -> None:
    with pytest.raises(ImportRefused) as refused:
        run(store, BAD)
    assert [(p.line, p.column) for p in refused.value.problems] == [(3, "date_of_birth")]
    assert counts(store) == (0, 0, 0)


def test_skip_invalid_imports_the_good_rows(store: Store) -> None:
    result = run(store, BAD, skip_invalid=True)
    assert (result.created, result.rows_skipped) == (1, 1)
    with store.reading() as session:
        assert session.scalars(select(YoungPerson.reference)).all() == ["YP-3"]


def test_a_good_file_creates_people_teams_workers_referrals_and_placements(store: Store) -> None:
    result = run(store, GOOD)
    assert (result.created, result.placements_added, result.referrals_created) == (2, 2, 2)
    assert (result.teams_created, result.staff_created) == (1, 1)
    assert "2 young people added" in describe_result(result)
    with store.reading() as session:
        person = session.scalars(select(YoungPerson).where(YoungPerson.reference == "YP-1")).one()
        team = session.scalars(select(Team)).one()
        worker = session.scalars(select(Staff)).one()
        assert (person.given_name, person.team_id, person.keyworker_id) == (
            "Siân",
            team.id,
            worker.id,
        )
        assert (worker.user_name, worker.role, worker.team_id) == (
            "asha.k",
            Role.KEYWORKER,
            team.id,
        )
        placements = session.scalars(
            select(Placement)
            .where(Placement.young_person_id == person.id)
            .order_by(Placement.start_date)
        ).all()
        assert [(p.placement_type, p.in_area, p.weekly_cost_pence) for p in placements] == [
            (PlacementType.KINSHIP, True, None),
            (PlacementType.IFA, False, 85000),
        ]
        referral = session.scalars(
            select(Referral).where(Referral.young_person_id == person.id)
        ).one()
        assert referral.risk_category is RiskCategory.PLACEMENT_LIKELY_TO_DISRUPT


def test_importing_the_same_file_again_changes_nothing(store: Store) -> None:
    run(store, GOOD)
    before = counts(store)
    result = run(store, GOOD)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert counts(store) == before  # not even an outbox entry


def test_changed_rows_update_in_place_and_closing_closes_the_case(store: Store) -> None:
    run(store, GOOD)
    _, _, outbox_before = counts(store)
    result = run(
        store,
        "reference,given_name,family_name,date_of_birth,referral_date,closed_date,outcome\n"
        "YP-2,Lukasz,Wąsowski,2009-07-14,2024-02-11,2024-09-30,deflected_from_care\n",
    )
    assert (result.created, result.updated, result.referrals_updated) == (0, 1, 1)
    with store.reading() as session:
        person = session.scalars(select(YoungPerson).where(YoungPerson.reference == "YP-2")).one()
        assert (person.given_name, person.status, person.version) == (
            "Lukasz",
            CaseStatus.CLOSED,
            2,
        )
        referral = session.scalars(
            select(Referral).where(Referral.young_person_id == person.id)
        ).one()
        assert referral.closed_date == date(2024, 9, 30)
    assert counts(store)[2] == outbox_before + 2  # one patch for the person, one for the referral


def test_a_dry_run_reports_but_writes_nothing(store: Store) -> None:
    result = run(store, GOOD, dry_run=True)
    assert result.created == 2
    assert counts(store) == (0, 0, 0)


def test_a_risk_category_without_a_referral_date_is_kept(store: Store) -> None:
    run(
        store,
        "reference,given_name,family_name,date_of_birth,risk_category\nYP-9,A,B,2010-01-01,other\n",
    )
    with store.reading() as session:
        referral = session.scalars(select(Referral)).one()
        assert (referral.referral_date, referral.risk_category) == (None, RiskCategory.OTHER)
