"""One declared schema per record type, shared by the central store and the laptops.

The field types, lengths, vocabularies and required fields come from the laptop's own tables
(``store/models.py``), so the two can never disagree about what a record may hold. What the
tables cannot say is declared here: who owns a record (a young person, a team, or everyone),
which fields are fixed once the record exists, which ones the central store sets itself from the
session, which fields point at other records, and which records become final.

The laptop's unit of work checks every record it saves against this, the central store checks
every pushed insert and update (``problem_in_patch``), and a laptop checks every pulled record
(``problem_in_record``) and sets aside what it cannot apply. Every problem is a phrase a worker
can act on.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal

from sqlalchemy import JSON, Boolean, Integer, String, Text

from keyworker_app.domain.hostile_text import problem_in_name, problem_in_text
from keyworker_app.domain.vocabulary import Worry
from keyworker_app.store.models import BOOKKEEPING_FIELDS, RECORD_TYPES
from keyworker_app.store.types import Code, Day, UTCDateTime

Owner = Literal["shared", "team", "young_person", "young_person_or_team"]
Kind = Literal["text", "integer", "boolean", "day", "moment", "code", "list", "document"]

# The longest free text one field may hold: a long note is tens of thousands of characters;
# this is far beyond any, and keeps one record well inside a request.
MAX_TEXT = 1_000_000
MAX_LIST_ITEMS = 100
MAX_ITEM = 200
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

# Text that says who a record is about or by: no direction controls, invisible or control
# characters, so the app, the pack and a log show the same name in the same order.
NAME_FIELDS = frozenset(
    {
        "reference",
        "given_name",
        "family_name",
        "preferred_name",
        "display_name",
        "user_name",
        "name",
        "author",
        "finalised_by",
    }
)
# Whole numbers with a meaning narrower than "any integer".
RANGES: dict[tuple[str, str], tuple[int, int]] = {
    ("goal_score", "score"): (0, 10),
    ("contact", "duration_minutes"): (0, 24 * 60),
    ("placement", "weekly_cost_pence"): (0, 100_000_000),
    ("team", "visiting_standard_days"): (0, 365),  # 0: the usual standard
    ("team", "caseload_cap"): (0, 1000),  # 0: no cap of the team's own
    ("form_response", "template_version"): (1, 1_000_000),
    ("form_template", "template_version"): (1, 1_000_000),
    ("form_response", "revision_number"): (1, 1_000_000),
}
# JSON columns holding lists (the others hold named values: form answers, definitions).
LIST_FIELDS = frozenset({"present", "worries"})
# Lists of codes rather than of free text.
LIST_VOCABULARIES: dict[tuple[str, str], type[Enum]] = {("contact", "worries"): Worry}
# Words for fields in sentences a worker reads.
FIELD_WORDS = {
    "occurred_at": "time of the contact",
    "young_person_id": "young person",
    "team_id": "team",
    "owner_id": "action's owner",
    "keyworker_id": "keyworker",
    "contact_id": "contact",
    "goal_id": "goal",
    "revision_of": "form it revises",
    "date_of_birth": "date of birth",
}


def words_for(name: str) -> str:
    return FIELD_WORDS.get(name, name.replace("_", " "))


@dataclass(frozen=True)
class FieldRule:
    name: str
    kind: Kind
    nullable: bool
    required: bool  # must be given (and not empty) when the record is created
    max_length: int | None = None
    vocabulary: frozenset[str] | None = None
    bounds: tuple[int, int] | None = None


@dataclass(frozen=True)
class RecordRules:
    record_type: str
    fields: Mapping[str, FieldRule]
    owner: Owner
    # Fields that never change once the record exists (who and what it belongs to).
    fixed: frozenset[str] = frozenset()
    # Fields the central store sets from the session and its own clock; a laptop's value is
    # replaced at insert and a different value in an update is refused.
    server_set: frozenset[str] = frozenset()
    # Fields that point at another record: field -> record type.
    references: Mapping[str, str] = field(default_factory=dict)
    finalisable: bool = False
    append_only: bool = False
    # Written by a laptop at all? Teams and workers are managed on the central store.
    pushable: bool = True


def _kind_of(column: Any) -> Kind:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "moment"
    if isinstance(kind, Day):
        return "day"
    if isinstance(kind, Code):
        return "code"
    if isinstance(kind, Boolean):
        return "boolean"
    if isinstance(kind, Integer):
        return "integer"
    if isinstance(kind, JSON):
        return "list" if column.key in LIST_FIELDS else "document"
    return "text"


def _field_rules(record_type: str) -> dict[str, FieldRule]:
    rules: dict[str, FieldRule] = {}
    for column in RECORD_TYPES[record_type].__table__.columns:
        if column.key in BOOKKEEPING_FIELDS:
            continue
        kind = _kind_of(column)
        max_length = None
        if isinstance(column.type, Code):
            vocabulary = frozenset(m.value for m in column.type.enum)
        else:
            vocabulary = None
            if isinstance(column.type, String) and not isinstance(column.type, Text):
                max_length = column.type.length
            elif kind == "text":
                max_length = MAX_TEXT
        rules[column.key] = FieldRule(
            name=column.key,
            kind=kind,
            nullable=bool(column.nullable),
            required=not column.nullable and column.default is None,
            max_length=max_length,
            vocabulary=vocabulary,
            bounds=RANGES.get((record_type, column.key)),
        )
    return rules


def _declare(record_type: str, owner: Owner, **kwargs: Any) -> RecordRules:
    return RecordRules(record_type, _field_rules(record_type), owner, **kwargs)


_YP = {"young_person_id": "young_person"}
SCHEMA: dict[str, RecordRules] = {
    rules.record_type: rules
    for rules in (
        _declare("team", "shared", pushable=False),
        _declare("staff", "shared", pushable=False, references={"team_id": "team"}),
        _declare(
            "young_person",
            "young_person",
            fixed=frozenset({"team_id", "restricted"}),
            references={"team_id": "team", "keyworker_id": "staff"},
        ),
        _declare("referral", "young_person", fixed=frozenset({"young_person_id"}), references=_YP),
        _declare("placement", "young_person", fixed=frozenset({"young_person_id"}), references=_YP),
        _declare(
            "contact",
            "young_person",
            fixed=frozenset({"young_person_id"}),
            server_set=frozenset({"author", "finalised_by", "finalised_at"}),
            references=_YP,
            finalisable=True,
        ),
        _declare(
            "addendum",
            "young_person",
            fixed=frozenset({"young_person_id", "contact_id"}),
            server_set=frozenset({"author"}),
            references={**_YP, "contact_id": "contact"},
            append_only=True,
        ),
        _declare(
            "missing_episode", "young_person", fixed=frozenset({"young_person_id"}), references=_YP
        ),
        _declare("goal", "young_person", fixed=frozenset({"young_person_id"}), references=_YP),
        _declare(
            "goal_score",
            "young_person",
            fixed=frozenset({"young_person_id", "goal_id"}),
            references={**_YP, "goal_id": "goal"},
            append_only=True,
        ),
        _declare(
            "action",
            "young_person_or_team",
            fixed=frozenset({"young_person_id", "team_id", "source", "source_id"}),
            references={**_YP, "team_id": "team", "owner_id": "staff"},
        ),
        _declare(
            "chronology_event",
            "young_person",
            fixed=frozenset({"young_person_id"}),
            references=_YP,
        ),
        _declare(
            "form_response",
            "young_person_or_team",
            fixed=frozenset(
                {"young_person_id", "team_id", "template_id", "template_version", "revision_of"}
            ),
            server_set=frozenset({"author", "finalised_at", "finalised_by"}),
            references={**_YP, "team_id": "team", "revision_of": "form_response"},
            finalisable=True,
        ),
        _declare(
            "form_template",
            "shared",
            fixed=frozenset({"template_id", "template_version", "title", "definition"}),
            append_only=True,
        ),
    )
}
assert set(SCHEMA) == set(RECORD_TYPES), "every record type needs its rules"


def rules_for(record_type: str) -> RecordRules | None:
    return SCHEMA.get(record_type)


def _value_problem(rules: RecordRules, rule: FieldRule, value: Any) -> str | None:
    what = words_for(rule.name)
    if value is None:
        return None if rule.nullable else f"the {what} cannot be empty"
    if rule.kind == "text":
        if not isinstance(value, str):
            return f"the {what} must be text"
        if rule.max_length is not None and len(value) > rule.max_length:
            return f"the {what} is longer than {rule.max_length:,} characters"
        problem = problem_in_name(value) if rule.name in NAME_FIELDS else problem_in_text(value)
        return f"the {what} holds {problem}" if problem else None
    if rule.kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"the {what} must be a whole number"
        if rule.bounds and not rule.bounds[0] <= value <= rule.bounds[1]:
            return f"the {what} must be from {rule.bounds[0]:,} to {rule.bounds[1]:,}"
        return None
    if rule.kind == "boolean":
        return None if isinstance(value, bool) else f"the {what} must be true or false"
    if rule.kind == "day":
        if not isinstance(value, str) or not _DAY.fullmatch(value):
            return f"the {what} must be a date written YYYY-MM-DD"
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"the {what} is not a real date"
        return None
    if rule.kind == "moment":
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            return f"the {what} must be a date and time with its time zone"
        return None
    if rule.kind == "code":
        if not isinstance(value, str) or rule.vocabulary is None or value not in rule.vocabulary:
            return f"'{str(value)[:40]}' is not a known {what}"
        return None
    if rule.kind == "list":
        if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
            return f"the {what} must be a list of at most {MAX_LIST_ITEMS} entries"
        codes = LIST_VOCABULARIES.get((rules.record_type, rule.name))
        for item in value:
            if not isinstance(item, str) or len(item) > MAX_ITEM:
                return f"each entry of the {what} must be text of at most {MAX_ITEM} characters"
            if codes is not None and item not in {m.value for m in codes}:
                return f"'{item[:40]}' is not a known entry for the {what}"
            problem = problem_in_name(item) if codes is None else None
            if problem:
                return f"an entry of the {what} holds {problem}"
        return None
    # documents (form answers, template definitions): JSON objects, checked as text throughout
    if not isinstance(value, dict):
        return f"the {what} must be a set of named values"
    return _document_problem(value, what)


def _document_problem(value: Any, what: str, depth: int = 0) -> str | None:
    if depth > 12:
        return f"the {what} is nested too deeply"
    if isinstance(value, str):
        problem = problem_in_text(value)
        return f"the {what} holds {problem}" if problem else None
    if isinstance(value, dict):
        items = list(value.items())
        for key, item in items:
            if not isinstance(key, str) or problem_in_text(key):
                return f"the {what} has a name that is not valid text"
            found = _document_problem(item, what, depth + 1)
            if found:
                return found
        return None
    if isinstance(value, list):
        for item in value:
            found = _document_problem(item, what, depth + 1)
            if found:
                return found
    return None


def problem_in_patch(rules: RecordRules, patch: Mapping[str, Any], *, insert: bool) -> str | None:
    """Why ``patch`` does not fit the record type (types, vocabularies, lengths and, for a new
    record, required fields), or None. Ownership and references are the caller's to check:
    they depend on what the store holds and who is asking."""
    for name, value in patch.items():
        if name == "deleted":
            if not isinstance(value, bool):
                return "'deleted' must be true or false"
            continue
        rule = rules.fields.get(name)
        if rule is None:
            return f"a {rules.record_type.replace('_', ' ')} has no field '{name[:40]}'"
        problem = _value_problem(rules, rule, value)
        if problem:
            return problem
    if insert:
        for rule in rules.fields.values():
            if rule.required and rule.name not in rules.server_set:
                value = patch.get(rule.name)
                if value is None or (rule.kind == "text" and not str(value).strip()):
                    return f"the {words_for(rule.name)} is missing"
    return None


def problem_in_record(record_type: str, data: Mapping[str, Any]) -> str | None:
    """Why a whole record (as the central store sends it) cannot be kept on a laptop, or None."""
    rules = SCHEMA.get(record_type)
    if rules is None:
        return f"this version of Keyworker does not know records of the kind '{record_type[:40]}'"
    content = {k: v for k, v in data.items() if k not in BOOKKEEPING_FIELDS and k in rules.fields}
    content.update({k: v for k, v in data.items() if k == "deleted"})
    return problem_in_patch(rules, content, insert=True)


@functools.cache
def owner_fields(record_type: str) -> frozenset[str]:
    rules = SCHEMA[record_type]
    return frozenset(f for f in ("young_person_id", "team_id") if f in rules.fields)
