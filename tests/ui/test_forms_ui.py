"""Practice templates in the app: the generated form, a live deep dive, revisions, team files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
)
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from keyworker_app.domain.vocabulary import ActionSource, RecordStatus
from keyworker_app.forms.library import load_file, user_templates_dir
from keyworker_app.forms.schema import TemplateDef
from keyworker_app.organisation import OrganisationSettings
from keyworker_app.paths import forms_dir
from keyworker_app.store.models import Action, FormResponse
from keyworker_app.ui import form_flow
from keyworker_app.ui.form_renderer import FormRenderer, GroupEditor
from keyworker_app.ui.main_window import MainWindow
from tests.ui.conftest import PASSPHRASE, unlocked
from tests.ui.test_main_window import open_first_record

Make = Callable[..., MainWindow]
DEEP_DIVE = load_file(forms_dir() / "deep_dive_review.toml")
STAFF = [("s1", "Asha Patel"), ("s2", "Tom Rees")]

TEAM_TEMPLATE = """
id = "team_huddle"
version = 1
title = "Monday huddle"
purpose = "A weekly look at who needs a visit."
model = "Local practice"
roles = ["keyworker", "supervisor", "clinician"]
scope = "team"

[[sections]]
id = "huddle"
title = "Huddle"

  [[sections.fields]]
  id = "notes"
  type = "long_text"
  label = "Notes"
  required = true
