"""Right-to-left text on the printed page: letters, numbers and punctuation land where a reader
of Hebrew or Arabic expects them, and nothing prints as a missing-glyph box.

Read back from the PDF by each character's position, left to right (Arabic comes back as its
presentation forms, which is what was drawn)."""

from __future__ import annotations

import io
import unicodedata

import pdfplumber
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.platypus import SimpleDocTemplate

from keyworker_app.reports.pdf_document import styles
from keyworker_app.reports.pdf_text import text_flowable


def drawn_left_to_right(text: str) -> str:
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build([text_flowable(text, styles().body)])
    with pdfplumber.open(io.BytesIO(buffer.getvalue())) as pdf:
        chars = sorted(pdf.pages[0].chars, key=lambda c: c["x0"])
        return unicodedata.normalize("NFKC", "".join(c["text"] for c in chars))


@pytest.mark.parametrize(
    ("text", "on_the_page"),
    [
        # Hebrew: punctuation and numbers from the Latin font, in their places.
        ("אברהם כהן, תל 2024", "2024 לת ,ןהכ םהרבא"),
        ("ב-10:30.", ".10:30-ב"),
        ("Amira said שלום, at 10:30", "Amira said םולש, at 10:30"),
        # Arabic: the number after a word stays a left-to-right number, to the word's left.
        ("مرحبا123 بكم", "مكب 123ابحرم"),
        # Brackets face the text they enclose (mirrored), drawn from the Latin font.
        ("(أحمد)؟", "؟ ( دمحأ )"),
    ],
)
def test_right_to_left_text_lands_where_a_reader_expects(text: str, on_the_page: str) -> None:
    drawn = drawn_left_to_right(text)
    assert "\ufffd" not in drawn and "\uffff" not in drawn  # no missing glyphs
    assert drawn == unicodedata.normalize("NFKC", on_the_page)
