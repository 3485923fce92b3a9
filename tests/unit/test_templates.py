"""The shipped practice templates in forms/, and what a broken template file reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyworker_app.forms.library import TemplateFileError, load_file, load_library
from keyworker_app.forms.schema import FieldType, Scope, TemplateDef
from keyworker_app.paths import forms_dir

EXPECTED_IDS = {
    "deep_dive_review",
    "five_ps_formulation",
    "trauma_informed_formulation",
    "reflective_practice_individual",
    "reflective_practice_group",
    "gbo_goals",
    "safety_plan",
    "clinical_consultation",
    "reunification_plan",
    "supervision_record",
}
FORMULATIONS = {"five_ps_formulation", "trauma_informed_formulation"}
SHIPPED = sorted(forms_dir().glob("*.toml"))

HEAD = """\
id = "{id}"
version = {version}
title = "A test template"
purpose = "Testing."
model = "None"
roles = ["keyworker"]
scope = "team"
"""
SECTION = """
[[sections]]
id = "main"
title = "Main"

  [[sections.fields]]
  id = "notes"
  type = "long_text"
  label = "Notes"
"""


def template_text(template_id: str = "sample", version: int = 1, body: str = SECTION) -> str:
    return HEAD.format(id=template_id, version=version) + body


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    """Every problem load_file reports for ``path``, as "place: message" lines."""
    with pytest.raises(TemplateFileError) as caught:
        load_file(path)
    assert all(p.path == path for p in caught.value.problems)
    return [f"{p.place}: {p.message}" for p in caught.value.problems]


# --- the shipped templates --------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_each_shipped_file_loads_is_named_after_its_id_and_round_trips(path: Path) -> None:
    template = load_file(path)
    assert path.stem == template.id
    assert template.version == 1
    assert template.model.strip() and template.purpose.strip()
    assert TemplateDef.model_validate(template.as_json()) == template


def test_the_shipped_ids_are_unique_and_complete() -> None:
    ids = [load_file(p).id for p in SHIPPED]
    assert len(ids) == len(set(ids))
    assert set(ids) == EXPECTED_IDS


def test_the_shipped_library_loads_without_problems() -> None:
    library = load_library([forms_dir()])
    assert library.problems == []
    assert {i for i, _ in library.templates} == EXPECTED_IDS
    assert len(library.templates) == len(EXPECTED_IDS)


def test_formulations_keep_every_revision() -> None:
    library = load_library([forms_dir()])
    for template_id in FORMULATIONS:
        template = library.latest(template_id)
        assert template is not None and template.revisable
        assert template.scope == Scope.YOUNG_PERSON
    assert not library.latest("deep_dive_review").revisable  # type: ignore[union-attr]


def test_reviews_and_consultations_turn_recommendations_into_actions() -> None:
    library = load_library([forms_dir()])
    for template_id in ("deep_dive_review", "clinical_consultation"):
        template = library.latest(template_id)
        assert template is not None
        groups = template.action_groups()
        assert [g.id for g in groups] == ["recommendations"]
        kinds = {f.id: f.type for f in groups[0].fields}
        assert kinds["owner"] == FieldType.STAFF and kinds["due"] == FieldType.DATE


def test_team_templates_create_no_actions_and_are_not_about_one_young_person() -> None:
    library = load_library([forms_dir()])
    team = {t.id for t in library.latest_all() if t.scope == Scope.TEAM}
    assert team == {
        "reflective_practice_individual",
        "reflective_practice_group",
        "supervision_record",
    }
    for template_id in team:
        assert library.latest(template_id).action_groups() == []  # type: ignore[union-attr]


def test_five_ps_has_the_five_ps_and_a_shared_summary() -> None:
    template = load_file(forms_dir() / "five_ps_formulation.toml")
    for field_id in (
        "presenting",
        "predisposing",
        "precipitating",
        "perpetuating",
        "protective",
        "summary",
        "how_we_work",
    ):
        field = template.field(field_id)
        assert field is not None and field.required and field.type == FieldType.LONG_TEXT


def test_gbo_has_three_goals_each_scored_at_start_review_and_end() -> None:
    template = load_file(forms_dir() / "gbo_goals.toml")
    for n in (1, 2, 3):
        assert template.field(f"goal_{n}") is not None
        for stage in ("start", "review", "end"):
            score = template.field(f"goal_{n}_{stage}")
            assert score is not None and score.type == FieldType.SCALE
            assert score.low_label and score.high_label
    assert template.field("goal_1").required  # type: ignore[union-attr]
    assert not template.field("goal_3").required  # type: ignore[union-attr]


def test_consultation_topics_are_the_clinical_offer() -> None:
    topic = load_file(forms_dir() / "clinical_consultation.toml").field("topic")
    assert topic is not None and topic.type == FieldType.SINGLE_CHOICE
    assert topic.options == [
        "Mental health concerns",
        "Sibling assessment",
        "Placement fragility",
        "Reunification",
        "Conflict in the professional network",
        "Family contact",
        "Transitions (placement, school, leaving care)",
        "Other",
    ]


def test_reunification_records_the_four_stages_in_order() -> None:
    template = load_file(forms_dir() / "reunification_plan.toml")
    assert "Wilkins" in template.model and "NSPCC" in template.model
    stages = [s.id for s in template.sections if template.field(f"{s.id}_status")]
    assert stages == ["assessment", "decision", "preparation", "support"]
    assert template.field("conditions_for_return") is not None
    assert template.field("target_return_date") is not None


def test_the_safety_plan_lists_people_to_call_with_their_numbers() -> None:
    people = load_file(forms_dir() / "safety_plan.toml").field("people_to_call")
    assert people is not None and people.type == FieldType.GROUP
    assert [f.id for f in people.fields][:3] == ["name", "relationship", "phone"]


# --- broken files -----------------------------------------------------------------------------


def test_an_unknown_field_type_names_the_value_and_where_it_is(tmp_path: Path) -> None:
    body = SECTION + '\n  [[sections.fields]]\n  id = "mood"\n  type = "slider"\n  label = "Mood"\n'
    [problem] = problems_of(write(tmp_path, "t.toml", template_text(body=body)))
    assert problem.startswith("sections[1] 'main' > fields[2] 'mood' > type: ")
    assert "'slider' is not allowed here" in problem and "'scale'" in problem


def test_a_missing_title_is_named(tmp_path: Path) -> None:
    text = template_text().replace('title = "A test template"\n', "")
    assert problems_of(write(tmp_path, "t.toml", text)) == ["title: is missing"]


def test_a_toml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    text = template_text().replace('label = "Notes"', "label = Notes")
    line = text.splitlines().index("  label = Notes") + 1
    [problem] = problems_of(write(tmp_path, "t.toml", text))
    assert "is not valid TOML" in problem and f"line {line}" in problem


def test_a_choice_field_needs_options(tmp_path: Path) -> None:
    body = SECTION.replace('type = "long_text"', 'type = "single_choice"')
    assert problems_of(write(tmp_path, "t.toml", template_text(body=body))) == [
        "sections[1] 'main' > fields[1] 'notes': the choice field 'notes' has no options; "
        "list them in options"
    ]


def test_a_field_id_used_twice_points_at_the_second_use(tmp_path: Path) -> None:
    body = SECTION + SECTION.replace('id = "main"', 'id = "more"')
    assert problems_of(write(tmp_path, "t.toml", template_text(body=body))) == [
        "sections[2] 'more' > fields[1] 'notes': the id 'notes' is used twice in the "
        "template's fields"
    ]


def test_a_section_id_used_twice_points_at_the_second_use(tmp_path: Path) -> None:
    body = SECTION + SECTION.replace('id = "notes"', 'id = "other"')
    [problem] = problems_of(write(tmp_path, "t.toml", template_text(body=body)))
    assert problem == "sections[2] 'main': the id 'main' is used twice in the template's sections"


def test_a_group_needs_fields(tmp_path: Path) -> None:
    body = SECTION.replace('type = "long_text"', 'type = "group"')
    assert problems_of(write(tmp_path, "t.toml", template_text(body=body))) == [
        "sections[1] 'main' > fields[1] 'notes': the group 'notes' has no fields; "
        "list them in fields"
    ]


def test_a_group_that_creates_actions_needs_an_owner_and_a_due_date(tmp_path: Path) -> None:
    body = SECTION + (
        '\n  [[sections.fields]]\n  id = "recs"\n  type = "group"\n  label = "Recs"\n'
        "  creates_actions = true\n\n"
        '    [[sections.fields.fields]]\n    id = "action"\n    type = "long_text"\n'
        '    label = "Action"\n'
    )
    [problem] = problems_of(write(tmp_path, "t.toml", template_text(body=body)))
    assert problem.startswith("sections[1] 'main' > fields[2] 'recs': ")
    assert "needs the fields action, owner and due (missing: due, owner)" in problem


def test_a_misspelt_setting_is_named_with_a_suggestion(tmp_path: Path) -> None:
    body = SECTION.replace('label = "Notes"', 'lable = "Notes"')
    assert problems_of(write(tmp_path, "t.toml", template_text(body=body))) == [
        "sections[1] 'main' > fields[1] 'notes' > label: is missing",
        "sections[1] 'main' > fields[1] 'notes' > lable: is not a setting this format knows; "
        "did you mean 'label'?",
    ]


def test_a_print_hint_out_of_range_says_the_limit(tmp_path: Path) -> None:
    body = SECTION + "  print = { lines = 99 }\n"
    assert problems_of(write(tmp_path, "t.toml", template_text(body=body))) == [
        "sections[1] 'main' > fields[1] 'notes' > print > lines: is 99, but must be at most 40"
    ]


@pytest.mark.parametrize("bad", ["Safety-Plan", "2nd_review", "safety plan"])
def test_a_bad_id_says_which_characters_are_allowed(tmp_path: Path, bad: str) -> None:
    [problem] = problems_of(write(tmp_path, "t.toml", template_text(template_id=bad)))
    assert problem.startswith(f"id: '{bad}' is not a valid id")
    assert "lower-case letters, digits and underscores" in problem


def test_a_bad_field_id_is_placed(tmp_path: Path) -> None:
    body = SECTION.replace('id = "notes"', 'id = "Notes!"')
    [problem] = problems_of(write(tmp_path, "t.toml", template_text(body=body)))
    assert problem.startswith("sections[1] 'main' > fields[1] 'Notes!' > id: 'Notes!' is not")


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = template_text(body=SECTION.replace('type = "long_text"', 'type = "slider"'))
    text = text.replace('scope = "team"', 'scope = "everyone"').replace(
        'title = "A test', 'titel = "A'
    )
    problems = problems_of(write(tmp_path, "t.toml", text))
    assert len(problems) == 4
    assert {p.split(":")[0] for p in problems} == {
        "title",
        "titel",
        "scope",
        "sections[1] 'main' > fields[1] 'notes' > type",
    }


# --- the library: several files ---------------------------------------------------------------


def test_the_same_id_and_version_in_two_files_names_the_other_file(tmp_path: Path) -> None:
    first = write(tmp_path, "a_first.toml", template_text())
    second = write(tmp_path, "b_second.toml", template_text())
    library = load_library([tmp_path])
    assert list(library.templates) == [("sample", 1)]
    assert library.templates[("sample", 1)].path == first
    [problem] = library.problems
    assert problem.path == second and problem.place == "id"
    assert str(first) in problem.message
    assert "'sample' version 1 is already defined" in problem.message


def test_a_broken_file_never_stops_the_others_loading(tmp_path: Path) -> None:
    write(tmp_path, "good.toml", template_text())
    broken = write(tmp_path, "broken.toml", template_text().replace('title = "A', "title = A"))
    write(tmp_path, "notes.txt", "not a template")
    library = load_library([tmp_path])
    assert list(library.templates) == [("sample", 1)]
    assert len(library.problems) == 1 and library.problems[0].path == broken
    assert "is not valid TOML" in library.problems[0].message


def test_shipped_and_user_folders_load_together(tmp_path: Path) -> None:
    write(tmp_path, "ours.toml", template_text(template_id="team_huddle"))
    write(tmp_path, "broken.toml", template_text(template_id="Bad-Id"))
    library = load_library([forms_dir(), tmp_path])
    assert {i for i, _ in library.templates} == EXPECTED_IDS | {"team_huddle"}
    assert [p.path.name for p in library.problems] == ["broken.toml"]


def test_a_new_version_sits_beside_the_old_one(tmp_path: Path) -> None:
    write(tmp_path, "huddle_v1.toml", template_text(version=1))
    v2 = SECTION + SECTION.replace('id = "main"', 'id = "extra"').replace('"notes"', '"more"')
    write(tmp_path, "huddle_v2.toml", template_text(version=2, body=v2))
    library = load_library([tmp_path])
    assert library.problems == []
    latest = library.latest("sample")
    assert latest is not None and latest.version == 2
    assert latest.field("more") is not None
    old = library.get("sample", 1)
    assert old is not None and old.version == 1 and old.field("more") is None
    assert [t.version for t in library.latest_all()] == [2]
