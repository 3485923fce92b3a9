"""Reading and checking caseload spreadsheets: every problem named by line and column."""

from __future__ import annotations

from datetime import date

from keyworker_app.domain.caseload_csv import describe_problem, parse_caseload_csv
from keyworker_app.domain.vocabulary import LegalStatus, Outcome, PlacementType, RiskCategory

TODAY = date(2026, 11, 20)
HEADER = "reference,given_name,family_name,date_of_birth"


def parse(text: str, *, bom: bool = False, crlf: bool = False):  # type: ignore[no-untyped-def]
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    return parse_caseload_csv((b"\xef\xbb\xbf" if bom else b"") + data, today=TODAY)


def problems(text: str) -> list[tuple[int, str | None]]:
    return [(p.line, p.column) for p in parse(text).problems]


def test_excel_csv_with_bom_crlf_and_uk_dates_reads_cleanly() -> None:
    text = (
        "Reference,Given Name,family_name,date_of_birth,team,risk_category,referral_date,"
        "placement_type,placement_start,placement_weekly_cost,placement_in_area,uasc,legal_status\n"
        "YP-1,Siân,Llŷr,2008-03-04,North,placement_likely_to_disrupt,10/01/2024,ifa,01/06/2023,"
        '"£1,050.50",yes,No,care_order\n'
        "YP-2,Łukasz,Wąsowski,14/07/2009,North,,,,,,,,\n"
    )
    parsed = parse(text, bom=True, crlf=True)
    assert parsed.ok and parsed.rows == 2
    first, second = parsed.cases
    assert first.reference == "YP-1" and first.get("given_name") == "Siân"
    assert first.get("date_of_birth") == date(2008, 3, 4)
    assert first.get("referral_date") == date(2024, 1, 10)
    assert first.get("risk_category") is RiskCategory.PLACEMENT_LIKELY_TO_DISRUPT
    assert first.get("uasc") is False and first.get("legal_status") is LegalStatus.CARE_ORDER
    [placement] = first.placements
    assert placement.placement_type is PlacementType.IFA
    assert placement.start == date(2023, 6, 1)
    assert placement.weekly_cost_pence == 105050 and placement.in_area is True
    assert second.get("date_of_birth") == date(2009, 7, 14) and second.placements == []


def test_money_is_exact_pence() -> None:
    for text, pence in [("850", 85000), ("850.00", 85000), ("0.10", 10), ("£3,999.99", 399999)]:
        parsed = parse(
            f'{HEADER},placement_type,placement_start,placement_weekly_cost\nR,A,B,2010-01-01,ifa,2024-01-01,"{text}"\n'
        )
        assert parsed.cases[0].placements[0].weekly_cost_pence == pence, text
    for bad in ("-5", "12.345", "lots", "NaN"):
        parsed = parse(
            f"{HEADER},placement_type,placement_start,placement_weekly_cost\nR,A,B,2010-01-01,ifa,2024-01-01,{bad}\n"
        )
        assert [(p.line, p.column) for p in parsed.problems] == [(2, "placement_weekly_cost")], bad


def test_each_bad_value_is_reported_with_its_line_and_column() -> None:
    text = (
        f"{HEADER},risk_category,outcome,closed_date,referral_date,uasc\n"
        "YP-3,Ok,Row,2009-01-01,other,,,,\n"
        "YP-4,Bad,Date,2009-13-45,other,,,,\n"
        "YP-5,Bad,Code,2009-01-01,very_risky,,,,\n"
        "YP-6,Bad,Yes,2009-01-01,,,,,maybe\n"
        "YP-7,Future,Born,2030-01-01,,,,,\n"
        "YP-8,Too,Old,1980-01-01,,,,,\n"
        "YP-9,Closed,Early,2009-01-01,,deflected_from_care,2024-01-01,2024-02-01,\n"
        "YP-10,No,Date,2009-01-01,,entered_care,,,\n"
        ",No,Reference,2009-01-01,,,,,\n"
    )
    assert problems(text) == [
        (3, "date_of_birth"),
        (4, "risk_category"),
        (5, "uasc"),
        (6, "date_of_birth"),
        (7, "date_of_birth"),
        (8, "closed_date"),
        (9, "closed_date"),
        (10, "reference"),
    ]
    parsed = parse(text)
    messages = [describe_problem(p) for p in parsed.problems]
    assert (
        messages[0]
        == "line 3, column date_of_birth: '2009-13-45' is not a date; "
        "write it as YYYY-MM-DD or DD/MM/YYYY"
    )
    assert "use one of: placement_likely_without_intervention" in messages[1]
    assert parsed.bad_lines == {3, 4, 5, 6, 7, 8, 9, 10}
    assert [c.reference for c in parsed.cases] == ["YP-3"]


