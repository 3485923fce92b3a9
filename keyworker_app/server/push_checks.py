"""What the central store checks before it takes a pushed change: the record type's declared
schema, who owns the record and whether the pusher may write there, the records it points at,
the central store's clock, and who may publish a template.

Nothing here trusts the laptop: ownership comes from the session and the record as stored,
never from the patch. Each refusal is one sentence the worker can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from keyworker_app.server.access import CASE_ROLES, Viewer
from keyworker_app.server.models import Record
from keyworker_app.server.records import get_record, now
from keyworker_app.store.models import BOOKKEEPING_FIELDS
from keyworker_app.store.record_schema import (
    RecordRules,
    problem_in_patch,
    rules_for,
    words_for,
)
from keyworker_app.sync.protocol import PushOp

# A laptop's clock may be a little ahead of the central store's; more is a wrong clock.
CLOCK_GRACE = timedelta(minutes=5)
# Moments that say when something happened: they cannot be in the future.
HAPPENED_AT = {
    "contact": ("occurred_at",),
    "addendum": ("written_at",),
    "missing_episode": ("went_missing_at", "returned_at"),
}
DEFAULT_TEMPLATE_PUBLISHERS = frozenset({"supervisor", "clinician"})


@dataclass(frozen=True)
class PushPolicy:
    """What the organisation decides for its central store."""

    template_publishers: frozenset[str] = DEFAULT_TEMPLATE_PUBLISHERS
    # (template id, version) -> definition as shipped with Keyworker: anyone may publish these.
    shipped_templates: Mapping[tuple[str, int], dict[str, Any]] = field(default_factory=dict)


def push_policy_for(template_publishers: frozenset[str] | None = None) -> PushPolicy:
    """The policy with the templates this version of Keyworker ships (read once, at start)."""
    from keyworker_app.forms.library import load_library
    from keyworker_app.paths import forms_dir

    library = load_library([forms_dir()])
    shipped = {key: loaded.definition.as_json() for key, loaded in library.templates.items()}
    return PushPolicy(
        template_publishers=DEFAULT_TEMPLATE_PUBLISHERS
        if template_publishers is None
        else template_publishers,
        shipped_templates=shipped,
    )


class Refused(Exception):
    """A pushed change the central store will not take; ``code`` lets the laptop offer the
    right way out (``duplicate_reference``: rename or merge; ``clock``: correct the time)."""

    def __init__(self, reason: str, code: str = "refused") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def _kind(record_type: str) -> str:
    return record_type.replace("_", " ")


def content_of(op: PushOp) -> dict[str, Any]:
    """The patch without the bookkeeping a laptop sends along (versions, who and when)."""
    return {k: v for k, v in op.patch.items() if k not in BOOKKEEPING_FIELDS}


def check_shape(viewer: Viewer, op: PushOp, record: Record | None) -> RecordRules:
    """The rules for ``op``'s record type, after checking the patch fits them."""
    if viewer.role not in CASE_ROLES:
        raise Refused("administrators do not write case records")
    rules = rules_for(op.record_type)
    if rules is None:
        raise Refused(f"the central store does not know records of the kind '{op.record_type}'")
    if not rules.pushable:
        raise Refused("teams and workers are managed on the central store")
    if record is None and op.operation != "insert":
        raise Refused("the record is not on the central store")
    patch = content_of(op)
    problem = problem_in_patch(
        rules, {k: v for k, v in patch.items() if k not in rules.server_set}, insert=record is None
    )
    if problem:
        raise Refused(problem)
    return rules


def _young_person(session: Any, young_person_id: Any, visible: set[str]) -> Record:
    """The young person a record is about, if the pusher may see them. A young person the pusher
    may not see is refused exactly like one that does not exist: no existence is revealed."""
    if not isinstance(young_person_id, str) or young_person_id not in visible:
        raise Refused("you may not see this young person")
    person = get_record(session, "young_person", young_person_id)
    if person is None or person.deleted:
        raise Refused("you may not see this young person")
    return person


def owner_for_insert(
    session: Any, viewer: Viewer, rules: RecordRules, op: PushOp, visible: set[str]
) -> dict[str, Any]:
    """The ownership fields a new record gets, from the session and the records it belongs to
    (the patch's own values are checked against them, never taken on trust)."""
    patch = op.patch
    if op.record_type == "young_person":
        team = patch.get("team_id")
        if team not in (None, viewer.team_id):
            raise Refused("a new young person must belong to your team")
        return {"team_id": viewer.team_id, "restricted": False}
    if rules.owner == "shared":
        return {}
    young_person_id = patch.get("young_person_id")
    if young_person_id is None and rules.owner == "young_person_or_team":
        team = patch.get("team_id")
        if team not in (None, viewer.team_id):
            raise Refused("a team's record must belong to your team")
        return {"young_person_id": None, "team_id": viewer.team_id}
    if young_person_id is None:
        raise Refused("the record belongs to no young person")
    person = _young_person(session, young_person_id, visible)
    owner: dict[str, Any] = {"young_person_id": person.record_id}
    if "team_id" in rules.fields:
        team = patch.get("team_id")
        if team not in (None, viewer.team_id, person.team_id):
            raise Refused("a young person's record must belong to their team")
        owner["team_id"] = team
    return owner


