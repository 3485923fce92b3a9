"""The print layout of a response, from the same definition the screen uses: sections of
label/answer rows with each field's print hints. Reports turn these blocks into PDF pages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from keyworker_app.forms.answers import display_value, is_empty
from keyworker_app.forms.schema import TemplateDef


@dataclass(frozen=True)
class PrintRow:
    label: str
    text: str
    width: str  # "full" or "half"
    blank_lines: int  # room to leave when printing a blank form


@dataclass
class PrintSection:
    title: str
    page_break_before: bool
    rows: list[PrintRow] = field(default_factory=list)


def print_blocks(
    template: TemplateDef,
    answers: Mapping[str, Any],
    staff_names: Mapping[str, str] | None = None,
    *,
    blank_form: bool = False,
) -> list[PrintSection]:
    """Sections and rows to print; empty answers are left out unless a hint keeps them (or the
    form is printed blank to fill in by hand)."""
    sections = []
    for section in template.sections:
        block = PrintSection(section.title, section.print.page_break_before)
        for item in section.fields:
            value = answers.get(item.id)
            if is_empty(value) and item.print.hide_when_empty and not blank_form:
                continue
            block.rows.append(
                PrintRow(
                    label=item.label,
                    text=display_value(item, value, staff_names),
                    width=item.print.width,
                    blank_lines=item.print.lines or (4 if item.type.value == "long_text" else 1),
                )
            )
        if block.rows:
            sections.append(block)
    return sections
