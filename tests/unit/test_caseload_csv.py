"""Reading and checking caseload spreadsheets: every problem named by line and column."""

from __future__ import annotations

from datetime import date

import pytest

from keyworker_app.domain.caseload_csv import (
    ParsedCaseload,
    RowProblem,
    describe_problem,
    parse_caseload_csv,
    parse_money_pence,
)
from keyworker_app.domain.vocabulary import LegalStatus, Outcome, PlacementType, RiskCategory

TODAY = date(2026, 11, 20)
HEADER = "reference,given_name,family_name,date_of_birth"
BOM = b"\xef\xbb\xbf"


def parse(text: str, *, bom: bool = False, crlf: bool = False) -> ParsedCaseload:
    if crlf:
        text = text.replace("\n", "\r\n")
    return parse_caseload_csv((BOM if bom else b"") + text.encode("utf-8"), today=TODAY)


def where(text: str) -> list[tuple[int, str | None]]:
    return [(p.line, p.column) for p in parse(text).problems]


# -- files as Excel saves them ---------------------------------------------------------------

EXCEL_FILE = (
    "Reference,Given Name,family_name,Date-of-birth,team,keyworker,risk_category,referral_date,"
    "placement_type,placement_start,placement_weekly_cost,placement_in_area,uasc,legal_status\n"
    "YP-1,Siân,Llŷr,2008-03-04,North,asha.k,placement_likely_to_disrupt,10/01/2024,ifa,01/06/2023,"
    '"£1,050.50",yes,No,care_order\n'
    "YP-2,Łukasz,Wąsowski,14/07/2009,North,,placement_likely_without_intervention,2024-02-11,"
    ",,,,,\n"
)


@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("crlf", [True, False])
def test_excel_csv_reads_cleanly_with_or_without_bom_and_crlf(bom: bool, crlf: bool) -> None:
    parsed = parse(EXCEL_FILE, bom=bom, crlf=crlf)
    assert parsed.ok and parsed.rows == 2 and parsed.notices == ()
    first, second = parsed.cases
    assert first.reference == "YP-1" and first.lines == (2,)
    assert first.person.given_name == "Siân" and first.person.family_name == "Llŷr"
    assert first.person.date_of_birth == date(2008, 3, 4)
    assert (first.person.team, first.person.keyworker) == ("North", "asha.k")
    assert first.person.uasc is False and first.person.legal_status is LegalStatus.CARE_ORDER
    assert first.referral is not None
    assert first.referral.referral_date == date(2024, 1, 10)
    assert first.referral.risk_category is RiskCategory.PLACEMENT_LIKELY_TO_DISRUPT
    [placement] = first.placements
    assert placement.placement_type is PlacementType.IFA
    assert placement.start == date(2023, 6, 1) and placement.end is None
    assert placement.weekly_cost_pence == 105050 and placement.in_area is True
    assert second.reference == "YP-2" and second.lines == (3,)
    assert second.person.date_of_birth == date(2009, 7, 14)
    assert second.person.keyworker is None and second.placements == ()


def test_values_are_stripped_and_bare_comma_rows_and_blank_lines_are_skipped() -> None:
    parsed = parse(f"{HEADER},team\n\n  YP-1 , Siân\u00a0,  Llŷr ,2008-03-04 , North \n,,,,\n\n")
    assert parsed.ok and parsed.rows == 1
    [case] = parsed.cases
    assert (case.reference, case.person.given_name, case.person.team) == ("YP-1", "Siân", "North")
    assert case.lines == (3,)
    assert case.referral is None


def test_rows_shorter_than_the_header_are_padded_with_blanks() -> None:
    # Excel leaves off trailing empty cells on some rows.
    parsed = parse(f"{HEADER},team,school\nYP-1,A,B,2010-01-01\n")
    assert parsed.ok and parsed.cases[0].person.team is None


# -- money and yes/no ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("850", 85000),
        ("850.00", 85000),
        ("850.5", 85050),
        ("0.10", 10),
        ("0", 0),
        ("£1,050.50", 105050),
        ("£ 3,999.99", 399999),
        ("1,234,567.01", 123456701),
        (" 19.99 ", 1999),
    ],
)
def test_money_is_exact_pence(text: str, pence: int) -> None:
    assert parse_money_pence(text) == pence


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("-5", "is negative"),
        ("£-5", "is negative"),
        ("12.345", "more than two decimal places"),
        ("lots", "is not an amount of money"),
        ("NaN", "is not an amount of money"),
        ("1e3", "is not an amount of money"),
        ("1,0,0", "is not an amount of money"),
        ("$850", "is not an amount of money"),
    ],
)
def test_bad_money_is_refused_with_a_reason(text: str, phrase: str) -> None:
    with pytest.raises(ValueError, match=phrase):
        parse_money_pence(text)


