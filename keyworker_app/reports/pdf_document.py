"""The printed page shared by every pack and report: A4, the organisation's protective marking at
the top and bottom of every page and its name and logo on the cover, "Page X of Y", the bundled
fonts, tables, optional AES-256 encryption, and a file written atomically (a half-written PDF
never appears). Charts are in ``charts.py``."""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from keyworker_app.atomic import write_atomically
from keyworker_app.organisation import OrganisationSettings
from keyworker_app.reports.pdf_text import BASE_FONT, BOLD_FONT, register_fonts, text_flowable

MARKING = OrganisationSettings().marking  # when the organisation sets none
LOGO_BOX = (60 * mm, 20 * mm)  # the most a logo takes on a cover: width, height
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#cbd2d9")
ACCENT = colors.HexColor("#2b6cb0")
SHADE = colors.HexColor("#f0f4f8")
WARN = colors.HexColor("#b7791f")
MARGIN = 18 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN
# Lengths are in points (1/72 inch, ReportLab's unit) where not written in mm, as a printer
# gives rules, paddings and type: font sizes, leading and spacing in styles() are points too.
HAIRLINE = 0.25  # points: the rule under each table row
HEADER_RULE = 0.75  # points: the rule under a table's header row
CELL_PADDING = 2.5  # points, above and below the text in a table cell


class PdfError(ValueError):
    """The PDF could not be written; the message says what to do."""


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    muted: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    title: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle


def styles() -> Styles:
    register_fonts()
    body = ParagraphStyle(
        "body", fontName=BASE_FONT, fontSize=9.5, leading=13, textColor=INK, shaping=1
    )
    return Styles(
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=8, leading=10.5),
        muted=ParagraphStyle("muted", parent=body, fontSize=8.5, leading=11, textColor=MUTED),
        h1=ParagraphStyle(
            "h1",
            parent=body,
            fontName=BOLD_FONT,
            fontSize=15,
            leading=19,
            spaceBefore=4,
            spaceAfter=6,
            textColor=ACCENT,
        ),
        h2=ParagraphStyle(
            "h2",
            parent=body,
            fontName=BOLD_FONT,
            fontSize=11.5,
            leading=15,
            spaceBefore=8,
            spaceAfter=3,
        ),
        h3=ParagraphStyle(
            "h3",
            parent=body,
            fontName=BOLD_FONT,
            fontSize=10,
            leading=13,
            spaceBefore=5,
            spaceAfter=2,
        ),
        title=ParagraphStyle(
            "title", parent=body, fontName=BOLD_FONT, fontSize=24, leading=30, textColor=INK
        ),
        cell=ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11),
        cell_bold=ParagraphStyle(
            "cell_bold", parent=body, fontName=BOLD_FONT, fontSize=8.5, leading=11
        ),
    )


class _NumberedCanvas(Canvas):
    """Holds every page until the end so each can say how many pages there are."""

    footer_left = ""
    marking = MARKING

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Start in our font, so no unembedded standard font is referenced anywhere.
        kwargs["initialFontName"] = kwargs.get("initialFontName") or BASE_FONT
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        width, height = A4
        self.saveState()
        self.setFont(BOLD_FONT, 9)
        self.setFillColor(colors.HexColor("#9b2c2c"))
        self.drawCentredString(width / 2, height - 10 * mm, self.marking)
        self.drawCentredString(width / 2, 7 * mm, self.marking)
        self.setFont(BASE_FONT, 8)
        self.setFillColor(MUTED)
        self.drawString(MARGIN, 12 * mm, self.footer_left)
        self.drawRightString(width - MARGIN, 12 * mm, f"Page {self._pageNumber} of {total}")
        self.setStrokeColor(RULE)
        self.line(MARGIN, 15 * mm, width - MARGIN, 15 * mm)
        self.restoreState()


def render_pdf(
    story: Sequence[Flowable],
    *,
    title: str,
    subject: str,
    author: str,
    footer: str,
    marking: str = MARKING,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """Lay out ``story`` on numbered A4 pages with ``marking`` at the top and bottom of each;
    the PDF as bytes."""
    register_fonts()
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=20 * mm,
        title=title,
        subject=subject,
        author=author,
        creator="Keyworker",
        invariant=1,  # the same records give the same file
    )
    frame = Frame(MARGIN, 20 * mm, CONTENT_WIDTH, A4[1] - MARGIN - 20 * mm, id="body")
    document.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    if progress is not None:
        document.setProgressCallBack(
            lambda kind, value: progress(int(value)) if kind == "PROGRESS" else None
        )
    canvas_class = type(
        "PackCanvas", (_NumberedCanvas,), {"footer_left": footer, "marking": marking}
    )
    document.build(list(story), canvasmaker=canvas_class)
    return buffer.getvalue()


