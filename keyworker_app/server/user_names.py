"""User names that cannot be confused with one another.

An insider found that the central store took "ALICE" beside "alice", "аdmin" (a Cyrillic а)
beside "admin" and "bob" followed by a zero-width space beside "bob": each looks like someone
else in a restriction list, an audit line or a device list. So a name is normalised (NFKC, then
case-folded) before it is stored or looked up, and a new name is refused when it hides
characters, mixes scripts, or has the same confusable skeleton (Unicode TS #39) as an existing
account.

The confusables and the script of each character come from the ``confusable-homoglyphs``
package, which ships Unicode's confusables.txt and Scripts.txt as data. It offers no skeleton
function and keeps each confusable pair in both directions, so the skeleton here maps every
character to one member of its class of look-alikes (see ``_look_alikes``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

MAX_LENGTH = 120  # the account table's column

# Embeddings, overrides, isolates and marks: they reorder the text shown around them.
DIRECTION_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
# Control, format, surrogate, private-use and unassigned code points show nothing reliable.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
# Default-ignorable code points that are letters or marks by category yet draw nothing:
# the combining grapheme joiner, Hangul fillers, Khmer inherent vowels, variation selectors.
_BLANK_LETTERS = frozenset(
    {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0}
    | set(range(0x180B, 0x1810))
    | set(range(0xFE00, 0xFE10))
    | set(range(0xE0100, 0xE01F0))
)
# Scripts that are written together (Unicode TS #39, "highly restrictive"): Japanese, Chinese
# with Bopomofo, and Korean each mix Han with their own script.
_SCRIPTS_WRITTEN_TOGETHER = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"HAN", "BOPOMOFO"}),
    frozenset({"HAN", "HANGUL"}),
)
_NO_SCRIPT = frozenset({"COMMON", "INHERITED"})  # digits, punctuation, combining marks


def normalise(user_name: str) -> str:
    """The form a user name is stored and looked up in: surrounding spaces removed, Unicode
    NFKC (so "ａｌｉｃｅ" and "alice" are one), then case-folded (so "ALICE" is "alice").

    NFKC runs again after case folding, which can leave text unnormalised."""
    folded = unicodedata.normalize("NFKC", user_name.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def hidden_character(user_name: str) -> str | None:
    """A description of the first character of ``user_name`` that does not show as itself
    (zero-width, direction control, other control or format character), or None."""
    for character in user_name:
        code = f"U+{ord(character):04X}"
        if character in ZERO_WIDTH:
            return f"an invisible zero-width character ({code})"
        if character in DIRECTION_CONTROLS:
            return f"a hidden character that changes the direction of the text ({code})"
        if unicodedata.category(character) in _HIDDEN_CATEGORIES or ord(character) in (
            _BLANK_LETTERS
        ):
            return f"an invisible, control or unassigned character ({code})"
    return None


def scripts(user_name: str) -> set[str]:
    """The scripts (Unicode Scripts.txt names, e.g. "LATIN", "CYRILLIC") of the letters in
    ``user_name``; digits, punctuation and combining marks belong to none."""
    from confusable_homoglyphs import categories

    return {categories.alias(c) for c in user_name} - _NO_SCRIPT


def mixes_scripts(user_name: str) -> bool:
    """True when the letters of ``user_name`` come from more than one script, other than the
    combinations written together (Han with Hiragana and Katakana, Bopomofo or Hangul)."""
    found = scripts(user_name)
    return len(found) > 1 and not any(found <= group for group in _SCRIPTS_WRITTEN_TOGETHER)


@cache
def _look_alikes() -> dict[str, str]:
    """Each confusable character mapped to the prototype of its class of look-alikes.

    confusables.txt maps each look-alike (always one code point) to a prototype (one or more
    code points); the package keeps every pair in both directions, so the classes are rebuilt
    by joining pairs. The prototype is the member paired with all the others ("rn" for "m",
    "l" for "1", "I" and "|"); where a class is a single pair either will do, and the lower
    code point is taken."""
    from confusable_homoglyphs import confusables

    def clean(text: str) -> str:
        # The data carries direction marks around right-to-left characters, for display.
        return text.replace("\u200e", "").replace("\u200f", "")

    pairs: dict[str, set[str]] = {}
    for character, alikes in confusables.confusables_data.items():
        for alike in alikes:
            first, second = clean(character), clean(alike["c"])
            pairs.setdefault(first, set()).add(second)
            pairs.setdefault(second, set()).add(first)
    mapping: dict[str, str] = {}
    seen: set[str] = set()
    for start in pairs:
        if start in seen:
            continue
        members, waiting = {start}, [start]
        while waiting:
            for other in pairs[waiting.pop()] - members:
                members.add(other)
                waiting.append(other)
        seen |= members
        hubs = [m for m in members if len(pairs[m]) == len(members) - 1]
        prototype = hubs[0] if len(hubs) == 1 else min(members)
        mapping.update({m: prototype for m in members if len(m) == 1 and m != prototype})
    return mapping


def skeleton(user_name: str) -> str:
    """The confusable skeleton of a normalised user name (Unicode TS #39): NFD, each character
    replaced by the one standing for its look-alikes, NFD again; repeated with case folding
    until nothing changes, since a replacement can be a capital ("0" stands with "O").

    Two names with one skeleton can be taken for each other; the skeleton is never shown."""
    mapping = _look_alikes()
    current = unicodedata.normalize("NFD", user_name)
    for _ in range(5):  # the data settles in one or two rounds
        mapped = "".join(mapping.get(c, c) for c in current)
        following = unicodedata.normalize("NFD", unicodedata.normalize("NFD", mapped).casefold())
        if following == current:
            break
        current = following
    return current


def _script_names(found: Iterable[str]) -> str:
    names = sorted(name.replace("_", " ").title() for name in found)
    return ", ".join(names[:-1]) + " and " + names[-1]


def refusal(user_name: str, existing: Iterable[str]) -> str | None:
    """Why ``user_name`` cannot be a new account beside the ``existing`` user names (as
    stored, normalised or not), as one sentence; None when it can."""
    given = user_name.strip()
    if not given or any(c.isspace() for c in given):
        return "A user name must not be empty or contain spaces."
    hidden = hidden_character(given)
    if hidden is not None:
        return f"The user name contains {hidden}; type it again without it."
    name = normalise(given)
    if len(name) > MAX_LENGTH:
        return f"A user name can be at most {MAX_LENGTH} characters."
    key = skeleton(name)
    for other in existing:
        if normalise(other) == name:
            return f"There is already a user called {other}."
        if skeleton(normalise(other)) == key:
            return (
                f"{given} looks like the existing user {other}; "
                "choose a name that cannot be taken for theirs."
            )
    if mixes_scripts(name):
        return (
            f"The user name mixes {_script_names(scripts(name))} letters, so it could pass for "
            "someone else's; write it in one alphabet."
        )
    return None
