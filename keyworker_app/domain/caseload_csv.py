"""The caseload spreadsheet format: read a CSV as Excel saves it, check every row, and say
exactly what is wrong where.

Pure (standard library and the domain only), so the desktop and the central store read
spreadsheets the same way and a file is checked in full before anything is written.

Rules the issue left open, decided here:

- Line numbers are physical lines as a spreadsheet user counts them (header = line 1; a quoted
  value spanning lines counts each line), so "line 7" is row 7 in Excel.
- A blank cell never clears anything: it means "not given here". Rows sharing a reference take
  each value from the first row that fills it; a later row with a different value is a notice,
  not an error.
- An ``outcome`` needs a ``closed_date`` (an outcome is how a case ended), but a
  ``closed_date`` may come without an outcome (outcomes are often recorded later).
- Rows may be shorter than the header (Excel drops trailing empty cells on some rows); extra
  *filled* cells are an error, as they usually mean an unquoted comma shifted the row.
- A check that compares values from different rows of one reference (closed before referred,
  placement before birth) rejects every row of that reference, as the file does not say which
  row is wrong.
- Columns match by name, ignoring case and treating spaces and hyphens as underscores, so
  "Date of birth" is ``date_of_birth``; unknown columns are ignored with a notice.
- The file is read a chunk at a time, never whole: a line (or a row spanning lines) longer than
  ``MAX_LINE`` characters refuses the file, so a gigabyte with no line break costs a few hundred
  kilobytes, not gigabytes.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO

from keyworker_app.domain.dates import age_on, parse_day
from keyworker_app.domain.hostile_text import problem_in_name
from keyworker_app.domain.vocabulary import LegalStatus, Outcome, PlacementType, RiskCategory

REQUIRED = ("reference", "given_name", "family_name", "date_of_birth")
PERSON_COLUMNS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "team",
    "keyworker",
    "school",
    "uasc",
    "legal_status",
)
REFERRAL_COLUMNS = ("referral_date", "referral_source", "risk_category", "closed_date", "outcome")
PLACEMENT_COLUMNS = (
    "placement_type",
    "placement_start",
    "placement_end",
    "placement_weekly_cost",
    "placement_in_area",
)
# The order the issue lists them in, which is also the order problems on one line are reported.
COLUMNS = (
    "reference",
    "given_name",
    "family_name",
    "date_of_birth",
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
OPTIONAL = tuple(c for c in COLUMNS if c not in REQUIRED)
# The store's column widths, checked here so a long value is a row problem, not a failed write
# on the central store's database (which enforces them).
MAX_LENGTH = {
    "reference": 64,
    "given_name": 200,
    "family_name": 200,
    "team": 120,
    "keyworker": 120,
    "school": 200,
    "referral_source": 120,
}
# Who a row is about or by: refused with a hidden, invisible or control character, which would
# show the name differently in the app, the pack and a log.
NAME_COLUMNS = frozenset({"reference", "given_name", "family_name", "preferred_name", "keyworker"})
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})
OLDEST_AGE = 25
MAX_CONFLICT_NOTICES = 10
# A cell starting with one of these runs as a formula when the file is opened in a spreadsheet
# ("CSV injection": =HYPERLINK(...), +cmd|..., @SUM(...)).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters in one line, or one row spanning lines: a real caseload row is a few hundred.
MAX_LINE = 64 * 1024
_CHUNK = 64 * 1024  # bytes read from the file at a time
_LINE_END = re.compile(r"\r\n|\r|\n")
_MONEY = re.compile(r"£?\s*(?P<pounds>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<pence>\d*))?")


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong: the line as a spreadsheet user counts it (header = 1; 0 = the whole
    file), the column if one is to blame, and the reason as a sentence without its subject."""

    line: int
    column: str | None
    reason: str


