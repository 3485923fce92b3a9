"""Text that prints in every script the service meets: Latin (Polish, Welsh), Arabic script
(Arabic, Pashto, Dari), Ge'ez (Tigrinya, Amharic) and Hebrew.

The bundled Noto fonts are embedded as subsets. Each word is set in the font for its script.
HarfBuzz (through ReportLab's shaping) joins the letters of a word and lays an Arabic word's
glyphs out right to left; the order of *words* in a right-to-left run is the Unicode bidi
algorithm's job (python-bidi). Its output reverses the letters of right-to-left words too, so
each such word is turned back to logical order before shaping: letters are never reversed twice.
Lines holding right-to-left text are broken in logical order first and reordered one by one, so a
long Arabic note reads from the top right.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from xml.sax.saxutils import escape

# The pure-Python algorithm mirrors brackets in right-to-left runs; the compiled one does not.
from bidi.algorithm import get_display
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, shapeStr
from reportlab.platypus import Flowable, Paragraph

from keyworker_app.paths import resources_dir

# family -> (regular, bold) font files in resources/fonts
FAMILIES = {
    "Latin": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    "Arabic": ("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf"),
    "Ethiopic": ("NotoSansEthiopic-Regular.ttf", "NotoSansEthiopic-Bold.ttf"),
    "Hebrew": ("NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf"),
}
BASE_FONT = "KW-Latin"
BOLD_FONT = "KW-Latin-Bold"


@functools.cache
def register_fonts() -> None:
    """Register the bundled fonts with ReportLab once per process."""
    for family, (regular, bold) in FAMILIES.items():
        for name, file in ((f"KW-{family}", regular), (f"KW-{family}-Bold", bold)):
            pdfmetrics.registerFont(TTFont(name, str(resources_dir() / "fonts" / file)))
        pdfmetrics.registerFontFamily(
            f"KW-{family}",
            normal=f"KW-{family}",
            bold=f"KW-{family}-Bold",
            italic=f"KW-{family}",
            boldItalic=f"KW-{family}-Bold",
        )


def _rtl_paragraph(text: str) -> bool:
    """The paragraph direction the bidi algorithm gives: that of its first strong letter."""
    first = next((c for c in text if unicodedata.bidirectional(c) in ("L", "R", "AL")), "a")
    return _is_rtl(first)


def _is_rtl(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


def has_rtl(text: str) -> bool:
    return any(_is_rtl(c) for c in text)


def script_of(word: str) -> str:
    """The font family a word needs: the script of most of its letters."""
    counts = {"Latin": 0, "Arabic": 0, "Ethiopic": 0, "Hebrew": 0}
    for char in word:
        code = ord(char)
        if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x08FF or 0xFB50 <= code <= 0xFEFF:
            counts["Arabic"] += 1
        elif 0x0590 <= code <= 0x05FF or 0xFB1D <= code <= 0xFB4F:
            counts["Hebrew"] += 1
        elif 0x1200 <= code <= 0x139F or 0x2D80 <= code <= 0x2DDF or 0xAB00 <= code <= 0xAB2F:
            counts["Ethiopic"] += 1
        elif char.isalpha():
            counts["Latin"] += 1
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else "Latin"


def font_name(family: str, bold: bool) -> str:
    return f"KW-{family}-Bold" if bold else f"KW-{family}"


@functools.cache
def _covers(family: str) -> frozenset[int]:
    register_fonts()
    return frozenset(pdfmetrics.getFont(font_name(family, False)).face.charToGlyph)


# A number or a Latin run inside a right-to-left word stays left to right on the page: in
# "ב-10:30" and "مرحبا123" only the letters and the marks around them are reversed.
_LEFT_TO_RIGHT = re.compile(r"\d+(?:[.,:/]\d+)*|[A-Za-z\u00c0-\u024f]+")


def _segments(word: str) -> list[tuple[str, bool]]:
    """The word's (text, right to left?) segments in logical order."""
    if not has_rtl(word):
        return [(word, False)]
    segments: list[tuple[str, bool]] = []
    start = 0
    for match in _LEFT_TO_RIGHT.finditer(word):
        if match.start() > start:
            segments.append((word[start : match.start()], True))
        segments.append((match.group(), False))
        start = match.end()
    if start < len(word):
        segments.append((word[start:], True))
    return segments


