"""What a young person's spreadsheet rows mean for what a store holds (the one decision the
laptop's and the central store's imports both apply)."""

from __future__ import annotations

from datetime import date

from keyworker_app.domain.case_changes import (
    CaseChanges,
    ExistingCase,
    ExistingPlacement,
    ExistingReferral,
    PlacementChange,
    ReferralChange,
    changes_for,
)
from keyworker_app.domain.caseload_csv import (
    CaseImport,
    PersonImport,
    PlacementImport,
    ReferralImport,
)
from keyworker_app.domain.vocabulary import (
    CaseStatus,
    LegalStatus,
    Outcome,
    PlacementType,
    RiskCategory,
)

BORN = date(2010, 1, 1)
PERSON = PersonImport("Ava", "Stone", BORN)
HELD = ExistingCase("Ava", "Stone", BORN, school="Oak High", uasc=False, team_id="team-1")


def case(
    referral: ReferralImport | None = None,
    *placements: PlacementImport,
    person: PersonImport = PERSON,
) -> CaseImport:
    return CaseImport("C-1", (2,), person, referral, placements)


def placement(
    kind: PlacementType, start: date, end: date | None = None, cost: int | None = None
) -> PlacementImport:
    return PlacementImport(2, kind, start, end, cost)


def test_a_new_young_person_gets_every_value_given_and_an_open_case() -> None:
    changes = changes_for(
        case(
            ReferralImport(date(2024, 1, 1), risk_category=RiskCategory.OTHER),
            person=PersonImport("Ava", "Stone", BORN, school="Oak High", uasc=True),
        ),
        None,
        team_id="team-1",
    )
    assert changes == CaseChanges(
        new=True,
        person={
            "given_name": "Ava",
            "family_name": "Stone",
            "date_of_birth": BORN,
            "school": "Oak High",
            "uasc": True,
            "team_id": "team-1",
            "status": CaseStatus.OPEN,
        },
        referral=ReferralChange(None, date(2024, 1, 1), {"risk_category": RiskCategory.OTHER}),
    )


def test_blank_cells_and_equal_values_change_nothing() -> None:
    changes = changes_for(case(), HELD, team_id="team-1")
    assert changes == CaseChanges(new=False)
    assert not changes.changes_anything


def test_only_the_fields_that_differ_are_set() -> None:
    given = PersonImport(
        "Ava", "Stone", BORN, school="Elm Academy", legal_status=LegalStatus.CHILD_IN_NEED
    )
    changes = changes_for(case(person=given), HELD, keyworker_id="worker-1")
    assert changes.person == {
        "school": "Elm Academy",
        "legal_status": LegalStatus.CHILD_IN_NEED,
        "keyworker_id": "worker-1",
    }


def test_a_closed_date_closes_the_case_with_its_outcome() -> None:
    held = ExistingCase("Ava", "Stone", BORN, referrals=(ExistingReferral("r1", date(2024, 1, 1)),))
    changes = changes_for(
        case(ReferralImport(date(2024, 1, 1), closed_date=date(2025, 1, 1), outcome=Outcome.OTHER)),
        held,
    )
    assert changes.status is CaseStatus.CLOSED
    assert changes.referral == ReferralChange(
        "r1", date(2024, 1, 1), {"closed_date": date(2025, 1, 1), "outcome": Outcome.OTHER}
    )


def test_a_row_without_a_referral_date_describes_the_latest_referral() -> None:
    held = ExistingCase(
        "Ava",
        "Stone",
        BORN,
        referrals=(
            ExistingReferral("undated", None),
            ExistingReferral("later", date(2024, 6, 1)),
            ExistingReferral("earlier", date(2023, 6, 1)),
        ),
    )
    changes = changes_for(case(ReferralImport(closed_date=date(2025, 1, 1))), held)
    assert changes.referral is not None and changes.referral.key == "later"
    # With no referral held, the row starts the first one, undated.
    first = changes_for(case(ReferralImport(source="school")), HELD)
    assert first.referral == ReferralChange(None, None, {"source": "school"})


def test_a_new_referral_after_every_other_reopens_a_closed_case_and_an_older_one_does_not() -> None:
    held = ExistingCase(
        "Ava",
        "Stone",
        BORN,
        status=CaseStatus.CLOSED,
        referrals=(ExistingReferral("r1", date(2023, 1, 1), closed_date=date(2023, 6, 1)),),
    )
    newer = changes_for(case(ReferralImport(date(2024, 5, 1))), held)
    assert (newer.status, newer.referral) == (
        CaseStatus.OPEN,
        ReferralChange(None, date(2024, 5, 1), {}),
    )
    older = changes_for(case(ReferralImport(date(2022, 1, 1))), held)
    assert (older.status, older.referral) == (None, ReferralChange(None, date(2022, 1, 1), {}))
    # The same referral again, still without a closed date, reopens nothing.
    again = changes_for(case(ReferralImport(date(2023, 1, 1))), held)
    assert again == CaseChanges(new=False)


def test_placements_are_added_or_updated_by_type_and_start() -> None:
    held = ExistingCase(
        "Ava",
        "Stone",
        BORN,
        placements=(
            ExistingPlacement("p1", PlacementType.IFA, date(2024, 2, 1), weekly_cost_pence=85000),
        ),
    )
    changes = changes_for(
        case(
            None,
            placement(PlacementType.IFA, date(2024, 2, 1), date(2025, 3, 31), 85000),
            placement(PlacementType.KINSHIP, date(2025, 4, 1)),
            # The same placement on two rows: added once, a later row's filled cells win.
            placement(PlacementType.KINSHIP, date(2025, 4, 1), cost=10000),
        ),
        held,
    )
    assert changes.placements == (
        PlacementChange("p1", PlacementType.IFA, date(2024, 2, 1), {"end_date": date(2025, 3, 31)}),
        PlacementChange(
            None, PlacementType.KINSHIP, date(2025, 4, 1), {"weekly_cost_pence": 10000}
        ),
    )
    assert changes.person == {} and changes.changes_anything
