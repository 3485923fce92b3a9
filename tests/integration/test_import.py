"""Importing a spreadsheet into a real store: all or nothing, idempotent, updates in place."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from keyworker_app.domain.caseload_csv import RowProblem, parse_caseload_csv
from keyworker_app.domain.vocabulary import CaseStatus, Outcome, PlacementType, RiskCategory, Role
from keyworker_app.store import importing
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.importing import (
    ImportRefused,
    ImportResult,
    describe_result,
    import_caseload,
)
from keyworker_app.store.models import (
    AuditEvent,
    OutboxEntry,
    Placement,
    Referral,
    Staff,
    Team,
    YoungPerson,
)

TODAY = date(2026, 11, 20)
# The issue's own example, with a keyworker column and a second placement for YP-1.
GOOD = (
    "reference,given_name,family_name,date_of_birth,team,keyworker,risk_category,referral_date,"
    "placement_type,placement_start,placement_end,placement_weekly_cost,placement_in_area\n"
    "YP-1,Siân,Llŷr,2008-03-04,North,asha.k,placement_likely_to_disrupt,2024-01-10,"
    "kinship,2022-01-01,2023-06-01,,yes\n"
    "YP-1,,,,,,,,ifa,2023-06-01,,850.00,no\n"
    "YP-2,Łukasz,Wąsowski,14/07/2009,North,,placement_likely_without_intervention,2024-02-11,"
    ",,,,\n"
)
# The outside check's refused file: YP-4 has an impossible date, YP-5 an unknown code.
BAD = (
    "reference,given_name,family_name,date_of_birth,team,risk_category,referral_date\n"
    "YP-1,Siân,Llŷr,2008-03-04,North,placement_likely_to_disrupt,2024-01-10\n"
    "YP-4,Bad,Date,2009-02-30,North,other,2024-02-11\n"
    "YP-5,Bad,Code,2009-02-03,North,very_high,2024-02-11\n"
)


def counts(store: Store) -> dict[str, int]:
    models = {
        "people": YoungPerson,
        "placements": Placement,
        "referrals": Referral,
        "teams": Team,
        "staff": Staff,
        "outbox": OutboxEntry,
        "audit": AuditEvent,
    }
    with store.reading() as session:
        return {
            name: session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in models.items()
        }


def run(store: Store, text: str, **options: bool) -> ImportResult:
    return import_caseload(store, parse_caseload_csv(text.encode(), today=TODAY), **options)


def person(store: Store, reference: str) -> YoungPerson:
    with store.reading() as session:
        return session.scalars(select(YoungPerson).where(YoungPerson.reference == reference)).one()


def outbox_since(store: Store, seq: int) -> list[OutboxEntry]:
    with store.reading() as session:
        return list(
            session.scalars(select(OutboxEntry).where(OutboxEntry.seq > seq).order_by("seq"))
        )


def last_outbox_seq(store: Store) -> int:
    with store.reading() as session:
        return session.scalar(select(func.max(OutboxEntry.seq))) or 0


# -- all or nothing --------------------------------------------------------------------------


def test_a_bad_file_imports_nothing(store: Store, young_person: YoungPerson) -> None:
    before = counts(store)
    with pytest.raises(ImportRefused) as refused:
        run(store, BAD)
    assert [(p.line, p.column) for p in refused.value.problems] == [
        (3, "date_of_birth"),
        (4, "risk_category"),
    ]
    assert counts(store) == before


def test_a_file_that_cannot_be_read_is_refused_even_with_skip_invalid(store: Store) -> None:
    with pytest.raises(ImportRefused) as refused:
        run(store, "reference;given_name;family_name;date_of_birth\n", skip_invalid=True)
    assert refused.value.problems[0].line == 0
    assert counts(store)["outbox"] == 0


def test_skip_invalid_imports_the_good_rows(store: Store) -> None:
    result = run(store, BAD, skip_invalid=True)
    assert (result.created, result.rows_skipped) == (1, 2)
    assert [(p.line, p.column) for p in result.skipped_problems] == [
        (3, "date_of_birth"),
        (4, "risk_category"),
    ]
    assert "2 bad rows skipped" in describe_result(result)
    with store.reading() as session:
        assert session.scalars(select(YoungPerson.reference)).all() == ["YP-1"]


def test_skip_invalid_keeps_the_good_rows_of_a_reference_with_a_bad_row(store: Store) -> None:
    result = run(
        store,
        "reference,given_name,family_name,date_of_birth,placement_type,placement_start\n"
        "YP-1,A,B,2009-01-01,kinship,2023-01-01\n"
        "YP-1,,,,ifa,2024-13-01\n"
        "YP-1,,,,ifa,2024-02-01\n",
        skip_invalid=True,
    )
    assert (result.created, result.placements_added, result.rows_skipped) == (1, 2, 1)


def test_a_failure_part_way_writes_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    apply = importing._Importer.apply

    def fail_on_yp2(self: importing._Importer, case: importing.CaseImport) -> None:
        if case.reference == "YP-2":
            raise RuntimeError("disk full")
        apply(self, case)

    monkeypatch.setattr(importing._Importer, "apply", fail_on_yp2)
    with pytest.raises(RuntimeError):
        run(store, GOOD)
    assert set(counts(store).values()) == {0}


def test_a_dry_run_counts_exactly_but_writes_nothing(
    store: Store, team_and_worker: tuple[Team, Staff]
) -> None:
    before = counts(store)
    dry = run(store, GOOD, dry_run=True)
    assert counts(store) == before
    real = run(store, GOOD)
    assert dry == real
    assert (real.created, real.placements_added, real.referrals_created) == (2, 2, 2)


# -- creating --------------------------------------------------------------------------------


def test_a_good_file_creates_people_teams_workers_referrals_and_placements(store: Store) -> None:
    result = run(store, GOOD)
    assert result == ImportResult(
        created=2, placements_added=2, referrals_created=2, teams_created=1, staff_created=1
    )
    assert describe_result(result) == (
        "2 young people added, 0 updated, 0 unchanged; 2 placements added; "
        "2 referrals added, 0 updated; 1 team and 1 worker added."
    )
    with store.reading() as session:
        yp1 = session.scalars(select(YoungPerson).where(YoungPerson.reference == "YP-1")).one()
        yp2 = session.scalars(select(YoungPerson).where(YoungPerson.reference == "YP-2")).one()
        team = session.scalars(select(Team)).one()
        worker = session.scalars(select(Staff)).one()
        assert (yp1.given_name, yp1.family_name, yp1.date_of_birth) == (
            "Siân",
            "Llŷr",
            date(2008, 3, 4),
        )
        assert (yp1.team_id, yp1.keyworker_id, yp1.status) == (team.id, worker.id, "open")
        assert (yp2.given_name, yp2.date_of_birth, yp2.keyworker_id) == (
            "Łukasz",
            date(2009, 7, 14),
            None,
        )
        assert team.name == "North"
        assert (worker.user_name, worker.display_name, worker.role, worker.team_id) == (
            "asha.k",
            "asha.k",
            Role.KEYWORKER,
            team.id,
        )
        placements = session.scalars(
            select(Placement)
            .where(Placement.young_person_id == yp1.id)
            .order_by(Placement.start_date)
        ).all()
        assert [
            (p.placement_type, p.start_date, p.end_date, p.in_area, p.weekly_cost_pence)
            for p in placements
        ] == [
            (PlacementType.KINSHIP, date(2022, 1, 1), date(2023, 6, 1), True, None),
            (PlacementType.IFA, date(2023, 6, 1), None, False, 85000),
        ]
        referral = session.scalars(select(Referral).where(Referral.young_person_id == yp1.id)).one()
        assert referral.referral_date == date(2024, 1, 10)
        assert referral.risk_category is RiskCategory.PLACEMENT_LIKELY_TO_DISRUPT
    # Every new record went through the unit of work: one outbox insert each.
    entries = outbox_since(store, 0)
    assert {e.operation for e in entries} == {"insert"}
    assert len(entries) == 2 + 2 + 2 + 1 + 1


def test_existing_teams_and_workers_are_matched_not_duplicated(
    store: Store, team_and_worker: tuple[Team, Staff]
) -> None:
    team, worker = team_and_worker
    result = run(
        store,
        "reference,given_name,family_name,date_of_birth,team,keyworker\n"
        "YP-1,A,B,2010-01-01,north hub,TESTER\n",
    )
    assert (result.teams_created, result.staff_created) == (0, 0)
    created = person(store, "YP-1")
    assert (created.team_id, created.keyworker_id) == (team.id, worker.id)


def test_a_repeated_placement_row_is_added_once(store: Store) -> None:
    result = run(
        store,
        "reference,given_name,family_name,date_of_birth,placement_type,placement_start\n"
        "YP-1,A,B,2010-01-01,ifa,2024-01-01\n"
        "YP-1,,,,ifa,2024-01-01\n"
        "YP-1,,,,ifa,2024-06-01\n"
        "YP-1,,,,secure,2024-06-01\n",
    )
    assert result.placements_added == 3


# -- importing again -------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(store: Store) -> None:
    run(store, GOOD)
    before = counts(store)
    versions = (person(store, "YP-1").version, person(store, "YP-2").version)
    result = run(store, GOOD)
    assert result == ImportResult(unchanged=2)
    assert counts(store) == before  # not one outbox entry or audit event
    assert (person(store, "YP-1").version, person(store, "YP-2").version) == versions


def test_changed_fields_update_in_place_as_one_patch_each(store: Store) -> None:
    run(store, GOOD)
    seq = last_outbox_seq(store)
    result = run(
        store,
        "reference,given_name,family_name,date_of_birth,school,referral_date,closed_date,outcome\n"
        "YP-2,Lukasz,Wąsowski,2009-07-14,Ysgol Uwchradd,2024-02-11,2024-09-30,deflected_from_care\n"
        "YP-1,Siân,Llŷr,04/03/2008,,,,\n",
    )
    assert result == ImportResult(updated=1, unchanged=1, referrals_updated=1)
    updated = person(store, "YP-2")
    assert (updated.given_name, updated.school, updated.status, updated.version) == (
        "Lukasz",
        "Ysgol Uwchradd",
        CaseStatus.CLOSED,
        2,
    )
    # Blank cells left the team and referral details as they were.
    assert updated.team_id is not None
    with store.reading() as session:
        referral = session.scalars(
            select(Referral).where(Referral.young_person_id == updated.id)
        ).one()
        assert (referral.closed_date, referral.outcome, referral.risk_category) == (
            date(2024, 9, 30),
            Outcome.DEFLECTED_FROM_CARE,
            RiskCategory.PLACEMENT_LIKELY_WITHOUT_INTERVENTION,
        )
    patches = {(e.record_type, e.operation): e.patch for e in outbox_since(store, seq)}
    assert patches == {
        ("young_person", "update"): {
            "given_name": "Lukasz",
            "school": "Ysgol Uwchradd",
            "status": "closed",
        },
        ("referral", "update"): {"closed_date": "2024-09-30", "outcome": "deflected_from_care"},
    }


def test_a_later_row_adds_placements_and_fills_in_an_end_date(store: Store) -> None:
    run(store, GOOD)
    result = run(
        store,
        "reference,given_name,family_name,date_of_birth,placement_type,placement_start,"
        "placement_end\n"
        "YP-1,Siân,Llŷr,2008-03-04,ifa,2023-06-01,2024-03-31\n"
        "YP-1,,,,supported_accommodation,2024-04-01,\n",
    )
    assert result == ImportResult(updated=1, placements_added=1, placements_updated=1)
    with store.reading() as session:
        placements = session.scalars(
            select(Placement).join(YoungPerson).where(YoungPerson.reference == "YP-1")
        ).all()
        ends = {p.placement_type: p.end_date for p in placements}
    assert ends == {
        PlacementType.KINSHIP: date(2023, 6, 1),
        PlacementType.IFA: date(2024, 3, 31),
        PlacementType.SUPPORTED_ACCOMMODATION: None,
    }


def test_a_row_without_a_referral_date_describes_the_latest_referral(store: Store) -> None:
    run(store, GOOD)
    result = run(
        store,
        "reference,given_name,family_name,date_of_birth,closed_date,outcome\n"
        "YP-1,Siân,Llŷr,2008-03-04,2024-08-01,placement_stabilised\n",
    )
    assert (result.referrals_created, result.referrals_updated) == (0, 1)
    assert person(store, "YP-1").status is CaseStatus.CLOSED


def test_a_new_referral_after_closing_reopens_the_case(store: Store) -> None:
    header = "reference,given_name,family_name,date_of_birth,referral_date,closed_date\n"
    run(store, header + "YP-1,A,B,2010-01-01,2023-01-01,2023-06-01\n")
    assert person(store, "YP-1").status is CaseStatus.CLOSED
    # An older referral found later does not reopen it ...
    run(store, header + "YP-1,A,B,2010-01-01,2022-01-01,\n")
    assert person(store, "YP-1").status is CaseStatus.CLOSED
    # ... a new one does.
    result = run(store, header + "YP-1,A,B,2010-01-01,2024-05-01,\n")
    assert (result.updated, result.referrals_created) == (1, 1)
    assert person(store, "YP-1").status is CaseStatus.OPEN
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(Referral)) == 3


def test_a_reference_held_by_a_deleted_young_person_is_a_problem(
    store: Store, young_person: YoungPerson
) -> None:
    with store.unit_of_work() as uow:
        record = uow.get(YoungPerson, young_person.id)
        assert record is not None
        uow.tombstone(record)
        uow.commit()
    before = counts(store)
    text = (
        "reference,given_name,family_name,date_of_birth\n"
        "YP-0001,Amani,Tesfaye,2009-05-17\n"
        "YP-7,New,Person,2010-01-01\n"
    )
    with pytest.raises(ImportRefused) as refused:
        run(store, text)
    assert refused.value.problems == [
        RowProblem(
            2, "reference", "YP-0001 belongs to a deleted young person; use another reference"
        )
    ]
    assert counts(store) == before
    result = run(store, text, skip_invalid=True)
    assert (result.created, result.rows_skipped) == (1, 1)
    assert result.skipped_problems == refused.value.problems
