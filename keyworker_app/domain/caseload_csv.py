"""The caseload spreadsheet format: read a CSV as Excel saves it, check every row, and say
exactly what is wrong where.

Pure: no store, no I/O beyond the bytes given, so the desktop and the central store read
spreadsheets the same way.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from keyworker_app.domain.dates import age_on, parse_day
from keyworker_app.domain.vocabulary import LegalStatus, Outcome, PlacementType, RiskCategory

REQUIRED = ("reference", "given_name", "family_name", "date_of_birth")
OPTIONAL = (
    "team",
    "keyworker",
    "school",
    "referral_date",
    "referral_source",
    "risk_category",
    "closed_date",
    "outcome",
    "placement_type",
    "placement_start",
    "placement_end",
    "placement_weekly_cost",
    "placement_in_area",
    "uasc",
    "legal_status",
)
COLUMNS = REQUIRED + OPTIONAL
PLACEMENT_COLUMNS = (
    "placement_start",
    "placement_end",
    "placement_weekly_cost",
    "placement_in_area",
)
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
OLDEST_AGE = 25


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong: the line as a spreadsheet user counts it (header = 1), and the column."""

    line: int
    column: str | None
    reason: str


def describe_problem(problem: RowProblem) -> str:
    if not problem.line:
        return f"The file {problem.reason}."
    where = f"line {problem.line}"
    if problem.column:
        where += f", column {problem.column}"
    return f"{where}: {problem.reason}"


@dataclass
class PlacementRow:
    line: int
    placement_type: PlacementType
    start: date
    end: date | None
    weekly_cost_pence: int | None
    in_area: bool | None


@dataclass
class CaseImport:
    """One young person from one or more rows sharing a reference."""

    reference: str
    lines: list[int]
    values: dict[str, Any] = field(default_factory=dict)
    placements: list[PlacementRow] = field(default_factory=list)

    def get(self, column: str) -> Any:
        return self.values.get(column)


@dataclass
class ParsedCaseload:
    cases: list[CaseImport]
    problems: list[RowProblem]
    notices: list[str]
    rows: int
    bad_lines: set[int]

    @property
    def ok(self) -> bool:
        return not self.problems


def _money(text: str) -> int:
    cleaned = text.replace("£", "").replace(",", "").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not an amount; write it like 850 or 1,050.50") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"'{text}' is not an amount of money; it must be zero or more")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"'{text}' has more than two decimal places")
    return int(amount * 100)


def _yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(f"'{text}' is not yes or no")


def _code(vocabulary: Any, text: str) -> Any:
    try:
        return vocabulary.parse(text)
    except ValueError as error:
        raise ValueError(str(error)) from None


PARSERS: dict[str, Any] = {
    "date_of_birth": parse_day,
    "referral_date": parse_day,
    "closed_date": parse_day,
    "placement_start": parse_day,
    "placement_end": parse_day,
    "risk_category": lambda t: _code(RiskCategory, t),
    "outcome": lambda t: _code(Outcome, t),
    "placement_type": lambda t: _code(PlacementType, t),
    "legal_status": lambda t: _code(LegalStatus, t),
    "placement_weekly_cost": _money,
    "placement_in_area": _yes_no,
    "uasc": _yes_no,
}


def _header_name(text: str) -> str:
    return text.strip().lower().replace(" ", "_").replace("-", "_")


def _decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _check_row(
    line: int, raw: dict[str, str], today: date
) -> tuple[dict[str, Any], list[RowProblem]]:
    values: dict[str, Any] = {}
    problems: list[RowProblem] = []
    for column, text in raw.items():
        if not text:
            continue
        parser = PARSERS.get(column)
        try:
            values[column] = parser(text) if parser else text
        except ValueError as error:
            problems.append(RowProblem(line, column, str(error).rstrip(".")))
    if not raw.get("reference"):
        problems.append(RowProblem(line, "reference", "is empty; every row needs the reference"))
    born = values.get("date_of_birth")
    if isinstance(born, date):
        if born > today:
            problems.append(RowProblem(line, "date_of_birth", f"{born:%d/%m/%Y} is in the future"))
        elif age_on(born, today) > OLDEST_AGE:
            problems.append(
                RowProblem(line, "date_of_birth", f"{born:%d/%m/%Y} makes them over {OLDEST_AGE}")
            )
    if any(raw.get(c) for c in PLACEMENT_COLUMNS) or raw.get("placement_type"):
        for column in ("placement_type", "placement_start"):
            if not raw.get(column):
                problems.append(
                    RowProblem(line, column, "is empty but other placement columns are filled")
                )
    start, end = values.get("placement_start"), values.get("placement_end")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        problems.append(RowProblem(line, "placement_end", "is before placement_start"))
    referred, closed = values.get("referral_date"), values.get("closed_date")
    if isinstance(referred, date) and isinstance(closed, date) and closed < referred:
        problems.append(RowProblem(line, "closed_date", "is before referral_date"))
    if raw.get("outcome") and not raw.get("closed_date"):
        problems.append(
            RowProblem(
                line,
                "closed_date",
                "is empty but an outcome is given; add the date the case closed",
            )
        )
    return values, problems