def test_a_bad_cost_in_a_file_is_reported_on_its_line() -> None:
    text = (
        f"{HEADER},placement_type,placement_start,placement_weekly_cost\n"
        'A,B,C,2010-01-01,ifa,2024-01-01,"£1,050.50"\n'
        "D,E,F,2010-01-01,ifa,2024-01-01,-5\n"
    )
    assert where(text) == [(3, "placement_weekly_cost")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", True),
        ("Y", True),
        ("TRUE", True),
        ("1", True),
        ("No", False),
        ("n", False),
        ("false", False),
        ("0", False),
    ],
)
def test_yes_no_accepts_the_usual_spellings(text: str, value: bool) -> None:
    parsed = parse(f"{HEADER},uasc\nA,B,C,2010-01-01,{text}\n")
    assert parsed.cases[0].person.uasc is value


# -- each problem, on its line and column ----------------------------------------------------


def test_each_bad_value_is_reported_with_its_line_and_column() -> None:
    text = (
        f"{HEADER},risk_category,outcome,closed_date,referral_date,uasc,legal_status\n"
        "YP-3,Ok,Row,2009-01-01,other,,,,,\n"
        "YP-4,Bad,Date,2009-13-45,other,,,,,\n"
        "YP-5,Bad,Code,2009-01-01,very_risky,,,,,\n"
        "YP-6,Bad,Yes,2009-01-01,,,,,maybe,\n"
        "YP-7,Future,Born,2030-01-01,,,,,,\n"
        "YP-8,Too,Old,1980-01-01,,,,,,\n"
        "YP-9,Closed,Early,2009-01-01,,deflected_from_care,2024-01-01,2024-02-01,,\n"
        "YP-10,No,Closed,2009-01-01,,entered_care,,,,\n"
        ",No,Reference,2009-01-01,,,,,,\n"
        "YP-11,Bad,Status,2009-01-01,,,,,,section_21\n"
        "YP-12,Future,Referral,2009-01-01,,,,2027-01-01,,\n"
    )
    assert where(text) == [
        (3, "date_of_birth"),
        (4, "risk_category"),
        (5, "uasc"),
        (6, "date_of_birth"),
        (7, "date_of_birth"),
        (8, "closed_date"),
        (9, "closed_date"),
        (10, "reference"),
        (11, "legal_status"),
        (12, "referral_date"),
    ]
    parsed = parse(text)
    messages = [describe_problem(p) for p in parsed.problems]
    assert messages[0] == (
        "line 3, column date_of_birth: '2009-13-45' is not a date; "
        "write it as YYYY-MM-DD or DD/MM/YYYY"
    )
    assert messages[1] == (
        "line 4, column risk_category: 'very_risky' is not a risk category; use one of: "
        "placement_likely_without_intervention, placement_likely_to_disrupt, other"
    )
    assert messages[2] == "line 5, column uasc: 'maybe' is not yes or no; write yes or no"
    assert messages[3] == "line 6, column date_of_birth: '2030-01-01' is in the future"
    assert "would make them 46" in messages[4] and "check the year" in messages[4]
    assert messages[5] == "line 8, column closed_date: is before referral_date"
    assert "an outcome is given; add the date the case closed" in messages[6]
    assert messages[7] == "line 10, column reference: is empty; every row needs a reference"
    assert "s20" in messages[8]
    assert parsed.bad_lines == frozenset(range(3, 13))
    assert [c.reference for c in parsed.cases] == ["YP-3"]


def test_a_closed_date_without_an_outcome_is_allowed() -> None:
    parsed = parse(f"{HEADER},referral_date,closed_date\nA,B,C,2010-01-01,2024-01-01,2024-06-01\n")
    assert parsed.ok
    referral = parsed.cases[0].referral
    assert referral is not None and referral.closed_date == date(2024, 6, 1)
    assert referral.outcome is None


def test_an_outcome_with_its_closed_date_reads() -> None:
    parsed = parse(
        f"{HEADER},referral_date,closed_date,outcome\n"
        "A,B,C,2010-01-01,2024-01-01,2024-06-01,placement_stabilised\n"
    )
    assert parsed.ok
    assert parsed.cases[0].referral.outcome is Outcome.PLACEMENT_STABILISED  # type: ignore[union-attr]


def test_the_oldest_allowed_age_is_25() -> None:
    assert parse(f"{HEADER}\nA,B,C,2001-11-20\n").ok  # 25 today
    assert where(f"{HEADER}\nA,B,C,2000-11-20\n") == [(2, "date_of_birth")]  # 26 today