def _logical(word: str) -> str:
    """A right-to-left word from the bidi algorithm's display order back to logical order."""
    return "".join(text[::-1] if rtl else text for text, rtl in reversed(_segments(word)))


def _by_font(text: str, family: str) -> list[tuple[str, str]]:
    """``text`` as (family, text) pieces: what the script's font lacks (the Hebrew font has no
    comma or digits) falls back to the Latin font."""
    covered = _covers(family) if family != "Latin" else frozenset()
    pieces: list[tuple[str, str]] = []
    for char in text:
        font = family if family == "Latin" or ord(char) in covered else "Latin"
        if pieces and pieces[-1][0] == font:
            pieces[-1] = (font, pieces[-1][1] + char)
        else:
            pieces.append((font, char))
    return pieces


def runs(word: str, shaped: bool = False) -> list[tuple[str, str]]:
    """What is drawn for a word, left to right on the page, as (font family, text) fragments.

    Unshaped, a fragment's glyphs are drawn as given: right-to-left text is handed over in
    visual order. Shaped (lines with Arabic), ReportLab shapes a whole word in the font of its
    first fragment and HarfBuzz lays a right-to-left word out in reverse, numbers included; so
    the numbers go in reversed (to come out right) and a piece in another font becomes a word
    of its own (a little space beside it rather than a box).
    """
    family = script_of(word)
    if not shaped:
        drawn = []
        for text, rtl in _segments(word)[:: -1 if has_rtl(word) else 1]:
            pieces = _by_font(text, family)
            drawn += [(f, t[::-1]) for f, t in reversed(pieces)] if rtl else pieces
        return drawn
    fragments: list[tuple[str, str]] = []
    for text, rtl in _segments(word):
        for font, piece in _by_font(text, family):
            piece = piece if rtl or not has_rtl(word) else piece[::-1]
            if fragments and fragments[-1][0] == font:
                fragments[-1] = (font, fragments[-1][1] + piece)
            else:
                fragments.append((font, piece))
    return fragments[::-1] if has_rtl(word) else fragments


def _word_markup(word: str, bold: bool, shaped: bool = False) -> str:
    if word.isascii():  # most words of most notes: one Latin run, as runs() would find
        return f"<b>{escape(word)}</b>" if bold and word else escape(word)
    parts = []
    for family, text in runs(word, shaped):
        if family != "Latin":  # the script's own font, in the weight asked for
            parts.append(f'<font face="{font_name(family, bold)}">{escape(text)}</font>')
        else:
            parts.append(f"<b>{escape(text)}</b>" if bold else escape(text))
    return (" " if shaped else "").join(parts)


def markup(text: str, *, bold: bool = False) -> str:
    """Paragraph markup for plain text: escaped, each word in its script's font, line breaks
    kept. Only for text without right-to-left letters (see ``text_flowable``)."""
    lines = text.split("\n")
    return "<br/>".join(
        " ".join(_word_markup(word, bold) for word in line.split(" ")) for line in lines
    )


# python-bidi's algorithm fails an assertion on two kinds of character, which failed the whole
# pack: isolates (messaging apps wrap names in them), and characters this Python's Unicode
# database does not know (an emoji newer than it). Isolates become the embeddings that order
# text the same way in all but rare cases; unknown characters stand in as private-use letters
# (left to right, the default for unassigned code points) and are put back afterwards.
_ISOLATES_AS_EMBEDDINGS = str.maketrans(
    {"\u2066": "\u202a", "\u2067": "\u202b", "\u2069": "\u202c"}
)
_FSI = "\u2068"


