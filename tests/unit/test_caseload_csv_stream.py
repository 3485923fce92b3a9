"""Caseload spreadsheets are read from the file a chunk at a time: a line longer than any
caseload row refuses the file without reading the rest, and chunk edges change nothing."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from keyworker_app.domain import caseload_csv
from keyworker_app.domain.caseload_csv import (
    MAX_LINE,
    ParsedCaseload,
    describe_problem,
    parse_caseload_csv,
    read_caseload_csv,
)

TODAY = date(2026, 11, 20)
HEADER = b"reference,given_name,family_name,date_of_birth,school\r\n"
BOM = b"\xef\xbb\xbf"


class EndlessLine(io.RawIOBase):
    """A file that is one line without end, counting what is read from it."""

    def __init__(self, start: bytes) -> None:
        self.start, self.read_bytes = start, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = len(buffer)
        data = (self.start + b"x" * size)[self.read_bytes :][:size]
        if self.read_bytes + size > 50 * 1024 * 1024:
            raise AssertionError("read far more of the file than one line's limit")
        buffer[: len(data)] = data
        self.read_bytes += len(data)
        return len(data)


def only_problem(parsed: ParsedCaseload) -> str:
    assert parsed.refused_whole and parsed.cases == ()
    [problem] = parsed.problems
    return describe_problem(problem)


def test_a_line_past_the_limit_is_refused_without_reading_the_rest() -> None:
    stream = EndlessLine(HEADER + b"YP-1,Ava,Stone,2010-01-02,Oak\r\nYP-2,Bo,Day,2010-01-02,")
    message = only_problem(read_caseload_csv(io.BufferedReader(stream), today=TODAY))
    assert message == (
        f"The file is not a caseload spreadsheet: line 3 is longer than {MAX_LINE:,} "
        "characters, far more than any caseload row; check you chose the right file."
    )
    assert stream.read_bytes < 4 * MAX_LINE  # the limit and a chunk, not the file


def test_a_row_spanning_lines_past_the_limit_is_refused_by_its_first_line() -> None:
    quoted_lines = b"\r\n".join([b"y" * 1000] * 100)  # each line short, the value 100 KB
    data = HEADER + b'YP-1,Ava,Stone,2010-01-02,"' + quoted_lines + b'"\r\n'
    assert "the row starting on line 2 is longer than" in only_problem(
        parse_caseload_csv(data, today=TODAY)
    )


def test_a_line_of_exactly_the_limit_is_read() -> None:
    row = b"YP-1,Ava,Stone,2010-01-02,Oak,"
    data = HEADER.replace(b"school", b"school,notes") + row + b"n" * (MAX_LINE - len(row))
    parsed = parse_caseload_csv(data + b"\r\n", today=TODAY)
    assert parsed.ok and [c.reference for c in parsed.cases] == ["YP-1"]
    assert "longer than" in only_problem(parse_caseload_csv(data + b"n\r\n", today=TODAY))


ODD_FILE = (
    BOM
    + HEADER
    + "YP-1,Siân,Llŷr,2008-03-04,مدرسة 👩🏽‍🚒\r\n".encode()
    + b'YP-2,Bo,Day,2009-07-14,"St Mary\'s,\r\n""Upper"" site"\r\n'
    + b"YP-3,Cy,Oak,2009-07-14,Elm\rYP-4,Di,Ash,2009-07-14,Elm\n\r\n"
    + b"YP-5,Ed,Yew,2009-13-14,Elm\r\n"
)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
def test_chunk_edges_change_nothing(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """Every chunk size splits the byte-order mark, multi-byte characters and "\\r\\n" somewhere."""
    whole = parse_caseload_csv(ODD_FILE, today=TODAY)
    assert [c.reference for c in whole.cases] == ["YP-1", "YP-2", "YP-3", "YP-4"]
    assert whole.cases[0].person.school == "مدرسة 👩🏽‍🚒"
    assert whole.cases[1].person.school == 'St Mary\'s,\r\n"Upper" site'
    assert [(p.line, p.column) for p in whole.problems] == [(8, "date_of_birth")]
    monkeypatch.setattr(caseload_csv, "_CHUNK", chunk)
    assert parse_caseload_csv(ODD_FILE, today=TODAY) == whole


@pytest.mark.parametrize("chunk", [1, 4, 64 * 1024])
def test_a_byte_that_is_not_utf8_after_good_rows_refuses_the_file_naming_its_line(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(caseload_csv, "_CHUNK", chunk)
    rows = b"".join(b"YP-%d,Ava,Stone,2010-01-02,Oak\r\n" % n for n in range(3000))
    data = BOM + HEADER + rows + "YP-X,Siân,Stone,2010-01-02,Oak\r\n".encode("latin-1")
    assert "(line 3002 has a character in another encoding)" in only_problem(
        parse_caseload_csv(data, today=TODAY)
    )


def test_a_file_reads_the_same_as_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "caseload.csv"
    path.write_bytes(ODD_FILE)
    with path.open("rb") as stream:
        assert read_caseload_csv(stream, today=TODAY) == parse_caseload_csv(ODD_FILE, today=TODAY)


def test_a_blank_first_line_with_rows_after_it_is_a_header_problem_not_an_empty_file() -> None:
    data = b"  \r\n\r\n" + HEADER + b"YP-1,Ava,Stone,2010-01-02,Oak\r\n"
    assert "lacks the required columns" in only_problem(parse_caseload_csv(data, today=TODAY))
    assert "is empty" in only_problem(parse_caseload_csv(b" \r\n" * 100_000, today=TODAY))