def test_placement_columns_need_a_type_and_a_start_that_precedes_the_end() -> None:
    text = (
        f"{HEADER},placement_type,placement_start,placement_end,placement_weekly_cost,"
        "placement_in_area\n"
        "A,A,A,2010-01-01,,,,500,\n"
        "B,B,B,2010-01-01,kinship,2024-05-01,2024-04-01,,\n"
        "C,C,C,2010-01-01,kinship,2024-05-01,,,perhaps\n"
        "D,D,D,2010-01-01,kinship,,,,\n"
        "E,E,E,2010-01-01,,2024-05-01,,,\n"
        "F,F,F,2010-01-01,bedsit,2024-05-01,,,\n"
    )
    assert where(text) == [
        (2, "placement_type"),
        (2, "placement_start"),
        (3, "placement_end"),
        (4, "placement_in_area"),
        (5, "placement_start"),
        (6, "placement_type"),
        (7, "placement_type"),
    ]
    messages = [describe_problem(p) for p in parse(text).problems]
    assert "every placement needs its type and start date" in messages[0]
    assert "supported_accommodation" in messages[-1]


def test_values_longer_than_the_store_holds_are_problems() -> None:
    long_reference = "R" * 65
    assert where(f"{HEADER}\n{long_reference},B,C,2010-01-01\n") == [(2, "reference")]
    parsed = parse(f"{HEADER}\nA,{'x' * 201},C,2010-01-01\n")
    assert "is 201 characters long; keep it to 200" in describe_problem(parsed.problems[0])


def test_too_many_filled_values_are_caught_and_explained() -> None:
    # An unquoted £1,050.50 splits into two cells.
    text = (
        f"{HEADER},placement_type,placement_start,placement_weekly_cost\n"
        "A,B,C,2010-01-01,ifa,2024-01-01,£1,050.50\n"
        "D,E,F,2010-01-01,ifa,2024-01-01,5,\n"
    )
    parsed = parse(text)
    assert [(p.line, p.column) for p in parsed.problems] == [(2, None)]
    message = describe_problem(parsed.problems[0])
    assert message.startswith("line 2: has 8 values but the header names 7 columns")
    assert "in quotes" in message
    assert [c.reference for c in parsed.cases] == ["D"]  # a trailing empty cell is harmless


def test_line_numbers_count_physical_lines_including_quoted_line_breaks() -> None:
    text = f'{HEADER},school\nA,B,C,2010-01-01,"Riverside\nAcademy"\n\nD,E,F,2010-13-01,\n'
    assert where(text) == [(5, "date_of_birth")]
    assert parse(text).cases[0].person.school == "Riverside\nAcademy"


# -- several rows for one reference ----------------------------------------------------------


def test_rows_sharing_a_reference_give_several_placements_first_filled_value_wins() -> None:
    text = (
        f"{HEADER},school,placement_type,placement_start,placement_end\n"
        "YP-1,Amani,Tesfaye,2009-05-17,,kinship,2022-01-01,2023-03-01\n"
        "YP-2,Other,Person,2010-01-01,,,,\n"
        "YP-1,,,,Riverside Academy,ifa,2023-03-01,\n"
        "YP-1,Ignored,Tesfaye,17/05/2009,Other School,in_house_fostering,2024-01-01,\n"
    )
    parsed = parse(text)
    assert parsed.ok
    case = next(c for c in parsed.cases if c.reference == "YP-1")
    assert case.lines == (2, 4, 5)
    assert (case.person.given_name, case.person.school) == ("Amani", "Riverside Academy")
    assert case.person.date_of_birth == date(2009, 5, 17)
    assert [(p.line, p.placement_type) for p in case.placements] == [
        (2, PlacementType.KINSHIP),
        (4, PlacementType.IFA),
        (5, PlacementType.IN_HOUSE_FOSTERING),
    ]
    # Differences are told, not refused; the same date written another way is no difference.
    assert parsed.notices == (
        "line 5: given_name 'Ignored' for YP-1 differs from line 2, whose value is kept",
        "line 5: school 'Other School' for YP-1 differs from line 4, whose value is kept",
    )


def test_referral_checks_span_the_rows_of_one_reference() -> None:
    text = (
        f"{HEADER},referral_date,closed_date,outcome,placement_type,placement_start\n"
        "YP-1,A,B,2009-01-01,2024-03-01,,,,\n"
        "YP-1,,,,,2024-02-01,,,\n"  # closed before the referral on line 2
        "YP-2,A,B,2009-01-01,,,,,\n"
        "YP-2,,,,,,entered_care,,\n"  # an outcome and no closed date in any row
        "YP-3,A,B,2009-01-01,,2024-05-01,,,\n"
        "YP-3,,,,,,entered_care,,\n"  # fine: the closed date is on line 6
        "YP-4,A,B,2009-01-01,,,,,\n"
        "YP-4,,,,,,,ifa,2008-12-31\n"  # placed before being born
        "YP-5,A,B,2009-01-01,2008-01-01,,,,\n"  # referred before being born
    )
    assert where(text) == [
        (3, "closed_date"),
        (5, "closed_date"),
        (9, "placement_start"),
        (10, "referral_date"),
    ]
    parsed = parse(text)
    assert [c.reference for c in parsed.cases] == ["YP-3"]
    assert parsed.bad_lines == frozenset({2, 3, 4, 5, 8, 9, 10})
    referral = parsed.cases[0].referral
    assert referral is not None and referral.outcome is Outcome.ENTERED_CARE