def parse_caseload_csv(data: bytes, *, today: date | None = None) -> ParsedCaseload:
    """Read and check a caseload CSV. Never raises for bad content: problems are returned."""
    today = today or date.today()
    notices: list[str] = []

    def refuse(reason: str) -> ParsedCaseload:
        return ParsedCaseload([], [RowProblem(0, None, reason)], notices, 0, set())

    text = _decode(data)
    if text is None:
        return refuse('is not UTF-8 text; in Excel use Save As, then "CSV UTF-8 (Comma delimited)"')
    if not text.strip():
        return refuse("is empty; it needs a header line and one line per young person")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header_cells = next(reader)
    except csv.Error as error:
        return refuse(f"has a first line that cannot be read as CSV ({error})")
    header = [_header_name(h) for h in header_cells]
    if len(header) == 1 and ";" in header_cells[0]:
        return refuse("separates its columns with semicolons; save it with commas (CSV UTF-8)")
    duplicates = sorted({h for h in header if h and header.count(h) > 1})
    if duplicates:
        return refuse(f"names the column {', '.join(duplicates)} twice in its header; keep one")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return refuse(
            f"lacks the required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            "in its first line, which must name the columns"
        )
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        notices.append(f"ignored the column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")

    problems: list[RowProblem] = []
    good: list[tuple[int, dict[str, Any]]] = []
    bad_lines: set[int] = set()
    rows = 0
    line = 1
    while True:
        start_line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(RowProblem(start_line, None, f"cannot be read as CSV ({error})"))
            bad_lines.add(start_line)
            break
        line = start_line
        if not any(c.strip() for c in cells):
            continue  # blank lines, as spreadsheets leave at the end
        rows += 1
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            problems.append(
                RowProblem(
                    line,
                    None,
                    f"has {len(cells)} values but the header names {len(header)} columns",
                )
            )
            bad_lines.add(line)
            continue
        raw = {
            h: (cells[i].strip() if i < len(cells) else "")
            for i, h in enumerate(header)
            if h in COLUMNS
        }
        values, row_problems = _check_row(line, raw, today)
        if row_problems:
            problems.extend(row_problems)
            bad_lines.add(line)
        else:
            good.append((line, values))
    if rows == 0 and not problems:
        return refuse("has a header but no young people")
    cases = _group(good)
    for case in list(cases):
        # Rows after the first may leave the person's details blank, but one row must give them.
        for column in REQUIRED[1:]:
            if case.get(column) is None:
                problems.append(
                    RowProblem(case.lines[0], column, f"is empty in every row for {case.reference}")
                )
                bad_lines.update(case.lines)
                if case in cases:
                    cases.remove(case)
    problems.sort(key=lambda p: (p.line, COLUMNS.index(p.column) if p.column in COLUMNS else -1))
    return ParsedCaseload(cases, problems, notices, rows, bad_lines)


def _group(rows: list[tuple[int, dict[str, Any]]]) -> list[CaseImport]:
    """Rows sharing a reference become one young person; the first row filling a column wins."""
    cases: dict[str, CaseImport] = {}
    for line, values in rows:
        reference = values["reference"]
        case = cases.setdefault(reference, CaseImport(reference=reference, lines=[]))
        case.lines.append(line)
        for column, value in values.items():
            if column in PLACEMENT_COLUMNS or column == "placement_type":
                continue
            case.values.setdefault(column, value)
        if "placement_type" in values:
            case.placements.append(
                PlacementRow(
                    line=line,
                    placement_type=values["placement_type"],
                    start=values["placement_start"],
                    end=values.get("placement_end"),
                    weekly_cost_pence=values.get("placement_weekly_cost"),
                    in_area=values.get("placement_in_area"),
                )
            )
    return list(cases.values())