def describe_problem(problem: RowProblem) -> str:
    """One sentence for a person, e.g. "line 3, column date_of_birth: '2009-13-45' is not a
    date; write it as YYYY-MM-DD or DD/MM/YYYY" or "The file is empty; ..."."""
    if not problem.line:
        return f"The file {problem.reason}."
    where = f"line {problem.line}"
    if problem.column:
        where += f", column {problem.column}"
    return f"{where}: {problem.reason}"


@dataclass(frozen=True)
class PersonImport:
    given_name: str
    family_name: str
    date_of_birth: date
    team: str | None = None
    keyworker: str | None = None  # the worker's user name
    school: str | None = None
    uasc: bool | None = None
    legal_status: LegalStatus | None = None


@dataclass(frozen=True)
class ReferralImport:
    referral_date: date | None = None
    source: str | None = None
    risk_category: RiskCategory | None = None
    closed_date: date | None = None
    outcome: Outcome | None = None


@dataclass(frozen=True)
class PlacementImport:
    line: int
    placement_type: PlacementType
    start: date
    end: date | None = None
    weekly_cost_pence: int | None = None
    in_area: bool | None = None  # False = out of area


@dataclass(frozen=True)
class CaseImport:
    """One young person, from one or more rows sharing a reference."""

    reference: str
    lines: tuple[int, ...]
    person: PersonImport
    referral: ReferralImport | None  # None when no referral column was filled
    placements: tuple[PlacementImport, ...] = ()


@dataclass(frozen=True)
class ParsedCaseload:
    """Everything read from one file. ``cases`` holds only references whose rows are all sound
    (or, with problems, the good rows' references, for importing with --skip-invalid)."""

    cases: tuple[CaseImport, ...]
    problems: tuple[RowProblem, ...]
    notices: tuple[str, ...] = ()
    rows: int = 0  # data rows read, blank lines not counted
    bad_lines: frozenset[int] = frozenset()  # lines that would be skipped

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def refused_whole(self) -> bool:
        """True when the file itself cannot be read, so not even good rows can be imported."""
        return any(p.line == 0 for p in self.problems)


# -- formulas ------------------------------------------------------------------------------


def guard_formula(value: str) -> str:
    """``value`` as a cell a spreadsheet shows but never runs: an apostrophe (Excel's "this is
    text" mark) before a value that would start a formula. ``unguard_formula`` undoes it exactly
    (values that already start with apostrophes get one more), so an export imports back
    unchanged."""
    return "'" + value if value.lstrip("'").startswith(FORMULA_STARTS) else value


def unguard_formula(value: str) -> str:
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value


# -- reading one value ----------------------------------------------------------------------


def parse_money_pence(text: str) -> int:
    """Exact whole pence from "850", "850.00", "£1,050.50" (no floats anywhere)."""
    value = text.strip()
    if value.startswith(("-", "£-", "-£")):
        raise ValueError(f"'{text}' is negative; a weekly cost must be zero or more")
    match = _MONEY.fullmatch(value)
    if match is None:
        raise ValueError(f"'{text}' is not an amount of money; write it like 850 or £1,050.50")
    pence = match["pence"] or ""
    if len(pence) > 2:
        raise ValueError(f"'{text}' has more than two decimal places; give pounds and pence")
    return int(match["pounds"].replace(",", "")) * 100 + int(pence.ljust(2, "0"))


def parse_yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(f"'{text}' is not yes or no; write yes or no")


PARSERS: dict[str, Callable[[str], Any]] = {
    "date_of_birth": parse_day,
    "referral_date": parse_day,
    "closed_date": parse_day,
    "placement_start": parse_day,
    "placement_end": parse_day,
    "risk_category": RiskCategory.parse,
    "outcome": Outcome.parse,
    "placement_type": PlacementType.parse,
    "legal_status": LegalStatus.parse,
    "placement_weekly_cost": parse_money_pence,
    "placement_in_area": parse_yes_no,
    "uasc": parse_yes_no,
}


# -- the header ------------------------------------------------------------------------------


def _column_name(text: str) -> str:
    return re.sub(r"[\s-]+", "_", text.strip().lower())


