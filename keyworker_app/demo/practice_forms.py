"""Demo practice records: formulations revised over time and finalised deep dive reviews, so
the forms view, revision comparison and deep-dive actions have something to show.

Answers are generated from whatever the shipped template defines (by field type and id), so
the demo follows the template files rather than hard-coding them.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from keyworker_app.domain.ids import new_id
from keyworker_app.domain.vocabulary import ActionSource, ActionStatus, RecordStatus
from keyworker_app.forms.answers import planned_actions
from keyworker_app.forms.library import TemplateLibrary
from keyworker_app.forms.schema import FieldDef, FieldType, TemplateDef
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import Action, FormResponse, FormTemplate, Staff

FORMULATION = "five_ps_formulation"
DEEP_DIVE = "deep_dive_review"
FORMULATION_SHARE = 0.3
DEEP_DIVE_SHARE = 0.15

PHRASES: dict[str, list[str]] = {
    "presenting": [
        "Going missing overnight at weekends and refusing school on Mondays.",
        "Angry outbursts at home when limits are set; two police call-outs since the summer.",
        "Withdrawn at the placement, sleeping in the day and out late at night.",
        "Self-harm disclosed to a teacher; says she feels nobody listens.",
    ],
    "predisposing": [
        "Early experience of domestic abuse and several moves between carers before age eight.",
        "Long periods without a safe adult at home; learning needs not picked up at primary.",
        "A long and dangerous journey to the UK alone; family separated on the way.",
    ],
    "precipitating": [
        "The move to a new placement in the spring and losing contact with an older brother.",
        "Exclusion from school in Year 9 and a new group of older friends.",
        "Mum's relationship ending and the family moving out of area.",
    ],
    "perpetuating": [
        "Older peers offering money and attention; mistrust of professionals who keep changing.",
        "Being out at night breaks the routine that would help sleep, mood and school.",
        "Each placement move confirms the belief that adults give up on him.",
    ],
    "protective": [
        "A strong bond with nan; loves drawing and goes to youth club when it runs.",
        "Good at football and keen to get to college; trusts the keyworker.",
        "Talks warmly about younger siblings and wants to be a good example to them.",
    ],
    "summary": [
        "Referred after three missing episodes in a month; placement under strain.",
        "Known to the service since last year; recent rise in risk outside the home.",
    ],
    "risk": [
        "Risk of criminal exploitation through older peers; late nights and unexplained money.",
        "Risk of placement breakdown after repeated incidents at home.",
    ],
    "well": [
        "A trusted relationship with the keyworker; attending college two days a week.",
        "Carers are committed and keep a predictable routine.",
    ],
    "worried": [
        "Older peers collecting him from school; phone contact late at night.",
        "Mood is low and sleep is poor; self-harm has increased.",
    ],
    "happen": [
        "A shared safety plan; one response when he goes missing; education back on track.",
        "Family time planned and supported; CAMHS consultation for the network.",
    ],
    "action": [
        "Share the safety plan with school and the police missing person coordinator",
        "Book a CAMHS consultation for the network",
        "Arrange a family network meeting",
        "Agree a return-home interview pathway with the police",
        "Review the education plan with the virtual school",
    ],
    "default": [
        "Discussed in supervision; the team kept the current plan, to review in six weeks.",
        "Young person's views gathered in the car on the way back from college.",
    ],
}
PEOPLE = [
    ("Jo Bloggs", "School", "Head of year"),
    ("Sam Evans", "Children's social care", "Social worker"),
    ("PC Amir Shah", "Police", "Missing person coordinator"),
    ("Mum", "Family", "Parent"),
    ("Dr Rhian Hughes", "CAMHS", "Clinical psychologist"),
]


@dataclass
class DemoPeople:
    young_person_id: str
    keyworker_id: str | None
    referral_date: date
    last_day: date


def _phrase(rng: random.Random, field: FieldDef) -> str:
    key = next((k for k in PHRASES if k != "default" and k in field.id), "default")
    return rng.choice(PHRASES[key])


def _answer(rng: random.Random, field: FieldDef, day: date, staff: list[str]) -> Any:
    kind = field.type
    if kind == FieldType.LONG_TEXT:
        return _phrase(rng, field)
    if kind == FieldType.SHORT_TEXT:
        return rng.choice(PEOPLE)[0] if "name" in field.id else _phrase(rng, field)[:60]
    if kind == FieldType.SINGLE_CHOICE:
        return rng.choice(field.options)
    if kind == FieldType.MULTIPLE_CHOICE:
        return rng.sample(field.options, k=min(len(field.options), rng.randint(1, 3)))
    if kind == FieldType.SCALE:
        return rng.randint(2, 7)
    if kind == FieldType.DATE:
        return (
            day + timedelta(days=rng.randint(7, 42)) if field.id in ("due", "review_by") else day
        ).isoformat()
    if kind == FieldType.STAFF:
        return rng.choice(staff) if staff else None
    if kind == FieldType.GROUP:
        items = []
        for n in range(rng.randint(2, 3)):
            person = PEOPLE[(n + rng.randrange(len(PEOPLE))) % len(PEOPLE)]
            item: dict[str, Any] = {}
            for sub in field.fields:
                if sub.id == "name":
                    item[sub.id] = person[0]
                elif sub.id == "agency":
                    item[sub.id] = person[1]
                elif sub.id == "role":
                    item[sub.id] = person[2]
                else:
                    item[sub.id] = _answer(rng, sub, day, staff)
            items.append(item)
        return items
    return None


def _answers(
    rng: random.Random, template: TemplateDef, day: date, staff: list[str]
) -> dict[str, Any]:
    answers = {}
    for field in template.fields():
        if field.required or rng.random() < 0.8:
            value = _answer(rng, field, day, staff)
            if value is not None:
                answers[field.id] = value
    return answers


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(10 + rng.randint(0, 6), rng.choice((0, 15, 30, 45))), UTC)


def add_practice_forms(
    store: Store,
    rng: random.Random,
    library: TemplateLibrary,
    people: list[DemoPeople],
    clinician_id: str | None,
) -> Counter[str]:
    """Formulations (with revisions) and deep dives for some of ``people``; returns how many
    records of each kind were written. Templates missing from forms/ are skipped."""
    templates = [
        t for t in (library.latest(FORMULATION), library.latest(DEEP_DIVE)) if t is not None
    ]
    if not templates or not people:
        return Counter()
    rows: dict[type, list[dict[str, Any]]] = {FormTemplate: [], FormResponse: [], Action: []}
    with store.unit_of_work() as uow:
        existing = {(t.template_id, t.template_version) for t in uow.session.query(FormTemplate)}
        # Who wrote each form: the psychologist where there is one (no random draw, so the
        # rest of the demo stays as it was).
        user_names = {s.id: s.user_name for s in uow.session.query(Staff)}
        for template in templates:
            if (template.id, template.version) not in existing:
                rows[FormTemplate].append(
                    {
                        "id": new_id(rng=rng),
                        "template_id": template.id,
                        "template_version": template.version,
                        "title": template.title,
                        "definition": template.as_json(),
                    }
                )
        for person in people:
            staff = [s for s in (person.keyworker_id, clinician_id) if s]
            author = user_names.get(clinician_id or person.keyworker_id or "")
            span = max((person.last_day - person.referral_date).days, 30)
            formulation = library.latest(FORMULATION)
            if formulation is not None and rng.random() < FORMULATION_SHARE:
                day = person.referral_date + timedelta(days=rng.randint(14, 40))
                answers = _answers(rng, formulation, day, staff)
                previous_id = None
                for revision in range(1, rng.randint(1, 3) + 1):
                    if day > person.last_day:
                        break
                    if revision > 1:
                        answers = dict(answers)
                        field = rng.choice(
                            [f for f in formulation.fields() if f.type == FieldType.LONG_TEXT]
                        )
                        update = f"Since the last review: {_phrase(rng, field).lower()}"
                        answers[field.id] = f"{answers.get(field.id, '')} {update}".strip()
                    response_id = new_id(at=_moment(day, rng), rng=rng)
                    rows[FormResponse].append(
                        {
                            "id": response_id,
                            "young_person_id": person.young_person_id,
                            "template_id": formulation.id,
                            "template_version": formulation.version,
                            "answers": answers,
                            "status": RecordStatus.FINAL,
                            "revision_of": previous_id,
                            "revision_number": revision,
                            "author": author,
                            "finalised_at": _moment(day, rng),
                        }
                    )
                    previous_id = response_id
                    day += timedelta(days=rng.randint(60, 150))
            deep_dive = library.latest(DEEP_DIVE)
            if deep_dive is not None and rng.random() < DEEP_DIVE_SHARE:
                day = person.referral_date + timedelta(days=rng.randint(20, span))
                day = min(day, person.last_day)
                answers = _answers(rng, deep_dive, day, staff)
                response_id = new_id(at=_moment(day, rng), rng=rng)
                rows[FormResponse].append(
                    {
                        "id": response_id,
                        "young_person_id": person.young_person_id,
                        "template_id": deep_dive.id,
                        "template_version": deep_dive.version,
                        "answers": answers,
                        "status": RecordStatus.FINAL,
                        "revision_of": None,
                        "revision_number": 1,
                        "author": author,
                        "finalised_at": _moment(day, rng),
                    }
                )
                for planned in planned_actions(deep_dive, answers):
                    done = (
                        planned.due_on is not None
                        and planned.due_on < person.last_day - timedelta(days=14)
                    )
                    rows[Action].append(
                        {
                            "id": new_id(rng=rng),
                            "young_person_id": person.young_person_id,
                            "source": ActionSource.DEEP_DIVE,
                            "source_id": response_id,
                            "description": planned.description,
                            "owner_id": planned.owner_id,
                            "due_on": planned.due_on,
                            "status": ActionStatus.DONE if done else ActionStatus.OPEN,
                            "completed_on": planned.due_on if done else None,
                        }
                    )
        for model, items in rows.items():
            if items:
                # revision_of points at rows in this same insert: order keeps parents first.
                uow.insert_many(model, items)
        uow.commit()
    return Counter({model.__tablename__: len(items) for model, items in rows.items()})