def _for_bidi(line: str) -> tuple[str, dict[int, str]]:
    """``line`` as python-bidi can take it, and the table that restores its unknown characters."""
    if any("\u2066" <= c <= "\u2069" for c in line):
        parts = line.translate(_ISOLATES_AS_EMBEDDINGS).split(_FSI)
        # FSI: the direction of the first strong letter after it.
        line = parts[0] + "".join(
            ("\u202b" if _rtl_paragraph(part[:200]) else "\u202a") + part for part in parts[1:]
        )
    unknown = sorted({c for c in line if not unicodedata.bidirectional(c)})
    if not unknown:
        return line, {}
    free = (chr(code) for code in range(0xE000, 0xF900) if chr(code) not in line)
    stand_ins: dict[str, str | int | None] = dict(zip(unknown, free, strict=False))
    restore = {ord(str(v)): k for k, v in stand_ins.items()}
    return line.translate(str.maketrans(stand_ins)), restore


def visual_words(line: str, *, rtl_base: bool) -> list[str]:
    """The words of one line in the order they appear left to right on the page, each still in
    logical letter order (HarfBuzz lays out its letters)."""
    safe, restore = _for_bidi(line)
    display = get_display(safe, base_dir="R" if rtl_base else "L").translate(restore)
    return [_logical(word) if has_rtl(word) else word for word in display.split(" ")]


def _word_width(word: str, bold: bool, size: float, shaped: bool) -> float:
    fragments = runs(word, shaped)
    total = pdfmetrics.stringWidth(" ", BASE_FONT, size) * (len(fragments) - 1) if shaped else 0
    for family, text in fragments:
        font = font_name(family, bold)
        if shaped:
            try:
                data = getattr(shapeStr(text, font, size), "__shapeData__", None)
                if data:
                    total += sum(d.x_advance for d in data) * size / 1000
                    continue
            except Exception:  # noqa: BLE001 - fall back to unshaped widths
                pass
        total += pdfmetrics.stringWidth(text, font, size)
    return total


class _Lines(Flowable):
    """Lines already broken (one Paragraph each), drawn one under another and split between
    them. Heights are kept for the width they were measured at, so the part left over at a page
    break costs nothing to measure again on the next page."""

    def __init__(self, lines: Sequence[Paragraph], heights: Sequence[float] = ()) -> None:
        super().__init__()
        self.lines = list(lines)
        self.heights = list(heights)
        self._measured_for: float | None = None
        if self.heights:
            self.height = sum(self.heights)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        if self._measured_for != avail_width:
            self.heights = [p.wrap(avail_width, avail_height)[1] for p in self.lines]
            self._measured_for = avail_width
            self.height = sum(self.heights)
        self.width = avail_width
        return self.width, self.height

    def _part(self, start: int, stop: int) -> _Lines:
        part = _Lines(self.lines[start:stop], self.heights[start:stop])
        part._measured_for = self._measured_for
        return part

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self.wrap(avail_width, avail_height)
        if self.height <= avail_height or len(self.lines) < 2:
            return []
        used, cut = 0.0, 0
        for height in self.heights:
            used += height
            if used > avail_height:
                break
            cut += 1
        if cut == 0:
            return []
        head, tail = self._part(0, cut), self._part(cut, len(self.lines))
        head.spaceBefore, tail.spaceAfter = self.getSpaceBefore(), self.getSpaceAfter()
        return [head, tail]

    def draw(self) -> None:
        y = self.height
        for line, height in zip(self.lines, self.heights, strict=True):
            y -= height
            line.drawOn(self.canv, 0, y)


