"""Practice template responses in the store: versions kept, revisions compared, actions made."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from keyworker_app.domain.vocabulary import ActionSource, RecordStatus
from keyworker_app.forms.compare import compare
from keyworker_app.forms.library import load_file
from keyworker_app.forms.print_layout import print_blocks
from keyworker_app.forms.schema import TemplateDef
from keyworker_app.paths import forms_dir
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.form_responses import (
    AnswersMissing,
    finalise_response,
    revise,
    revisions,
    save_answers,
    start_response,
    template_of,
)
from keyworker_app.store.models import Action, FormTemplate, Goal, GoalScore, Staff, YoungPerson
from keyworker_app.store.search import search
from keyworker_app.store.unit_of_work import RecordLocked

DEEP_DIVE = load_file(forms_dir() / "deep_dive_review.toml")


def simple_template(version: int, extra_field: bool = False) -> TemplateDef:
    fields = [{"id": "presenting", "type": "long_text", "label": "Presenting", "required": True}]
    if extra_field:
        fields.append({"id": "protective", "type": "long_text", "label": "Protective"})
    return TemplateDef.model_validate(
        {
            "id": "mini_formulation",
            "version": version,
            "title": "Mini formulation",
            "purpose": "test",
            "model": "test",
            "roles": ["clinician"],
            "scope": "young_person",
            "revisable": True,
            "sections": [{"id": "main", "title": "Main", "fields": fields}],
        }
    )


def test_a_deep_dive_finalised_turns_recommendations_into_actions(
    store: Store, young_person: YoungPerson, team_and_worker: tuple[object, Staff]
) -> None:
    _, worker = team_and_worker
    response = start_response(store, DEEP_DIVE, young_person_id=young_person.id)
    answers = {
        "review_date": "2026-11-02",
        "chair": worker.id,
        "attendees": [{"name": "Jo Bloggs", "agency": "School", "role": "Head of year"}],
        "summary": "Referred after three missing episodes.",
        "current_risks": "Criminal exploitation; late nights.",
        "working_well": "Trusted relationship with keyworker.",
        "worried_about": "Older peers collecting her from school.",
        "needs_to_happen": "Safety plan shared with school.",
        "scaling": 4,
        "recommendations": [
            {
                "action": "Share the safety plan with school",
                "owner": worker.id,
                "due": "2026-11-20",
            },
            {"action": "Book a CAMHS consultation", "owner": worker.id, "due": "2026-12-01"},
        ],
    }
    save_answers(store, response.id, {**answers, "summary": ""})
    with pytest.raises(AnswersMissing, match="Case summary"):
        finalise_response(store, response.id)
    save_answers(store, response.id, answers)
    final, actions = finalise_response(store, response.id)
    assert final.status == RecordStatus.FINAL
    assert [(a.description, a.due_on, a.owner_id) for a in actions] == [
        ("Share the safety plan with school", date(2026, 11, 20), worker.id),
        ("Book a CAMHS consultation", date(2026, 12, 1), worker.id),
    ]
    with store.reading() as session:
        stored = session.scalars(select(Action).where(Action.source_id == response.id)).all()
        assert {a.source for a in stored} == {ActionSource.DEEP_DIVE}
        assert [h.record_type for h in search(session, "older peers")] == ["form_response"]
    with pytest.raises(RecordLocked):
        save_answers(store, response.id, {})


def test_a_response_renders_with_its_own_version_after_the_template_changes(
    store: Store, young_person: YoungPerson
) -> None:
    v1 = simple_template(1)
    first = start_response(
        store, v1, young_person_id=young_person.id, answers={"presenting": "Anger at school"}
    )
    finalise_response(store, first.id)
    v2 = simple_template(2, extra_field=True)
    second = revise(store, first.id, latest=v2)
    assert (second.template_version, second.revision_number, second.revision_of) == (2, 2, first.id)
    with store.reading() as session:
        assert template_of(session, first) == v1
        assert template_of(session, second) == v2
        assert session.scalars(
            select(FormTemplate.template_version).order_by(FormTemplate.template_version)
        ).all() == [1, 2]


def test_formulations_keep_every_revision_and_compare_with_changes_marked(
    store: Store, young_person: YoungPerson
) -> None:
    v1 = simple_template(1)
    first = start_response(
        store,
        v1,
        young_person_id=young_person.id,
        answers={"presenting": "Angry outbursts at school"},
    )
    finalise_response(store, first.id)
    with pytest.raises(RecordLocked, match="Finalise"):
        revise(store, start_response(store, v1, young_person_id=young_person.id).id)
    second = revise(store, first.id)
    save_answers(store, second.id, {"presenting": "Fewer angry outbursts at school since March"})
    finalise_response(store, second.id)
    with pytest.raises(RecordLocked, match="latest revision"):
        revise(store, first.id)
    with store.reading() as session:
        chain = revisions(session, first.id)
        assert [r.revision_number for r in chain] == [1, 2]
        assert [r.id for r in revisions(session, second.id)] == [first.id, second.id]
        old, new = chain
        assert old.answers == {"presenting": "Angry outbursts at school"}  # kept unchanged
    [change] = compare(v1, old.answers, v1, new.answers)
    assert change.change == "changed"
    assert change.words == [
        ("delete", "Angry"),
        ("insert", "Fewer angry"),
        ("equal", "outbursts at school"),
        ("insert", "since March"),
    ]


def test_team_forms_need_no_young_person_and_young_person_forms_do(store: Store) -> None:
    team_form = TemplateDef.model_validate(
        {**simple_template(1).as_json(), "scope": "team", "id": "team_thing"}
    )
    response = start_response(store, team_form)
    assert response.young_person_id is None
    with pytest.raises(ValueError, match="belongs to a young person"):
        start_response(store, simple_template(1))


def test_print_layout_follows_the_definition(store: Store) -> None:
    blocks = print_blocks(
        DEEP_DIVE,
        {
            "summary": "Referred in March.",
            "scaling": 6,
            "review_date": "2026-11-02",
            "chair": "s1",
            "recommendations": [{"action": "Call school", "owner": "s1", "due": "2026-11-20"}],
        },
        {"s1": "Asha Patel"},
    )
    titles = [b.title for b in blocks]
    assert titles == ["The meeting", "Understanding the young person", "Mapping", "Recommendations"]
    rows = {r.label: r for b in blocks for r in b.rows}
    assert rows["Chaired by"].text == "Asha Patel" and rows["Chaired by"].width == "half"
    assert rows["Date of the review"].text == "02 Nov 2026"
    assert (
        rows["On a scale of 0 to 10, how safe and settled is the young person now?"].text
        == "6 out of 10"
    )
    assert rows["Recommendations"].text == "1. Call school · Asha Patel · 20 Nov 2026"
    assert "Current risks" not in rows  # empty answers are left out
    blank = print_blocks(DEEP_DIVE, {}, blank_form=True)
    assert sum(len(b.rows) for b in blank) == len(DEEP_DIVE.fields())


def test_templates_dir_is_found(tmp_path: Path) -> None:
    assert (forms_dir() / "deep_dive_review.toml").exists()


def test_a_goal_based_outcomes_form_feeds_the_goals_and_their_scores(
    store: Store, young_person: YoungPerson
) -> None:
    gbo = load_file(forms_dir() / "gbo_goals.toml")
    base = {
        "set_on": "2026-06-01",
        "goal_1": "Go to college three days a week",
        "goal_1_start": 2,
        "goal_2": "Talk to mum without shouting",
        "goal_2_start": 3,
    }
    answers = dict(base)
    for field in gbo.fields():  # whatever else the template requires
        if field.required and field.id not in answers:
            answers[field.id] = field.options[0] if field.options else "2026-06-01"
    first = start_response(store, gbo, young_person_id=young_person.id, answers=answers)
    finalise_response(store, first.id)
    review = revise(store, first.id)
    save_answers(
        store,
        review.id,
        {**answers, "reviewed_on": "2026-09-01", "goal_1_review": 6, "goal_2_review": 3},
    )
    finalise_response(store, review.id)
    with store.reading() as session:
        goals = {
            g.description: g
            for g in session.scalars(select(Goal).where(Goal.young_person_id == young_person.id))
        }
        assert set(goals) == {"Go to college three days a week", "Talk to mum without shouting"}
        scores = session.scalars(select(GoalScore).order_by(GoalScore.scored_on)).all()
        college = [
            (s.stage.value, s.score, s.scored_on)
            for s in scores
            if s.goal_id == goals["Go to college three days a week"].id
        ]
        assert college == [
            ("start", 2, date(2026, 6, 1)),
            ("review", 6, date(2026, 9, 1)),
        ]  # start not repeated
