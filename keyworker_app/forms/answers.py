"""Answers to a template: what counts as filled in, what is missing, how a value reads, and
which answers become actions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from keyworker_app.forms.schema import FieldDef, FieldType, TemplateDef


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict):
        return not value
    return False


def _group_items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def missing_required(template: TemplateDef, answers: Mapping[str, Any]) -> list[str]:
    """Labels of required answers still empty ("Recommendation 2: Owner" for group items)."""
    missing = []
    for field in template.fields():
        value = answers.get(field.id)
        if field.type == FieldType.GROUP:
            items = [i for i in _group_items(value) if not all(is_empty(v) for v in i.values())]
            if field.required and not items:
                missing.append(field.label)
            for n, item in enumerate(items, start=1):
                for sub in field.fields:
                    if sub.required and is_empty(item.get(sub.id)):
                        name = (field.item_label or "item").capitalize()
                        missing.append(f"{name} {n}: {sub.label}")
        elif field.required and is_empty(value):
            missing.append(field.label)
    return missing


def display_value(field: FieldDef, value: Any, staff_names: Mapping[str, str] | None = None) -> str:
    """An answer as a person reads it (dates in UK order, staff by name, scales out of 10)."""
    if is_empty(value):
        return ""
    names = staff_names or {}
    if field.type == FieldType.DATE:
        try:
            return date.fromisoformat(str(value)).strftime("%d %b %Y")
        except ValueError:
            return str(value)
    if field.type == FieldType.STAFF:
        return names.get(str(value), str(value))
    if field.type == FieldType.SCALE:
        return f"{value} out of 10"
    if field.type == FieldType.MULTIPLE_CHOICE:
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if field.type == FieldType.GROUP:
        lines = []
        for n, item in enumerate(_group_items(value), start=1):
            parts = [display_value(sub, item.get(sub.id), names) for sub in field.fields]
            lines.append(f"{n}. " + " · ".join(p for p in parts if p))
        return "\n".join(lines)
    return str(value)


@dataclass(frozen=True)
class PlannedAction:
    description: str
    owner_id: str | None
    due_on: date | None


def planned_actions(template: TemplateDef, answers: Mapping[str, Any]) -> list[PlannedAction]:
    """Items of groups marked creates_actions: each becomes an action on the record."""
    planned = []
    for field in template.action_groups():
        for item in _group_items(answers.get(field.id)):
            text = str(item.get("action") or "").strip()
            if not text:
                continue
            due = item.get("due")
            try:
                due_on = date.fromisoformat(due) if isinstance(due, str) and due else None
            except ValueError:
                due_on = None
            owner = item.get("owner")
            planned.append(
                PlannedAction(text, owner if isinstance(owner, str) and owner else None, due_on)
            )
    return planned