def encrypt(pdf: bytes, password: str) -> bytes:
    """AES-256 encryption (PDF 2.0 security handler): the password is needed to open it."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(
        user_password=password, owner_password=secrets.token_urlsafe(24), algorithm="AES-256"
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def save_pdf(pdf: bytes, path: Path, *, password: str | None = None) -> None:
    if password is not None:
        pdf = encrypt(pdf, password)
    if not path.parent.is_dir():
        raise PdfError(f"The folder {path.parent} does not exist; choose another place to save.")
    try:
        write_atomically(path, pdf)
    except OSError as error:
        raise PdfError(
            f"The PDF could not be written to {path} ({error.strerror or error}); "
            "choose another place to save."
        ) from None


# Building blocks -------------------------------------------------------------------------------


def heading(text: str, style: ParagraphStyle) -> Flowable:
    return text_flowable(text, style)


class SplittingTable(Table):
    """A Table that lays out exactly as ReportLab's, except that a row taller than a whole page
    (a long form answer, a long place or purpose) is split across pages. ReportLab otherwise
    raises LayoutError for it, and the whole pack failed to print."""

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        parts = super().split(availWidth, availHeight)
        frame = getattr(self, "_frame", None)
        split_in_row = bool(getattr(self, "splitInRow", 0))
        if parts or split_in_row or not getattr(frame, "_atTop", False):
            return parts
        # At the top of an empty page and no split between rows fits: split inside the row.
        self.splitInRow = 1
        try:
            return super().split(availWidth, availHeight)
        finally:
            self.splitInRow = 0


def key_values(
    rows: Sequence[tuple[str, str | None]], s: Styles, *, label_width: float = 42 * mm
) -> Table:
    data = [
        [text_flowable(label, s.cell_bold), text_flowable(value or "–", s.cell, align_rtl=False)]
        for label, value in rows
    ]
    table = SplittingTable(data, colWidths=[label_width, CONTENT_WIDTH - label_width])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), HAIRLINE, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ]
        )
    )
    return table


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str | None]],
    s: Styles,
    *,
    shares: Sequence[float] | None = None,
    highlight: Sequence[int] = (),
) -> Table:
    """A table the width of the page with a header row repeated on every page; ``highlight``
    rows are shaded amber. ``shares`` are the columns' relative widths, not lengths: [2, 1, 1]
    gives the first column half the width (equal columns without them)."""
    data = [[text_flowable(h, s.cell_bold) for h in header]]
    data += [[text_flowable(c or "", s.cell, align_rtl=False) for c in row] for row in rows]
    if shares is None:
        widths = [CONTENT_WIDTH / len(header)] * len(header)
    else:
        scale = CONTENT_WIDTH / sum(shares)
        widths = [w * scale for w in shares]
    table = SplittingTable(data, colWidths=list(widths), repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), HEADER_RULE, MUTED),
        ("LINEBELOW", (0, 1), (-1, -1), HAIRLINE, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    for row in highlight:
        commands.append(("BACKGROUND", (0, row + 1), (-1, row + 1), colors.HexColor("#fefcbf")))
    table.setStyle(TableStyle(commands))
    return table


def empty_note(text: str, s: Styles) -> Flowable:
    return Paragraph(text, s.muted)


def section(title: str, body: Sequence[Flowable], s: Styles) -> list[Flowable]:
    """A section heading kept with the start of its content."""
    parts = list(body)
    if not parts:
        return [heading(title, s.h1)]
    return [KeepTogether([heading(title, s.h1), parts[0]]), *parts[1:], Spacer(1, 4 * mm)]


def _logo(path: Path) -> Flowable | None:
    """The organisation's logo scaled into LOGO_BOX, keeping its shape. The settings checked it
    when Keyworker started; a logo since removed or spoilt leaves the cover without it rather
    than stopping the pack from printing."""
    try:
        width, height = ImageReader(str(path)).getSize()
    except Exception:  # noqa: BLE001 - ReportLab and Pillow raise many kinds for a bad picture
        return None
    if width <= 0 or height <= 0:
        return None
    scale = min(LOGO_BOX[0] / width, LOGO_BOX[1] / height)
    logo = Image(str(path), width=width * scale, height=height * scale)
    logo.hAlign = "LEFT"
    return logo


def cover(
    title: str,
    lines: Sequence[tuple[str, str]],
    s: Styles,
    *,
    subtitle: str = "",
    organisation: OrganisationSettings | None = None,
) -> list[Flowable]:
    """A cover page: the organisation's logo and name, the title, who and what it is about,
    the marking restated."""
    organisation = organisation or OrganisationSettings()
    letterhead: list[Flowable] = []
    logo = _logo(organisation.logo) if organisation.logo else None
    if logo is not None:
        letterhead += [logo, Spacer(1, 3 * mm)]
    if organisation.name:
        letterhead.append(text_flowable(organisation.name, s.h2, align_rtl=False))
    used = sum(part.wrap(CONTENT_WIDTH, A4[1])[1] for part in letterhead)
    parts: list[Flowable] = [
        *letterhead,
        Spacer(1, max(8 * mm, 30 * mm - used)),
        text_flowable(title, s.title),
    ]
    if subtitle:
        parts += [Spacer(1, 3 * mm), text_flowable(subtitle, s.h2, align_rtl=False)]
    parts += [Spacer(1, 12 * mm), key_values(lines, s, label_width=40 * mm), Spacer(1, 20 * mm)]
    notice = ParagraphStyle("notice", parent=s.muted, alignment=TA_CENTER)
    parts.append(
        Paragraph(
            f"{escape(organisation.marking)}. Contains personal information about a child. "
            "Keep it secure, share it only with those who need it, and destroy it when no "
            "longer needed.",
            notice,
        )
    )
    return parts
