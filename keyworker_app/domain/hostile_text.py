"""Characters that make text lie about itself.

A right-to-left override in a name shows "Ava" as something else in one viewer and not in
another, so the app, the pack and a log disagree about who a record is about. A NUL ends a
string early in C code and cannot be stored in PostgreSQL text at all. Names, references and
other short identifying text refuse them; notes keep them.
"""

from __future__ import annotations

import unicodedata

# Embeddings, overrides and isolates: they reorder the text around them.
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Marks that only nudge neutral characters; a right-to-left note may need them.
DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def problem_in_name(text: str) -> str | None:
    """Why ``text`` cannot be a name or reference (a short identifying text), or None."""
    for character in text:
        if character in DIRECTION_CONTROLS or character in DIRECTION_MARKS:
            return "a hidden character that changes the direction of the text"
        if character in ZERO_WIDTH:
            return "an invisible (zero-width) character"
        category = unicodedata.category(character)
        if category in ("Cc", "Cs") or (category == "Cf" and character != "\u00ad"):
            return "a control character"
    return None


def problem_in_text(text: str) -> str | None:
    """Why ``text`` cannot be stored as free text (a note), or None. Notes are kept exactly as
    written: direction controls come with text pasted from a right-to-left document (the pack
    and the app both apply them; the search index ignores them), and a NUL is stored, found and
    printed faithfully (tests/drills/test_bad_input.py). Lone surrogates are refused before
    this, where the text is typed."""
    return None