def _plural(items: list[str], one: str, many: str) -> str:
    # At most ten names: a file with 10,000 stray columns should not print them all.
    listed = ", ".join(items[:10]) + (f" and {len(items) - 10:,} more" if len(items) > 10 else "")
    return f"{one if len(items) == 1 else many} {listed}"


def _header_problem(cells: list[str], names: list[str]) -> str | None:
    if len(cells) == 1 and ";" in cells[0]:
        return "separates its columns with semicolons; save it from Excel as CSV UTF-8"
    if len(cells) == 1 and "\t" in cells[0]:
        return "separates its columns with tabs; save it from Excel as CSV UTF-8"
    # Counted once, not with names.count per name: that took seconds on a 10,000-column file.
    counts = Counter(names)
    duplicates = sorted(n for n, count in counts.items() if n and count > 1)
    if duplicates:
        return f"names the {_plural(duplicates, 'column', 'columns')} more than once; keep one"
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        return (
            f"lacks the required {_plural(missing, 'column', 'columns')} in its first line, "
            "which must name the columns"
        )
    return None


# -- one row ---------------------------------------------------------------------------------


def _read_values(line: int, raw: dict[str, str]) -> tuple[dict[str, Any], list[RowProblem]]:
    values: dict[str, Any] = {}
    problems: list[RowProblem] = []
    for column, text in raw.items():
        limit = MAX_LENGTH.get(column)
        if limit and len(text) > limit:
            problems.append(
                RowProblem(line, column, f"is {len(text)} characters long; keep it to {limit}")
            )
            continue
        hidden = problem_in_name(text) if column in NAME_COLUMNS else None
        if hidden:
            problems.append(RowProblem(line, column, f"holds {hidden}; retype it"))
            continue
        parser = PARSERS.get(column)
        try:
            values[column] = parser(text) if parser else text
        except ValueError as error:
            problems.append(RowProblem(line, column, str(error).rstrip(".")))
    return values, problems


def _check_row(
    line: int, raw: dict[str, str], values: dict[str, Any], today: date
) -> list[RowProblem]:
    """Checks that need only this row."""
    problems: list[RowProblem] = []
    if "reference" not in raw:
        problems.append(RowProblem(line, "reference", "is empty; every row needs a reference"))
    born = values.get("date_of_birth")
    if born is not None:
        if born > today:
            problems.append(
                RowProblem(line, "date_of_birth", f"'{raw['date_of_birth']}' is in the future")
            )
        elif (age := age_on(born, today)) > OLDEST_AGE:
            problems.append(
                RowProblem(
                    line,
                    "date_of_birth",
                    f"'{raw['date_of_birth']}' would make them {age}, but the caseload is for "
                    f"young people up to {OLDEST_AGE}; check the year",
                )
            )
    for column in ("referral_date", "closed_date"):
        when = values.get(column)
        if when is not None and when > today:
            problems.append(RowProblem(line, column, f"'{raw[column]}' is in the future"))
    if any(c in raw for c in PLACEMENT_COLUMNS):
        for column in ("placement_type", "placement_start"):
            if column not in raw:
                problems.append(
                    RowProblem(
                        line,
                        column,
                        "is empty but other placement columns are filled; "
                        "every placement needs its type and start date",
                    )
                )
    start, end = values.get("placement_start"), values.get("placement_end")
    if start is not None and end is not None and end < start:
        problems.append(RowProblem(line, "placement_end", "is before placement_start"))
    return problems


# -- rows sharing a reference ----------------------------------------------------------------