def test_a_reference_whose_rows_never_give_the_name_is_a_problem() -> None:
    assert where(f"{HEADER}\nYP-1,,,\n") == [
        (2, "given_name"),
        (2, "family_name"),
        (2, "date_of_birth"),
    ]
    assert "is empty on every row for YP-1" in describe_problem(
        parse(f"{HEADER}\nYP-1,,,\n").problems[0]
    )


def test_a_good_row_of_a_reference_survives_a_bad_one() -> None:
    parsed = parse(
        f"{HEADER},placement_type,placement_start\n"
        "YP-1,A,B,2009-01-01,ifa,2024-01-01\n"
        "YP-1,,,,ifa,2024-13-01\n"
    )
    assert [(p.line, p.column) for p in parsed.problems] == [(3, "placement_start")]
    [case] = parsed.cases
    assert case.lines == (2,) and len(case.placements) == 1
    assert parsed.bad_lines == frozenset({3})


def test_when_only_a_bad_row_names_the_person_the_reference_cannot_be_kept() -> None:
    parsed = parse(f"{HEADER},school\nYP-1,A,B,2009-13-01,\nYP-1,,,,Riverside\n")
    assert [(p.line, p.column) for p in parsed.problems] == [(2, "date_of_birth"), (3, None)]
    assert describe_problem(parsed.problems[1]) == (
        "line 3: cannot be imported because the rows that give YP-1's given_name, family_name, "
        "date_of_birth have problems"
    )
    assert parsed.cases == () and parsed.bad_lines == frozenset({2, 3})


# -- the file as a whole ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (
            b"reference,given_name\nA,B\xe9\n",
            "is not saved as UTF-8 (line 2 has a character in another encoding); "
            'in Excel use Save As and choose "CSV UTF-8 (Comma delimited)"',
        ),
        (b"\xff\xfer\x00e\x00f\x00", "is not saved as UTF-8"),
        (b"", "is empty"),
        (BOM + b"\r\n  \r\n", "is empty"),
        (b"reference;given_name;family_name;date_of_birth\nA;B;C;2010-01-01\n", "semicolons"),
        (b"reference\tgiven_name\tfamily_name\tdate_of_birth\n", "tabs"),
        (
            b"reference,given_name,family_name\nA,B,C\n",
            "lacks the required column date_of_birth in its first line",
        ),
        (b"YP-1,A,B,2010-01-01\n", "lacks the required columns reference, given_name"),
        (
            b"reference,given_name,family_name,date_of_birth,team,Team\n",
            "names the column team more than once",
        ),
        (b"reference,given_name,family_name,date_of_birth\n\n,,,\n", "no rows of young people"),
    ],
)
def test_whole_file_problems_are_one_sentence_each(data: bytes, phrase: str) -> None:
    parsed = parse_caseload_csv(data, today=TODAY)
    assert parsed.refused_whole and parsed.cases == ()
    [problem] = parsed.problems
    assert problem == RowProblem(0, None, problem.reason)
    message = describe_problem(problem)
    assert message.startswith("The file ") and message.endswith(".") and message.count(".") <= 2
    assert phrase in message


def test_unknown_columns_are_noted_not_refused() -> None:
    parsed = parse(f"{HEADER},Notes,Column1,\nA,B,C,2010-01-01,likes art,,\n")
    assert parsed.ok and len(parsed.cases) == 1
    assert parsed.notices == (
        "the columns Notes, Column1 are not caseload columns and were ignored",
    )
    one = parse(f"{HEADER},Notes\nA,B,C,2010-01-01,x\n")
    assert one.notices == ("the column Notes is not a caseload column and was ignored",)


def test_many_differing_values_are_summed_up_not_listed_one_by_one() -> None:
    rows = "".join(f"YP-1,A,B,2010-01-01,Team {n}\n" for n in range(15))
    parsed = parse(f"{HEADER},team\n{rows}")
    assert parsed.ok and len(parsed.notices) == 11
    assert parsed.notices[-1].startswith("4 more values differ")


def test_problems_are_in_line_order_then_column_order() -> None:
    text = f"{HEADER},uasc\nA,B,C,2010-99-01,maybe\n,B,C,2010-01-01,\n"
    assert where(text) == [(2, "date_of_birth"), (2, "uasc"), (3, "reference")]
