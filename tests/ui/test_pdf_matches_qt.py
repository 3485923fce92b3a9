"""Printed text against the screen: each sample is drawn by Qt (its own shaping and bidi) and
printed to PDF by our report code with the same bundled font; the two pictures, cut to their ink
and scaled alike, must have the same shape column by column. A PDF with its words in the wrong
order, or letters unjoined or reversed, fails this."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pypdfium2
import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QImage, QPainter, QTextOption
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas

from keyworker_app.paths import resources_dir
from keyworker_app.reports import pdf_text
from keyworker_app.reports.pdf_text import text_flowable

SIZE = 24  # points
SCALE = 3  # pixels per point in both pictures
WIDTH, HEIGHT = 560, 50
SAMPLES = {
    "arabic name": ("أميرة الحسن", "NotoNaskhArabic-Regular.ttf"),
    "pashto": ("زما نوم احمد دی", "NotoNaskhArabic-Regular.ttf"),
    "tigrinya": ("ሰላም ዓለም ኣማኑኤል", "NotoSansEthiopic-Regular.ttf"),
    "welsh and polish": ("Siôn ŵyr ŷd — Zażółć gęślą", "NotoSans-Regular.ttf"),
    "hebrew": ("שלום עולם ביקור", "NotoSansHebrew-Regular.ttf"),
}


def _gray(image: QImage) -> QImage:
    return image.convertToFormat(QImage.Format.Format_Grayscale8)


def _ink_profile(image: QImage, columns: int = 120, rows: int = 30) -> list[float]:
    """Cut to the ink, scale to a fixed size, and sum the ink in each column."""
    gray = _gray(image)
    width, height = gray.width(), gray.height()
    data = bytes(gray.constBits())
    stride = gray.bytesPerLine()
    xs = [x for y in range(height) for x in range(width) if data[y * stride + x] < 128]
    ys = [y for y in range(height) for x in range(width) if data[y * stride + x] < 128]
    assert xs, "nothing was drawn"
    crop = gray.copy(min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)
    small = _gray(
        crop.scaled(
            columns,
            rows,
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    )
    pixels = bytes(small.constBits())
    line = small.bytesPerLine()
    return [sum(255 - pixels[y * line + x] for y in range(rows)) for x in range(columns)]


def _correlation(a: list[float], b: list[float]) -> float:
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum((x - mean_a) ** 2 for x in a) * sum((y - mean_b) ** 2 for y in b))
    return cov / norm


def _qt_picture(text: str, font_file: str) -> QImage:
    family = QFontDatabase.applicationFontFamilies(
        QFontDatabase.addApplicationFont(str(resources_dir() / "fonts" / font_file))
    )[0]
    image = QImage(WIDTH * SCALE, HEIGHT * SCALE, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    font = QFont(family)
    font.setPixelSize(SIZE * SCALE)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    option = QTextOption()
    option.setTextDirection(Qt.LayoutDirection.LayoutDirectionAuto)
    painter.drawText(QRectF(0, 0, image.width(), image.height()), text, option)
    painter.end()
    return image


def _pdf_picture(text: str) -> QImage:
    pdf_text.register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(WIDTH, HEIGHT))
    style = ParagraphStyle("t", fontName=pdf_text.BASE_FONT, fontSize=SIZE, leading=SIZE * 1.3)
    flowable = text_flowable(text, style)
    flowable.wrapOn(canvas, WIDTH - 10, HEIGHT)
    flowable.drawOn(canvas, 5, 5)
    canvas.showPage()
    canvas.save()
    page = pypdfium2.PdfDocument(buffer.getvalue())[0]
    bitmap = page.render(scale=SCALE, rev_byteorder=True)  # RGB(A) byte order for QImage
    image = QImage(
        bytes(bitmap.buffer),
        bitmap.width,
        bitmap.height,
        bitmap.stride,
        QImage.Format.Format_RGBA8888 if bitmap.n_channels == 4 else QImage.Format.Format_RGB888,
    )
    return image.copy()


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_pdf_draws_text_as_qt_does(qapp, sample: str) -> None:  # type: ignore[no-untyped-def]
    text, font_file = SAMPLES[sample]
    qt = _ink_profile(_qt_picture(text, font_file))
    pdf = _ink_profile(_pdf_picture(text))
    assert _correlation(qt, pdf) > 0.75


def test_words_in_the_wrong_order_would_fail(qapp) -> None:  # type: ignore[no-untyped-def]
    """The comparison can tell: the Arabic words swapped (as a naive LTR layout would print
    them) do not match what Qt draws."""
    text, font_file = SAMPLES["arabic name"]
    swapped = " ".join(reversed(text.split(" ")))
    qt = _ink_profile(_qt_picture(text, font_file))
    wrong = _ink_profile(_pdf_picture(swapped))
    assert _correlation(qt, wrong) < 0.75


def test_the_fonts_are_embedded_as_subsets() -> None:
    from pypdf import PdfReader

    from keyworker_app.reports.pdf_document import render_pdf, styles

    pdf = render_pdf(
        [text_flowable(t, styles().body) for t, _ in SAMPLES.values()],
        title="t",
        subject="t",
        author="t",
        footer="t",
    )
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            described = font.get_object()
            fonts.add(str(described["/BaseFont"]))
            assert "/FontFile2" in described["/FontDescriptor"], described["/BaseFont"]
    # Every font embedded as a subset (AAAAAA+Name), one per script.
    assert all("+" in f for f in fonts)
    assert {f.split("+")[1] for f in fonts} >= {
        "NotoSans-Regular",
        "NotoNaskhArabic-Regular",
        "NotoSansEthiopic-Regular",
    }
    assert Path(resources_dir() / "fonts" / "OFL.txt").exists()


def test_every_letter_has_a_glyph_in_the_font_chosen_for_its_word() -> None:
    """No black boxes: names and notes in the service's languages, letter by letter."""
    from reportlab.pdfbase import pdfmetrics

    pdf_text.register_fonts()
    texts = [t for t, _ in SAMPLES.values()] + [
        "Dafydd ap Siôn Llŵyd, Ŷr Wyddgrug",  # Welsh
        "Łukasz Wróblewski, Źródło, Śląsk, Żółć",  # Polish
        "ځواک ډېر ښه ږغ ګل ړومبی ۍ",  # Pashto's own letters
        "محمد عبدالله الأمين",  # Arabic
        "ፍሬሕይወት ገብረመድህን",  # Tigrinya
        "אברהם כהן, תל אביב־יפו",  # Hebrew
    ]
    missing = []
    for text in texts:
        for word in text.split():
            for family, run in pdf_text.runs(word):
                face = pdfmetrics.getFont(pdf_text.font_name(family, False)).face
                missing += [f"{c!r} in {word}" for c in run if ord(c) not in face.charToGlyph]
    assert not missing
