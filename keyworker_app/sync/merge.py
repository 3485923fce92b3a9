"""The merge rules, shared by the central store and its tests.

Append-only records (store/record_schema.py says which) never conflict. Editable records merge
field by field against the version the change was based on: a field nobody else changed takes
the new value; a field changed to the same value is fine; a field changed to something else
keeps the value accepted first and records the other as a conflict. Long text merges line by
line against the common base, and only overlapping edits become a conflict. Nothing is
silently overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

# Long free text: merged line by line instead of as a whole value.
LONG_TEXT_FIELDS = frozenset(
    {"narrative", "own_words", "reason", "notes", "detail", "description", "text", "end_reason"}
)


@dataclass
class FieldClash:
    field: str
    base: Any
    kept: Any
    other: Any


@dataclass
class MergeResult:
    values: dict[str, Any] = field(default_factory=dict)  # fields to write
    clashes: list[FieldClash] = field(default_factory=list)


def _line_ranges(base: list[str], other: list[str]) -> list[tuple[int, int, list[str]]]:
    """The edits turning ``base`` into ``other``, as (start, end, replacement) over base lines."""
    return [
        (i1, i2, other[j1:j2])
        for op, i1, i2, j1, j2 in SequenceMatcher(a=base, b=other, autojunk=False).get_opcodes()
        if op != "equal"
    ]


def added_lines(before: str, after: str) -> list[str]:
    """The lines ``after`` has that ``before`` does not (in ``after``'s order)."""
    old, new = before.splitlines(), after.splitlines()
    return [
        line
        for op, _i1, _i2, j1, j2 in SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
        if op in ("insert", "replace")
        for line in new[j1:j2]
    ]


def merge_lines(base: str, ours: str, theirs: str) -> str | None:
    """Three-way merge of text by lines; None when the two edits overlap."""
    base_lines = base.splitlines(keepends=True)
    a = _line_ranges(base_lines, ours.splitlines(keepends=True))
    b = _line_ranges(base_lines, theirs.splitlines(keepends=True))
    for s1, e1, r1 in a:
        for s2, e2, r2 in b:
            same = (s1, e1, r1) == (s2, e2, r2)
            touching = (s1 < e2 and s2 < e1) or (s1 == s2 and (e1 == s1 or e2 == s2))
            if touching and not same:
                return None
    edits = sorted({(s, e, tuple(r)) for s, e, r in a + b}, key=lambda x: (x[0], x[1]))
    out: list[str] = []
    position = 0
    for start, end, replacement in edits:
        out.extend(base_lines[position:start])
        out.extend(replacement)
        position = max(position, end)
    out.extend(base_lines[position:])
    return "".join(out)


def merge_fields(
    base: Mapping[str, Any], current: Mapping[str, Any], incoming: Mapping[str, Any]
) -> MergeResult:
    """Merge an incoming patch into the current record, given the record as the patch's author
    last saw it (``base``)."""
    result = MergeResult()
    for name, value in incoming.items():
        now = current.get(name)
        was = base.get(name)
        if value == now:
            continue
        if now == was:  # nobody else changed it
            result.values[name] = value
            continue
        if name in LONG_TEXT_FIELDS and all(isinstance(v, str | None) for v in (was, now, value)):
            merged = merge_lines(was or "", now or "", value or "")
            if merged is not None:
                result.values[name] = merged
                continue
        result.clashes.append(FieldClash(name, was, now, value))
    return result
