"""The practice template format: what a file in ``forms/`` may say, checked field by field.

A template is TOML: an id and version, a title, the practice model it follows, who fills it in,
whether it belongs to a young person or to the team, and sections of fields. Field types cover
what the practice models need: short and long text, single and multiple choice, a 0-10 scale,
a date, a staff picker, and repeating groups (attendees, recommendations).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from keyworker_app.domain.vocabulary import Role

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class FieldType(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    SCALE = "scale"
    DATE = "date"
    STAFF = "staff"
    GROUP = "group"


class Scope(StrEnum):
    YOUNG_PERSON = "young_person"
    TEAM = "team"


class PrintHints(BaseModel):
    """How a field or section is laid out on paper (review packs)."""

    model_config = ConfigDict(extra="forbid")
    width: Literal["full", "half"] = "full"
    page_break_before: bool = False
    hide_when_empty: bool = True
    lines: int = Field(default=0, ge=0, le=40)  # blank lines to leave on a printed blank form


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _identifier(value: str) -> str:
    if not IDENTIFIER.match(value):
        raise ValueError(
            f"'{value}' is not a valid id; use lower-case letters, digits and underscores, "
            "starting with a letter"
        )
    return value


class FieldDef(_Strict):
    id: str
    type: FieldType
    label: str = Field(min_length=1)
    help: str = ""
    required: bool = False
    options: list[str] = Field(default_factory=list)
    low_label: str = ""  # scale: what 0 means
    high_label: str = ""  # scale: what 10 means
    fields: list[FieldDef] = Field(default_factory=list)  # group: the fields of one item
    item_label: str = ""  # group: what one item is called ("attendee")
    creates_actions: bool = False  # group: each item becomes an action on finalising
    print: PrintHints = Field(default_factory=PrintHints)

    _check_id = field_validator("id")(classmethod(lambda cls, v: _identifier(v)))

    @model_validator(mode="after")
    def _fits_its_type(self) -> FieldDef:
        kind = self.type.value
        choice = self.type in (FieldType.SINGLE_CHOICE, FieldType.MULTIPLE_CHOICE)
        if choice and not self.options:
            raise ValueError(f"the choice field '{self.id}' has no options; list them in options")
        if self.options and not choice:
            raise ValueError(f"the field '{self.id}' is a {kind} and cannot have options")
        if len(set(self.options)) != len(self.options):
            raise ValueError(f"the field '{self.id}' lists an option twice")
        if self.type == FieldType.GROUP:
            if not self.fields:
                raise ValueError(f"the group '{self.id}' has no fields; list them in fields")
            _unique([f.id for f in self.fields], f"group '{self.id}'")
            if any(f.type == FieldType.GROUP for f in self.fields):
                raise ValueError(f"the group '{self.id}' holds another group; groups cannot nest")
            if self.creates_actions:
                names = {f.id for f in self.fields}
                missing = {"action", "owner", "due"} - names
                if missing:
                    raise ValueError(
                        f"the group '{self.id}' creates actions, so it needs the fields action, "
                        f"owner and due (missing: {', '.join(sorted(missing))})"
                    )
        elif self.fields:
            raise ValueError(f"only a group can have fields, and '{self.id}' is a {kind}")
        if self.creates_actions and self.type != FieldType.GROUP:
            raise ValueError(f"only a group can create actions, and '{self.id}' is a {kind}")
        return self


class SectionDef(_Strict):
    id: str
    title: str = Field(min_length=1)
    help: str = ""
    fields: list[FieldDef] = Field(min_length=1)
    print: PrintHints = Field(default_factory=PrintHints)

    _check_id = field_validator("id")(classmethod(lambda cls, v: _identifier(v)))


class TemplateDef(_Strict):
    id: str
    # At most a 32-bit integer: a response stores it in an integer column, and a bigger one
    # loaded here but failed (OverflowError) when the first response to it was saved.
    version: int = Field(ge=1, le=2**31 - 1)
    title: str = Field(min_length=1)
    purpose: str = Field(min_length=1)
    model: str = Field(min_length=1, description="the practice model followed, with its source")
    roles: list[Role] = Field(min_length=1)
    scope: Scope
    revisable: bool = False  # formulations: every revision kept and comparable
    sections: list[SectionDef] = Field(min_length=1)

    _check_id = field_validator("id")(classmethod(lambda cls, v: _identifier(v)))

    @model_validator(mode="after")
    def _ids_unique(self) -> TemplateDef:
        _unique([s.id for s in self.sections], "the template's sections")
        _unique([f.id for s in self.sections for f in s.fields], "the template's fields")
        return self

    def fields(self) -> list[FieldDef]:
        return [f for s in self.sections for f in s.fields]

    def field(self, field_id: str) -> FieldDef | None:
        return next((f for f in self.fields() if f.id == field_id), None)

    def action_groups(self) -> list[FieldDef]:
        return [f for f in self.fields() if f.creates_actions]

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise ValueError(f"the id '{value}' is used twice in {where}")
        seen.add(value)


FieldDef.model_rebuild()
Answers = Annotated[dict[str, Any], "field id -> value; a group's value is a list of dicts"]