@dataclass
class _Merged:
    """One reference's rows folded together: each value from the first row that fills it."""

    reference: str
    lines: list[int] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    source: dict[str, int] = field(default_factory=dict)  # column -> line it came from
    placements: list[PlacementImport] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def add(self, line: int, raw: dict[str, str], values: dict[str, Any]) -> None:
        self.lines.append(line)
        for column in PERSON_COLUMNS + REFERRAL_COLUMNS:
            if column not in values:
                continue
            if column not in self.values:
                self.values[column] = values[column]
                self.source[column] = line
            elif values[column] != self.values[column]:
                self.conflicts.append(
                    f"line {line}: {column} '{raw[column]}' for {self.reference} differs from "
                    f"line {self.source[column]}, whose value is kept"
                )
        if "placement_type" in values and "placement_start" in values:
            self.placements.append(
                PlacementImport(
                    line=line,
                    placement_type=values["placement_type"],
                    start=values["placement_start"],
                    end=values.get("placement_end"),
                    weekly_cost_pence=values.get("placement_weekly_cost"),
                    in_area=values.get("placement_in_area"),
                )
            )

    def problems(self, filled_in_bad_rows: set[str]) -> list[RowProblem]:
        """Checks that may need values from different rows."""
        first, found = self.lines[0], []
        missing = [c for c in REQUIRED[1:] if c not in self.values]
        only_in_bad = [c for c in missing if c in filled_in_bad_rows]
        if only_in_bad:
            # One problem, not one per column: fixing the other row fixes them all.
            found.append(
                RowProblem(
                    first,
                    None,
                    f"cannot be imported because the rows that give {self.reference}'s "
                    f"{', '.join(only_in_bad)} have problems",
                )
            )
        for column in missing:
            if column not in only_in_bad:
                found.append(
                    RowProblem(first, column, f"is empty on every row for {self.reference}")
                )
        v, at = self.values, self.source
        if "outcome" in v and "closed_date" not in v:
            found.append(
                RowProblem(
                    at["outcome"],
                    "closed_date",
                    "is empty but an outcome is given; add the date the case closed",
                )
            )
        if "closed_date" in v and "referral_date" in v and v["closed_date"] < v["referral_date"]:
            found.append(RowProblem(at["closed_date"], "closed_date", "is before referral_date"))
        born = v.get("date_of_birth")
        if born is not None:
            if "referral_date" in v and v["referral_date"] < born:
                found.append(
                    RowProblem(at["referral_date"], "referral_date", "is before date_of_birth")
                )
            for placement in self.placements:
                if placement.start < born:
                    found.append(
                        RowProblem(placement.line, "placement_start", "is before date_of_birth")
                    )
        return found

    def case(self) -> CaseImport:
        v = self.values
        referral = None
        if any(c in v for c in REFERRAL_COLUMNS):
            referral = ReferralImport(
                referral_date=v.get("referral_date"),
                source=v.get("referral_source"),
                risk_category=v.get("risk_category"),
                closed_date=v.get("closed_date"),
                outcome=v.get("outcome"),
            )
        return CaseImport(
            reference=self.reference,
            lines=tuple(self.lines),
            person=PersonImport(
                given_name=v["given_name"],
                family_name=v["family_name"],
                date_of_birth=v["date_of_birth"],
                team=v.get("team"),
                keyworker=v.get("keyworker"),
                school=v.get("school"),
                uasc=v.get("uasc"),
                legal_status=v.get("legal_status"),
            ),
            referral=referral,
            placements=tuple(self.placements),
        )


# -- the file --------------------------------------------------------------------------------


def _whole_file(reason: str, notices: list[str] | None = None) -> ParsedCaseload:
    return ParsedCaseload(
        cases=(), problems=(RowProblem(0, None, reason),), notices=tuple(notices or ())
    )


def _not_utf8(line: int) -> str:
    return (
        f"is not saved as UTF-8 (line {line} has a character in another encoding); "
        'in Excel use Save As and choose "CSV UTF-8 (Comma delimited)"'
    )


def _too_long(line: int, spans_lines: bool) -> str:
    what = f"the row starting on line {line}" if spans_lines else f"line {line}"
    return (
        f"is not a caseload spreadsheet: {what} is longer than {MAX_LINE:,} characters, far "
        "more than any caseload row; check you chose the right file"
    )