class BidiParagraph(_Lines):
    """A paragraph with right-to-left text: broken into lines in logical order, each line's
    words reordered by the bidi algorithm and drawn as one shaped line."""

    def __init__(
        self, text: str, style: ParagraphStyle, *, bold: bool = False, align_rtl: bool = True
    ) -> None:
        super().__init__([])
        self.text = text
        self.style = style
        self.bold = bold
        self.align_rtl = align_rtl  # right-align right-to-left paragraphs (not in table cells)
        self._broken_for: float | None = None

    def _line_style(self, rtl: bool, shaped: bool) -> ParagraphStyle:
        return ParagraphStyle(
            "bidi-line",
            parent=self.style,
            alignment=TA_RIGHT if rtl and self.align_rtl else TA_LEFT,
            shaping=1 if shaped else 0,
        )

    def _break(self, width: float) -> list[tuple[str, bool]]:
        """Lines in logical order, each with its paragraph's direction (right to left?)."""
        size = self.style.fontSize
        space = pdfmetrics.stringWidth(" ", BASE_FONT, size)
        lines: list[tuple[str, bool]] = []
        for paragraph in self.text.split("\n"):
            rtl = _rtl_paragraph(paragraph)
            shaped = needs_shaping(paragraph)
            current: list[str] = []
            used = 0.0
            for word in paragraph.split(" "):
                w = _word_width(word, self.bold, size, shaped)
                if current and used + space + w > width:
                    lines.append((" ".join(current), rtl))
                    current, used = [], 0.0
                used += (space if current else 0) + w
                current.append(word)
            lines.append((" ".join(current), rtl))
        return lines

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        # A frame wraps, splits and wraps again at one width: break and shape only once.
        if self._broken_for != avail_width:
            self.lines = []
            for line, rtl in self._break(avail_width):
                words = visual_words(line, rtl_base=rtl)
                shaped = needs_shaping(line)
                self.lines.append(
                    Paragraph(
                        # A blank line keeps its height, as in a plain paragraph.
                        " ".join(_word_markup(w, self.bold, shaped) for w in words) or "<br/>",
                        self._line_style(rtl, shaped),
                    )
                )
            self._broken_for = avail_width
            self._measured_for = None
        return super().wrap(avail_width, avail_height)


def needs_shaping(text: str) -> bool:
    """Arabic script joins its letters, so it must go through HarfBuzz; Latin and Ge'ez print
    correctly glyph by glyph, and shaping every word of a long pack would cost seconds."""
    return any(0x0600 <= ord(c) <= 0x08FF or 0xFB50 <= ord(c) <= 0xFEFF for c in text)


@functools.cache
def _unshaped(style: ParagraphStyle) -> ParagraphStyle:
    return ParagraphStyle(f"{style.name}-plain", parent=style, shaping=0)


def text_flowable(
    text: str | None, style: ParagraphStyle, *, bold: bool = False, align_rtl: bool = True
) -> Flowable:
    """A paragraph of plain text (never markup) that prints whatever script it is in.
    ``align_rtl=False`` keeps right-to-left lines left-aligned, as in a column of names. Text
    that may run over pages (a contact note) goes through ``text_flowables``."""
    register_fonts()
    text = (text or "").replace("\r\n", "\n").strip("\n")
    bold = bold or style.fontName.endswith("-Bold")  # headings: every script in bold
    if has_rtl(text):
        return BidiParagraph(text, style, bold=bold, align_rtl=align_rtl)
    if not needs_shaping(text):
        style = _unshaped(style)
    return Paragraph(markup(text, bold=bold) or " ", style)