def test_placement_columns_need_a_type_and_a_start_that_precedes_the_end() -> None:
    text = (
        f"{HEADER},placement_type,placement_start,placement_end,placement_weekly_cost,placement_in_area\n"
        "A,A,A,2010-01-01,,,,500,\n"
        "B,B,B,2010-01-01,kinship,2024-05-01,2024-04-01,,\n"
        "C,C,C,2010-01-01,kinship,2024-05-01,,,perhaps\n"
    )
    assert problems(text) == [
        (2, "placement_type"),
        (2, "placement_start"),
        (3, "placement_end"),
        (4, "placement_in_area"),
    ]


def test_rows_sharing_a_reference_give_several_placements_first_filled_value_wins() -> None:
    text = (
        f"{HEADER},school,placement_type,placement_start,placement_end\n"
        "YP-1,Amani,Tesfaye,2009-05-17,,kinship,2022-01-01,2023-03-01\n"
        "YP-1,,,,Riverside Academy,ifa,2023-03-01,\n"
        "YP-1,Ignored,Later,2001-01-01,Other School,in_house_fostering,2024-01-01,\n"
    )
    parsed = parse(text)
    assert parsed.ok
    [case] = parsed.cases
    assert case.lines == [2, 3, 4]
    assert (case.get("given_name"), case.get("school")) == ("Amani", "Riverside Academy")
    assert case.get("date_of_birth") == date(2009, 5, 17)
    assert [p.placement_type for p in case.placements] == [
        PlacementType.KINSHIP,
        PlacementType.IFA,
        PlacementType.IN_HOUSE_FOSTERING,
    ]


def test_a_reference_whose_rows_never_give_the_name_is_a_problem() -> None:
    assert problems(f"{HEADER}\nYP-1,,,\n") == [
        (2, "given_name"),
        (2, "family_name"),
        (2, "date_of_birth"),
    ]


def test_whole_file_problems_are_one_sentence_each() -> None:
    cases = {
        b"\xff\xfer\x00e\x00f\x00": "is not UTF-8 text",
        b"": "is empty",
        b"reference;given_name;family_name;date_of_birth\nA;B;C;2010-01-01\n": "semicolons",
        b"reference,given_name,family_name\nA,B,C\n": "lacks the required column date_of_birth",
        b"reference,given_name,family_name,date_of_birth,team,Team\n": "twice",
        b"reference,given_name,family_name,date_of_birth\n\n\n": "no young people",
    }
    for data, phrase in cases.items():
        parsed = parse_caseload_csv(data, today=TODAY)
        assert len(parsed.problems) == 1 and parsed.problems[0].line == 0, data
        message = describe_problem(parsed.problems[0])
        assert phrase in message and message.startswith("The file ") and message.endswith("."), (
            message
        )


def test_extra_columns_are_noted_not_refused_and_ragged_rows_are_caught() -> None:
    parsed = parse(
        f"{HEADER},Notes,Column1\nA,B,C,2010-01-01,likes art,\nD,E,F,2010-01-01,,,surprise\n"
    )
    assert parsed.notices == ["ignored the columns notes, column1"]
    assert [(p.line, p.column) for p in parsed.problems] == [(3, None)]
    assert "has 7 values" in parsed.problems[0].reason


def test_outcomes_and_blank_lines() -> None:
    parsed = parse(
        f"{HEADER},referral_date,closed_date,outcome\n\nA,B,C,2010-01-01,2024-01-01,2024-06-01,placement_stabilised\n\n"
    )
    assert parsed.ok and parsed.rows == 1
    assert parsed.cases[0].get("outcome") is Outcome.PLACEMENT_STABILISED