class _Unreadable(Exception):
    """Reading stopped: ``reason`` says why, as a whole-file problem."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Lines:
    """The physical lines of a binary file as text, line endings kept (as ``csv`` wants them),
    decoded as UTF-8 without a leading byte-order mark (Excel's "CSV UTF-8" writes one).

    Reads a chunk at a time and holds at most a chunk and one line, so memory stays small
    whatever the file. Iterating raises ``_Unreadable`` at a byte that is not UTF-8, and when a
    line, or a row that ``start_row`` began and spans lines, passes ``MAX_LINE`` characters."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.line = 0  # lines handed out, as csv's line_num counts them
        self.content = False  # any character that is not white space handed out yet
        self._row_line = 1
        self._row_chars = 0
        self._lines = self._read()

    def start_row(self) -> None:
        self._row_line, self._row_chars = self.line + 1, 0

    def __iter__(self) -> Iterator[str]:
        return self._lines  # the generator itself: no extra call per line

    def _read(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        partial = ""  # a line whose end is not read yet
        while True:
            chunk = self._stream.read(_CHUNK)
            try:
                text = partial + decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                before = partial + error.object[: error.start].decode(errors="replace")
                number = self.line + len(_LINE_END.findall(before)) + 1
                raise _Unreadable(_not_utf8(number)) from None
            # newline="": split at "\r\n", "\r" and "\n" only, as csv does, keeping the ends.
            lines = io.StringIO(text, newline="").readlines()
            partial = ""
            # The last line may go on in the next chunk, or its "\r" be half of a "\r\n".
            if chunk and lines and not lines[-1].endswith("\n"):
                partial = lines.pop()
            for line in lines:
                self.line += 1
                self._row_chars += len(line)
                if len(line) > MAX_LINE and (
                    len(line.rstrip("\r\n")) > MAX_LINE or self._row_chars > MAX_LINE + 2
                ):
                    raise _Unreadable(_too_long(self._row_line, self._row_line < self.line))
                if self._row_chars > MAX_LINE + 2:
                    raise _Unreadable(_too_long(self._row_line, True))
                if not self.content and line.strip():
                    self.content = True
                yield line
            if len(partial) - partial.endswith("\r") > MAX_LINE:
                raise _Unreadable(_too_long(self._row_line, self._row_line <= self.line))
            if not chunk:
                return

    def blank_to_the_end(self) -> bool:
        """True if nothing but white space is left (reads it all, a line at a time)."""
        while True:
            self.start_row()
            line = next(self._lines, None)
            if line is None:
                return True
            if line.strip():
                return False


def _unreadable(line: int, error: csv.Error) -> str:
    """Why reading stopped at ``line``; nothing after it can be trusted, so the file is refused."""
    text = str(error)
    if "unexpected end of data" in text:
        return (
            f"has a quote on line {line} that is never closed, so everything after it would "
            "be read as one value; close the quote"
        )
    if "field larger than field limit" in text:
        return (
            f"has a value on line {line} of over {csv.field_size_limit():,} characters, far "
            "longer than any caseload value; check this is the caseload spreadsheet"
        )
    if "expected after" in text:
        return (
            f"has text straight after a closing quote on line {line}; put the whole value in quotes"
        )
    return f"cannot be read as CSV from line {line} on ({text})"


def _records(reader: Any, lines: _Lines) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """Each record with the physical line it starts on, or the csv error that stopped reading."""
    while True:
        line = reader.line_num + 1
        lines.start_row()
        try:
            yield line, next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield line, error
            return


def parse_caseload_csv(data: bytes, *, today: date | None = None) -> ParsedCaseload:
    """Read and check a caseload CSV already in memory. Never raises for bad content."""
    return read_caseload_csv(io.BytesIO(data), today=today)


def read_caseload_csv(stream: BinaryIO, *, today: date | None = None) -> ParsedCaseload:
    """Read and check a caseload CSV from a binary file, a chunk at a time (never whole).

    Never raises for bad content: problems are returned. Raises OSError if reading the file
    fails."""
    lines = _Lines(stream)
    try:
        return _parse(lines, today or date.today())
    except _Unreadable as stopped:
        # Nothing after this point can be read, so nothing before it is imported either.
        return _whole_file(stopped.reason)


def _parse(lines: _Lines, today: date) -> ParsedCaseload:
    # strict: an unclosed quote is an error, not the rest of the file read into one cell.
    reader = csv.reader(lines, strict=True)
    records = _records(reader, lines)
    _, header_cells = next(records, (1, []))
    if not lines.content and lines.blank_to_the_end():
        return _whole_file("is empty; it needs a header line and a line per young person")
    if isinstance(header_cells, csv.Error):
        return _whole_file(f"has a first line that cannot be read as CSV ({header_cells})")
    cells = [c.strip() for c in header_cells]
    names = [_column_name(c) for c in cells]
    reason = _header_problem(cells, names)
    if reason:
        return _whole_file(reason)
    notices: list[str] = []
    unknown = [
        cell for cell, name in zip(cells, names, strict=True) if name and name not in COLUMNS
    ]
    if unknown:
        notices.append(
            f"the {_plural(unknown, 'column', 'columns')} "
            + (
                "is not a caseload column and was ignored"
                if len(unknown) == 1
                else "are not caseload columns and were ignored"
            )
        )

    problems: list[RowProblem] = []
    bad_lines: set[int] = set()
    merged: dict[str, _Merged] = {}
    filled_in_bad_rows: dict[str, set[str]] = {}
    rows = 0
    for line, record in records:
        if isinstance(record, csv.Error):
            # Reading stops here, so with --skip-invalid the rows after it would have been
            # left out silently: the file as a whole is refused instead.
            return _whole_file(_unreadable(line, record), notices)
        if not any(c.strip() for c in record):
            continue  # blank lines and rows of bare commas, as spreadsheets leave them
        rows += 1
        if any(c.strip() for c in record[len(names) :]):
            problems.append(
                RowProblem(
                    line,
                    None,
                    f"has {len(record)} values but the header names {len(names)} columns; "
                    "look for a stray comma, or put a value containing a comma in quotes",
                )
            )
            bad_lines.add(line)
            continue
        raw = {
            name: unguard_formula(cell.strip())
            for name, cell in zip(names, record, strict=False)
            if name in COLUMNS and cell.strip()
        }
        values, row_problems = _read_values(line, raw)
        row_problems += _check_row(line, raw, values, today)
        if row_problems:
            problems += row_problems
            bad_lines.add(line)
            if "reference" in raw:
                filled_in_bad_rows.setdefault(raw["reference"], set()).update(raw)
            continue
        reference = raw["reference"]
        merged.setdefault(reference, _Merged(reference)).add(line, raw, values)
    if rows == 0 and not problems:
        return _whole_file("has a header line but no rows of young people below it", notices)

    cases: list[CaseImport] = []
    conflicts: list[str] = []
    for reference, rows_of in merged.items():
        case_problems = rows_of.problems(filled_in_bad_rows.get(reference, set()))
        if case_problems:
            problems += case_problems
            bad_lines.update(rows_of.lines)
        else:
            cases.append(rows_of.case())
            conflicts += rows_of.conflicts
    notices += conflicts[:MAX_CONFLICT_NOTICES]
    if len(conflicts) > MAX_CONFLICT_NOTICES:
        notices.append(
            f"{len(conflicts) - MAX_CONFLICT_NOTICES} more values differ from an earlier row "
            "for the same reference; the first row's value is kept each time"
        )
    problems.sort(key=lambda p: (p.line, COLUMNS.index(p.column) if p.column else -1))
    return ParsedCaseload(
        cases=tuple(cases),
        problems=tuple(problems),
        notices=tuple(notices),
        rows=rows,
        bad_lines=frozenset(bad_lines),
    )
