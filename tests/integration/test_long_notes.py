"""A contact note of thousands of lines prints whole in the review pack: every line once, in
order, across page breaks, with its Arabic, its lines that run over pages and its blank lines.

Read back from the PDF (pypdf for the text, pdfplumber for where the lines sit). Speed is measured
in benchmarks/long_notes.py, not here."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, date, datetime

import pdfplumber
import pytest
from pypdf import PdfReader

from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.reports.review_pack import PackRequest, build_review_pack
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import YoungPerson
from keyworker_app.store.recording import ContactDetails, add_contact

TODAY = date(2026, 11, 20)
LINES = 3_000
LONG_LINES = {700: "W", 2_200: "V"}  # line number -> the letter of its numbered words
LONG_WORDS = 1_500  # words in a long line: more than two pages of wrapped text
LONG_ARABIC_LINE = 1_200  # in the note with Arabic: numbered words, each with an Arabic word
ARABIC = "مرحبا بكم في البيت"
THANKS = "شكرا"


def long_note(*, arabic: bool) -> tuple[str, list[str]]:
    """A note of LINES lines, and the marker of each line that is not blank, in order."""
    lines, markers = [], []
    for n in range(LINES):
        marker = f"L{n:04d}"
        if n % 97 == 50:
            lines.append("")  # a blank line between paragraphs
            continue
        if n in LONG_LINES:
            letter = LONG_LINES[n]
            line = f"{marker} " + " ".join(f"{letter}{k:04d}" for k in range(LONG_WORDS))
        elif arabic and n == LONG_ARABIC_LINE:
            line = f"{marker} " + " ".join(f"A{k:04d} {THANKS}" for k in range(LONG_WORDS))
        elif arabic and n % 40 == 7:
            line = f"{ARABIC} {marker} {ARABIC}"  # a right-to-left line
        elif arabic and n % 40 == 27:
            line = f"{marker} met at the hub, {ARABIC}"  # Arabic inside a left-to-right line
        else:
            line = f"{marker} met at the youth hub and talked about the week at school."
        lines.append(line)
        markers.append(marker)
    return "\n".join(lines), markers


def pack_with_note(store: Store, person: YoungPerson, note: str) -> bytes:
    add_contact(
        store,
        person.id,
        ContactDetails(
            ContactType.HOME_VISIT, note, occurred_at=datetime(2026, 7, 1, 10, tzinfo=UTC)
        ),
        finalise=True,
    )
    request = PackRequest(
        reference=person.reference, start=date(2026, 6, 1), end=TODAY, sections=["contacts"]
    )
    return build_review_pack(store, request, today=TODAY)


def text_of(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return "\n".join(unicodedata.normalize("NFKC", page.extract_text() or "") for page in pages)


@pytest.mark.parametrize("arabic", [False, True], ids=["latin", "with-arabic"])
def test_a_note_of_thousands_of_lines_prints_whole_and_in_order(
    store: Store, young_person: YoungPerson, arabic: bool
) -> None:
    note, markers = long_note(arabic=arabic)
    pdf = pack_with_note(store, young_person, note)
    text = text_of(pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 50  # many page breaks to cross
    # Every line once, in order: the first, the middle and the last among them.
    printed = re.findall(r"\bL\d{4}\b", text)
    assert printed == markers
    assert {"L0000", "L1500", f"L{LINES - 1:04d}"} <= set(printed)
    # A line that runs over pages loses no word and repeats none where the pages break.
    for letter in [*LONG_LINES.values(), *(["A"] if arabic else [])]:
        words = re.findall(rf"\b{letter}\d{{4}}\b", text)
        assert words == [f"{letter}{k:04d}" for k in range(LONG_WORDS)]
    if arabic:
        # Each Arabic word whole (pypdf gives the words of a line left to right on the page).
        phrases = sum({7: 2, 27: 1}.get(n % 40, 0) for n in range(LINES) if n % 97 != 50)
        for word in ARABIC.split():
            assert len(re.findall(rf"(?<!\S){word}(?!\S)", text)) == phrases, word
        assert len(re.findall(rf"(?<!\S){THANKS}(?!\S)", text)) == LONG_WORDS


def test_blank_lines_keep_their_height_in_a_note_with_arabic(
    store: Store, young_person: YoungPerson
) -> None:
    pdf = pack_with_note(store, young_person, f"first {ARABIC}\n\nthird line\nfourth line")
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        words = document.pages[-1].extract_words()
    top = {w["text"]: w["top"] for w in words}
    # The blank line takes one line's height, as it does in a note without Arabic.
    step = top["fourth"] - top["third"]
    assert top["third"] - top["first"] == pytest.approx(2 * step, abs=0.5)
