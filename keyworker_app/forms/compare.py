"""Two versions of a response side by side, with the changes marked word by word."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from keyworker_app.forms.answers import display_value
from keyworker_app.forms.schema import TemplateDef

Change = Literal["same", "added", "removed", "changed"]


@dataclass(frozen=True)
class FieldChange:
    section: str
    label: str
    change: Change
    before: str
    after: str
    # (kind, text) runs for the "after" side: kind is "equal", "insert" or "delete".
    words: list[tuple[str, str]]


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.split(" "), after.split(" ")
    runs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            runs.append(("equal", " ".join(old[i1:i2])))
        if op in ("delete", "replace"):
            runs.append(("delete", " ".join(old[i1:i2])))
        if op in ("insert", "replace"):
            runs.append(("insert", " ".join(new[j1:j2])))
    return [r for r in runs if r[1]]


def compare(
    old_template: TemplateDef,
    old_answers: Mapping[str, Any],
    new_template: TemplateDef,
    new_answers: Mapping[str, Any],
    staff_names: Mapping[str, str] | None = None,
) -> list[FieldChange]:
    """Every field of either version, in the newer version's order, with what changed."""
    changes: list[FieldChange] = []
    seen: set[str] = set()
    old_fields = {f.id: f for f in old_template.fields()}
    for section in new_template.sections:
        for field in section.fields:
            seen.add(field.id)
            after = display_value(field, new_answers.get(field.id), staff_names)
            old_field = old_fields.get(field.id, field)
            before = display_value(old_field, old_answers.get(field.id), staff_names)
            changes.append(_change(section.title, field.label, before, after))
    for section in old_template.sections:
        for field in section.fields:
            if field.id not in seen:
                before = display_value(field, old_answers.get(field.id), staff_names)
                changes.append(_change(section.title, field.label, before, ""))
    return changes


def _change(section: str, label: str, before: str, after: str) -> FieldChange:
    if before == after:
        kind: Change = "same"
    elif not before:
        kind = "added"
    elif not after:
        kind = "removed"
    else:
        kind = "changed"
    return FieldChange(section, label, kind, before, after, word_diff(before, after))