def check_fixed(rules: RecordRules, record: Record, patch: Mapping[str, Any]) -> None:
    """Refuse a change to a field that never changes once the record exists."""
    for name in sorted(rules.fixed & patch.keys()):
        if patch[name] != record.data.get(name):
            if name == "team_id":
                raise Refused("a case moves to another team only through a supervisor")
            if name == "young_person_id":
                raise Refused("a saved record cannot be moved to another young person")
            raise Refused(
                f"the {words_for(name)} of a saved {_kind(record.record_type)} cannot be changed"
            )
    if "author" in rules.server_set and patch.get("author", record.data.get("author")) != (
        record.data.get("author")
    ):
        raise Refused(f"the author of a saved {_kind(record.record_type)} cannot be changed")


def check_references(
    session: Any,
    rules: RecordRules,
    values: Mapping[str, Any],
    visible: set[str],
    only: set[str] | None = None,
) -> None:
    """Every record ``values`` points at exists and is the pusher's to point at: a worker on the
    central store, or a record of the same young person (or team). ``only``: the fields an
    update changes (a reference it leaves alone is not checked again)."""
    for name, target in rules.references.items():
        value = values.get(name)
        if only is not None and name not in only:
            continue
        if value is None or name in ("young_person_id", "team_id"):
            continue  # ownership: settled by owner_for_insert and check_fixed
        other = get_record(session, target, value) if isinstance(value, str) else None
        if target == "staff":
            if other is None or other.deleted:
                raise Refused(f"the {words_for(name)} is not a worker on the central store")
            continue
        young_person_id = values.get("young_person_id")
        if other is None or other.deleted:
            belongs = False
        elif other.young_person_id is not None:
            belongs = other.young_person_id == young_person_id and young_person_id in visible
        else:
            belongs = young_person_id is None and other.team_id == values.get("team_id")
        if not belongs:
            raise Refused(f"the {_kind(target)} it belongs to is not on the central store")


def check_clock(record_type: str, values: Mapping[str, Any]) -> None:
    """Refuse a moment in the future by the central store's clock: it is the laptop's clock."""
    moment = now()
    limit = moment + CLOCK_GRACE
    for name in HAPPENED_AT.get(record_type, ()):
        value = values.get(name)
        if not isinstance(value, str):
            continue
        when = datetime.fromisoformat(value)
        if when > limit:
            ahead = when - moment
            raise Refused(
                f"the {words_for(name)} is {_span(ahead)} after the central store's time, so this "
                "laptop's clock is probably wrong: set its date and time, correct the "
                f"{_kind(record_type)} and send it again",
                "clock",
            )


def _span(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    hours = round(minutes / 60)
    return f"{hours} hours" if hours < 48 else f"{round(hours / 24)} days"


def _check_definition(patch: Mapping[str, Any]) -> None:
    """A template laptops will render must be one: valid by the template schema, and the same
    id, version and title as the record carrying it."""
    from pydantic import ValidationError

    from keyworker_app.forms.schema import TemplateDef

    try:
        definition = TemplateDef.model_validate(patch.get("definition"))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the definition"
        raise Refused(f"the template is not valid ({where}: {first['msg']})") from None
    same = (definition.id, definition.version, definition.title) == (
        patch.get("template_id"),
        patch.get("template_version"),
        patch.get("title"),
    )
    if not same:
        raise Refused("the template's id, version and title differ from its definition's")


def check_template(
    session: Any, viewer: Viewer, policy: PushPolicy, patch: Mapping[str, Any]
) -> Record | None:
    """A template version is published once and never changes; a new one is published only by
    the roles the organisation names, unless it is exactly a template Keyworker ships. Returns
    the published copy when this one is already there."""
    from sqlalchemy import select

    key = (patch.get("template_id"), patch.get("template_version"))
    _check_definition(patch)
    for record in session.scalars(select(Record).where(Record.record_type == "form_template")):
        if (record.data.get("template_id"), record.data.get("template_version")) != key:
            continue
        if record.data.get("definition") != patch.get("definition") or record.data.get(
            "title"
        ) != patch.get("title"):
            raise Refused(
                f"the template {key[0]} version {key[1]} is already published with different "
                "content; a changed template needs a new version number"
            )
        published: Record = record
        return published
    shipped = policy.shipped_templates.get(key)  # type: ignore[arg-type]
    if shipped is not None and shipped == patch.get("definition"):
        return None
    if viewer.role not in policy.template_publishers:
        raise Refused(
            f"only {' and '.join(sorted(policy.template_publishers)) or 'nobody'} may publish a "
            "new or changed template; ask them to publish it"
        )
    return None