"""


def test_the_form_is_generated_from_the_definition_and_round_trips(qtbot: QtBot) -> None:
    renderer = FormRenderer(DEEP_DIVE, STAFF)
    qtbot.addWidget(renderer)
    kinds = {
        f.id: type(renderer.editor_for(f.id).widget)
        for f in DEEP_DIVE.fields()
        if f.type.value != "group"
    }
    assert kinds["review_date"] is QDateEdit and kinds["chair"] is QComboBox
    assert kinds["summary"] is QPlainTextEdit and kinds["scaling"] is QSpinBox
    assert isinstance(renderer.editor_for("attendees"), GroupEditor)
    answers = {
        "review_date": "2026-11-02",
        "chair": "s2",
        "attendees": [{"name": "Jo", "agency": "School", "role": "Head of year"}],
        "summary": "Referred in March.",
        "risk_areas": ["Self-harm", "Offending"],
        "scaling": 0,
        "recommendations": [{"action": "Call school", "owner": "s1", "due": "2026-11-20"}],
    }
    renderer.set_values(answers)
    assert renderer.values() == answers
    checks = renderer.editor_for("risk_areas").widget.findChildren(QCheckBox)
    assert sum(c.isChecked() for c in checks) == 2
    with qtbot.waitSignal(renderer.changed):
        qtbot.keyClicks(renderer.editor_for("current_risks").widget, "x")
    renderer.editor_for("attendees").add_item()
    assert renderer.values()["attendees"] == answers["attendees"]  # an empty item is not an answer


def test_a_live_deep_dive_finalises_into_actions_on_the_record(
    qtbot: QtBot, make_window: Make, caseload_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = unlocked(qtbot, make_window(caseload_dir, passphrase=PASSPHRASE))
    open_first_record(qtbot, window)
    person = window.session.record.person  # type: ignore[union-attr]
    with qtbot.waitSignal(window.ready, timeout=10000):
        window.record_page.forms.new_requested.emit("deep_dive_review")
    page = window.form_page
    assert window.views.currentWidget() is page
    assert page.session.isVisible() and "Live session" in page.session.text()
    assert person.family_name in page.side.toPlainText()
    renderer = page.renderer
    assert renderer is not None
    me = window.session.snapshot.me.id  # type: ignore[union-attr]
    renderer.set_values(
        {
            "review_date": "2026-11-02",
            "chair": me,
            "summary": "Three missing episodes.",
            "current_risks": "Exploitation.",
            "working_well": "Keyworker relationship.",
            "worried_about": "Older peers.",
            "needs_to_happen": "Safety plan.",
            "scaling": 3,
            "recommendations": [
                {"action": "Share the safety plan with school", "owner": me, "due": "2026-12-01"}
            ],
        }
    )
    page.dirty = True
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(window.ready, timeout=10000):
        page.finalise_button.click()
    assert page.state.text() == "Finalised" and page.renderer is None
    assert "Share the safety plan with school" in page.reader.toPlainText()
    assert "recommendation(s) added as actions" in window.statusBar().currentMessage()
    window.tasks.wait()
    with window.store.reading() as session:  # type: ignore[union-attr]
        action = session.scalars(
            select(Action).where(Action.description == "Share the safety plan with school")
        ).one()
        assert (action.source, action.owner_id, action.young_person_id) == (
            ActionSource.DEEP_DIVE,
            me,
            person.id,
        )
    with qtbot.waitSignal(window.ready, timeout=10000):
        page.close_button.click()
    assert window.record_page.current_view() == "forms"
    assert window.record_page.forms.list.topLevelItemCount() >= 1


def required_answers(template: TemplateDef, me: str) -> dict[str, object]:
    """Something in every required answer, by type."""
    answers: dict[str, object] = {}
    for field in template.fields():
        if not field.required:
            continue
        if field.type.value == "date":
            answers[field.id] = "2026-11-01"
        elif field.type.value == "staff":
            answers[field.id] = me
        elif field.type.value == "scale":
            answers[field.id] = 5
        elif field.type.value in ("single_choice", "multiple_choice"):
            answers[field.id] = (
                field.options[0] if field.type.value == "single_choice" else field.options[:1]
            )
        elif field.type.value == "group":
            answers[field.id] = [
                {
                    sub.id: "x"
                    for sub in field.fields
                    if sub.type.value in ("short_text", "long_text")
                }
            ]
        else:
            answers[field.id] = f"About {field.label.lower()}."
    return answers


def test_a_formulation_is_revised_and_compared(
    qtbot: QtBot, make_window: Make, caseload_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = unlocked(qtbot, make_window(caseload_dir, passphrase=PASSPHRASE))
    formulation = window.library.latest("five_ps_formulation")
    assert formulation is not None and formulation.revisable
    open_first_record(qtbot, window)
    with qtbot.waitSignal(window.ready, timeout=10000):
        window.forms.new_form("five_ps_formulation")
    page = window.form_page
    assert not page.session.isVisible()  # a live session only for deep dives
    me = window.session.snapshot.me.id  # type: ignore[union-attr]
    page.renderer.set_values(
        {**required_answers(formulation, me), "presenting": "Angry outbursts at school"}
    )  # type: ignore[union-attr]
    page.dirty = True
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(window.ready, timeout=10000):
        page.finalise_button.click()
    assert page.state.text() == "Finalised", window.statusBar().currentMessage()
    assert page.revise_button.isVisible() and not page.compare_button.isVisible()
    first_id = window.forms.response_id
    with qtbot.waitSignal(window.ready, timeout=10000):
        page.revise_button.click()
    assert window.forms.response_id != first_id and page.state.text() == "Draft"
    editor = page.renderer.editor_for("presenting").widget  # type: ignore[union-attr]
    assert editor.toPlainText() == "Angry outbursts at school"
    editor.setPlainText("Fewer outbursts at school since March")
    with qtbot.waitSignal(window.ready, timeout=10000):
        page.finalise_button.click()
    assert page.compare_button.isVisible()
    shown: list[str] = []
    monkeypatch.setattr(
        form_flow.CompareDialog, "exec", lambda self: shown.append(self.view.toHtml()) or 0
    )
    page.compare_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert "Revision 1" in shown[0] and "Revision 2" in shown[0]
    assert "line-through" in shown[0] or "<s" in shown[0]
    window.tasks.wait()
    with window.store.reading() as session:  # type: ignore[union-attr]
        chain = session.scalars(
            select(FormResponse)
            .where(FormResponse.template_id == "five_ps_formulation", FormResponse.author == "me")
            .order_by(FormResponse.revision_number)
        ).all()
        assert [(r.revision_number, r.status, r.answers["presenting"]) for r in chain] == [
            (1, RecordStatus.FINAL, "Angry outbursts at school"),
            (2, RecordStatus.FINAL, "Fewer outbursts at school since March"),
        ]


def test_a_team_template_dropped_in_the_folder_appears_without_code(
    qtbot: QtBot, make_window: Make, caseload_dir: Path
) -> None:
    folder = user_templates_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "team_huddle.toml").write_text(TEAM_TEMPLATE, encoding="utf-8")
    (folder / "broken.toml").write_text('id = "broken"\nversion = 1\n', encoding="utf-8")
    window = unlocked(qtbot, make_window(caseload_dir, passphrase=PASSPHRASE))
    assert window.library.latest("team_huddle") is not None
    assert any("broken.toml" in str(p) for p in window.library.problems)  # reported, not fatal
    with qtbot.waitSignal(window.ready, timeout=10000):
        window.forms.show_team_forms()
    titles = [a.text() for a in window.team_forms_page.forms.menu.actions()]
    assert "Monday huddle" in titles
    with qtbot.waitSignal(window.ready, timeout=10000):
        window.team_forms_page.forms.new_requested.emit("team_huddle")
    assert window.form_page.title.text() == "Monday huddle"
    assert isinstance(window.form_page.renderer.editor_for("notes").widget, QPlainTextEdit)  # type: ignore[union-attr]
    assert not isinstance(window.form_page.renderer.editor_for("notes").widget, QLineEdit)  # type: ignore[union-attr]


def test_locking_mid_form_keeps_the_answers_and_returns_to_the_form(
    qtbot: QtBot, make_window: Make, caseload_dir: Path
) -> None:
    window = unlocked(qtbot, make_window(caseload_dir, passphrase=PASSPHRASE))
    open_first_record(qtbot, window)
    # "me" is a keyworker: their own templates first, a psychologist's under "Other roles".
    menu = window.record_page.forms.menu
    mine = [a.text() for a in menu.actions() if a.menu() is None]
    other_menu = next(a.menu() for a in menu.actions() if a.menu() is not None)
    assert "Safety and crisis plan" in mine and "Deep dive review" not in mine
    assert "Deep dive review" in [a.text() for a in other_menu.actions()]
    with qtbot.waitSignal(window.ready, timeout=10000):
        window.forms.new_form("safety_plan")
    response_id = window.forms.response_id
    renderer = window.form_page.renderer
    assert renderer is not None
    field = next(f for f in renderer.template.fields() if f.type.value == "long_text")
    qtbot.keyClicks(renderer.editor_for(field.id).widget, "Call nan if things get too much")
    with qtbot.waitSignal(window.locked, timeout=10000):
        window.lock("Locked.")
    assert window.form_page.renderer is None and window.store is None
    with qtbot.waitSignal(window.ready, timeout=10000):
        window.unlock(PASSPHRASE)
    assert (
        window.views.currentWidget() is window.form_page and window.forms.response_id == response_id
    )
    restored = window.form_page.renderer.editor_for(field.id).widget  # type: ignore[union-attr]
    assert restored.toPlainText() == "Call nan if things get too much"


def _template_titles(menu: QMenu) -> list[str]:
    titles = []
    for action in menu.actions():
        titles += _template_titles(action.menu()) if action.menu() else [action.text()]
    return titles


def test_new_forms_come_only_from_the_templates_the_organisation_enabled(
    qtbot: QtBot, make_window: Make, caseload_dir: Path
) -> None:
    organisation = OrganisationSettings(templates=("deep_dive_review",), visiting_standard_days=1)
    window = unlocked(
        qtbot, make_window(caseload_dir, passphrase=PASSPHRASE, organisation=organisation)
    )
    assert window.session.snapshot is not None
    assert {r.visiting_standard_days for r in window.session.snapshot.rows} == {1}
    open_first_record(qtbot, window)
    offered = _template_titles(window.record_page.forms.menu)
    assert offered == ["Deep dive review"]
    before = window.forms.response_id
    window.forms.new_form("five_ps_formulation")  # turned off: nothing starts
    window.tasks.wait()
    assert window.forms.response_id == before
    # A formulation written before the organisation turned the template off still opens.
    with window.store.reading() as session:  # type: ignore[union-attr]
        written = session.scalars(
            select(FormResponse.id).where(FormResponse.template_id == "five_ps_formulation")
        ).first()
    assert written is not None
    with qtbot.waitSignal(window.ready, timeout=10000):
        window.forms.open_form(written)
    assert window.form_page.title.text() == "5 Ps formulation"