class _LongParagraph(Paragraph):
    """A paragraph that may run over many pages (a note pasted as one line). At a page break
    ReportLab breaks all the lines after it again, on every page; this one cuts them at its
    first page break into pieces of about a page, all from the one breaking, so each later
    page costs what it holds."""

    PIECE = 50  # lines

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        parts = super().split(avail_width, avail_height)
        cut = getattr(self, "_get_split_blParaFunc", None)  # absent: ReportLab's way, slower
        if len(parts) != 2 or cut is None or not hasattr(self, "blPara"):
            return parts
        head, tail = parts
        lines = self.blPara.lines
        start = len(head.blPara.lines)
        if len(lines) - start <= self.PIECE:
            return parts
        # Pieces after the first are one paragraph continued: no space or orphan control
        # between them.
        style = ParagraphStyle(
            f"{tail.style.name}-piece",
            parent=tail.style,
            spaceBefore=0,
            spaceAfter=0,
            allowOrphans=1,
        )
        last = ParagraphStyle(
            f"{tail.style.name}-end", parent=style, spaceAfter=tail.style.spaceAfter
        )
        frags = cut()
        stops = [*range(start + self.PIECE, len(lines), self.PIECE), len(lines)]
        return [
            head,
            *(
                Paragraph(
                    None,
                    last if stop == len(lines) else style,
                    frags=frags(self.blPara, begin, stop),
                )
                for begin, stop in zip([start, *stops], stops, strict=False)
            ),
        ]


def text_flowables(
    text: str | None, style: ParagraphStyle, *, bold: bool = False, align_rtl: bool = True
) -> list[Flowable]:
    """Long plain text (a contact note) as one flowable per line, printed as ``text_flowable``
    prints it: the same fonts, directions, line breaks and blank lines (but none at the top of
    a page).

    ReportLab splits a paragraph at a page break by breaking all its remaining lines again, so
    a note held in one paragraph took time in the square of its length. Here a page break
    splits one line of the note at most, and a line that runs over pages is cut once
    (``_LongParagraph``): the time grows with the length of the note."""
    register_fonts()
    text = (text or "").replace("\r\n", "\n").strip("\n")
    lines = text.split("\n")
    bold = bold or style.fontName.endswith("-Bold")
    rtl = has_rtl(text)
    # Shaping as text_flowable decides it: for the whole text without right-to-left letters,
    # line by line with them.
    plain = _line_styles(style if needs_shaping(text) and not rtl else _unshaped(style))
    shaped = _line_styles(style)
    printed = [index for index, line in enumerate(lines) if line.strip()]
    out: list[Flowable] = []
    blank = 0
    for index, line in enumerate(lines):
        if not line.strip():
            # Space before the next line, which the top of a page drops (a paragraph drops a
            # blank last line too).
            blank += 1
            continue
        place = 0 if index == printed[0] else 2 if index == printed[-1] else 1
        bidi = rtl and (has_rtl(line) or needs_shaping(line))
        # A line with no right-to-left letters prints the same without the bidi algorithm,
        # which would cost most of the time of a long note with a little Arabic.
        line_style = (shaped if bidi else plain)[3 if len(printed) == 1 else place]
        if blank:
            line_style = ParagraphStyle(
                f"{line_style.name}-after-blank",
                parent=line_style,
                spaceBefore=line_style.spaceBefore + blank * style.leading,
            )
            blank = 0
        if bidi:
            out.append(BidiParagraph(line, line_style, bold=bold, align_rtl=align_rtl))
        else:
            out.append(_LongParagraph(markup(line, bold=bold), line_style))
    return out


def _line_styles(style: ParagraphStyle) -> tuple[ParagraphStyle, ...]:
    """The styles of the first, a middle and the last line of a text, and of a text of one
    line: the text's space before and after at its ends only, and orphan control at its start
    only, as for the one paragraph it used to be."""
    middle = ParagraphStyle(
        f"{style.name}-line", parent=style, spaceBefore=0, spaceAfter=0, allowOrphans=1
    )
    first = ParagraphStyle(
        f"{style.name}-first",
        parent=middle,
        spaceBefore=style.spaceBefore,
        allowOrphans=style.allowOrphans,
    )
    last = ParagraphStyle(f"{style.name}-last", parent=middle, spaceAfter=style.spaceAfter)
    return first, middle, last, style
