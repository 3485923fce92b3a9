"""Practice templates from the main window: starting, filling in, finalising, revising and
comparing responses, for a young person or the team."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from keyworker_app.domain.vocabulary import ActionStatus, RecordStatus
from keyworker_app.forms.compare import compare
from keyworker_app.forms.schema import Scope, TemplateDef
from keyworker_app.store.form_responses import (
    finalise_response,
    revise,
    revisions,
    save_answers,
    start_response,
    team_responses,
    template_of,
)
from keyworker_app.store.models import FormResponse, Staff
from keyworker_app.store.record import load_record
from keyworker_app.ui.form_pages import CompareDialog
from keyworker_app.ui.form_renderer import changes_html, response_html
from keyworker_app.ui.messages import friendly

if TYPE_CHECKING:
    from keyworker_app.ui.main_window import MainWindow

FORMULATIONS = ("five_ps_formulation", "trauma_informed_formulation")


@dataclass
class OpenForm:
    response: FormResponse
    template: TemplateDef
    owner: str
    side_html: str | None
    has_previous: bool
    is_latest: bool


def _side_panel(session: object, young_person_id: str) -> str:
    """What the psychologist needs in view while running a deep dive: who, where, what the
    current formulation says, and what is still open."""
    record = load_record(session, young_person_id)  # type: ignore[arg-type]
    e = html.escape
    person = record.person
    placement = record.current_placement
    parts = [
        f"<h3>{e(person.preferred_name or person.given_name)} {e(person.family_name)}</h3>",
        f"<p>Age {record.age} · "
        f"{e(person.legal_status.label if person.legal_status else 'no order')}"
        f" · {e(placement.placement_type.label) if placement else 'no placement recorded'}</p>",
    ]
    if record.referral and record.referral.risk_category:
        parts.append(f"<p><b>Risk at referral</b><br>{e(record.referral.risk_category.label)}</p>")
    latest = [
        r
        for r in record.form_responses
        if r.template_id in FORMULATIONS and r.status == RecordStatus.FINAL
    ]
    if latest:
        formulation = max(latest, key=lambda r: r.finalised_at or r.updated_at)  # type: ignore[arg-type, return-value]
        template = template_of(session, formulation)  # type: ignore[arg-type]
        parts.append(f"<h4>Current formulation ({e(template.title)})</h4>")
        parts.append(response_html(template, formulation.answers, record.staff_names))
    open_actions = [a for a in record.actions if a.status == ActionStatus.OPEN]
    if open_actions:
        parts.append("<h4>Open actions</h4><ul>")
        for action in open_actions[:12]:
            due = action.due_on.strftime("%d %b") if action.due_on else "no date"
            late = " <b>(overdue)</b>" if record.overdue(action) else ""
            parts.append(f"<li>{e(action.description)} · {due}{late}</li>")
        parts.append("</ul>")
    return "\n".join(parts)


class FormFlow:
    """Mixed into MainWindow: everything about practice templates."""

    def _role_templates(
        self: MainWindow, scope: Scope
    ) -> tuple[list[TemplateDef], list[TemplateDef]]:
        """(templates the user's role fills in, the others) for this scope."""
        me = self.snapshot.me if self.snapshot else None
        everything = self.library.available(scope)
        if me is None:
            return everything, []
        mine = [t for t in everything if me.role in t.roles]
        return mine, [t for t in everything if me.role not in t.roles]

    def show_team_forms(self: MainWindow) -> None:
        store = self.store
        if store is None:
            return
        team_id = self.snapshot.me.team_id if self.snapshot and self.snapshot.me else None

        def load() -> list[FormResponse]:
            with store.reading() as session:
                return team_responses(session, team_id)

        def done(responses: list[FormResponse]) -> None:
            self.team_forms.set_templates(*self._role_templates(Scope.TEAM))
            self.team_forms.set_responses(responses, self._titles(), self._user_names())
            self.views.setCurrentWidget(self.team_forms_page)
            self.form_return = self.team_forms_page
            self.ready.emit()

        self.tasks.run(load, done, lambda e: self.say(friendly(e)))

    def _titles(self: MainWindow) -> dict[str, str]:
        return {t.id: t.title for t in self.library.latest_all()}

    def _user_names(self: MainWindow) -> dict[str, str]:
        return self.record.user_names if self.record else {}

    def fill_record_forms(self: MainWindow) -> None:
        assert self.record is not None
        self.record_page.forms.set_templates(*self._role_templates(Scope.YOUNG_PERSON))
        self.record_page.forms.set_responses(
            self.record.form_responses, self._titles(), self.record.user_names
        )

    def new_form(self: MainWindow, template_id: str) -> None:
        store, definition = self.store, self.library.latest(template_id)
        if store is None or definition is None or not self.library.is_enabled(template_id):
            return
        young_person_id = (
            self.record.person.id
            if definition.scope == Scope.YOUNG_PERSON and self.record
            else None
        )
        me = self.snapshot.me if self.snapshot else None
        self.tasks.run(
            lambda: start_response(
                store,
                definition,
                young_person_id=young_person_id,
                team_id=me.team_id if me else None,
            ),
            lambda response: self.open_form(response.id),
            lambda e: self.say(friendly(e)),
        )

    def open_form(self: MainWindow, response_id: str) -> None:
        store = self.store
        if store is None:
            return

        def load() -> OpenForm:
            with store.reading() as session:
                response = session.get(FormResponse, response_id)
                if response is None:
                    raise ValueError("That form is no longer in this caseload.")
                template = template_of(session, response)
                chain = revisions(session, response_id)
                owner = "Team"
                side = None
                if response.young_person_id:
                    record = load_record(session, response.young_person_id)
                    owner = f"{record.person.given_name} {record.person.family_name}"
                    if response.template_id == "deep_dive_review":
                        side = _side_panel(session, response.young_person_id)
                return OpenForm(
                    response,
                    template,
                    owner,
                    side,
                    has_previous=chain[0].id != response.id,
                    is_latest=chain[-1].id == response.id,
                )

        def done(form: OpenForm) -> None:
            if self.store is not store:
                return
            self.form_slot = form.response.id
            staff = self.snapshot.staff if self.snapshot else []
            self.form_page.show_response(
                form.response,
                form.template,
                owner=form.owner,
                staff=staff,
                side_html=form.side_html,
                has_previous=form.has_previous,
                is_latest=form.is_latest,
            )
            if self.views.currentWidget() is not self.form_page:
                self.form_return = self.views.currentWidget()
            self.views.setCurrentWidget(self.form_page)
            self.ready.emit()

        self.tasks.run(load, done, lambda e: self.say(friendly(e)))

    def save_form(self: MainWindow, answers: dict[str, object]) -> None:
        store, response_id = self.store, self.form_slot
        if store is None or response_id is None:
            return
        self.tasks.run(
            lambda: save_answers(store, response_id, answers),
            lambda _: (self.form_page.saved(), self.say("Draft saved.")),
            lambda e: (self.form_page.save_failed(friendly(e)), self.say(friendly(e))),
        )

    def finalise_form(self: MainWindow) -> None:
        store, response_id = self.store, self.form_slot
        if store is None or response_id is None:
            return

        def done(result: tuple[FormResponse, list[object]]) -> None:
            _, actions = result
            made = (
                f" {len(actions)} recommendation(s) added as actions on the record."
                if actions
                else ""
            )
            self.say("Form finalised." + made)
            self.open_form(response_id)

        self.tasks.run(
            lambda: finalise_response(store, response_id), done, lambda e: self.say(friendly(e))
        )

    def revise_form(self: MainWindow) -> None:
        store, response_id, page = self.store, self.form_slot, self.form_page
        if store is None or response_id is None or page.template is None:
            return
        latest = self.library.latest(page.template.id)
        newer = latest if latest is not None and latest.version > page.template.version else None
        self.tasks.run(
            lambda: revise(store, response_id, latest=newer),
            lambda revision: (
                self.say("New revision started; the earlier one is kept."),
                self.open_form(revision.id),
            ),
            lambda e: self.say(friendly(e)),
        )

    def compare_form(self: MainWindow) -> None:
        store, response_id = self.store, self.form_slot
        if store is None or response_id is None:
            return

        def load() -> tuple[str, str]:
            with store.reading() as session:
                chain = revisions(session, response_id)
                index = next(i for i, r in enumerate(chain) if r.id == response_id)
                old, new = chain[max(index - 1, 0)], chain[index]
                names = {s.id: s.display_name for s in session.scalars(select(Staff))}
                old_t, new_t = template_of(session, old), template_of(session, new)
                body = changes_html(
                    compare(old_t, old.answers, new_t, new.answers, names),
                    f"Revision {old.revision_number}",
                    f"Revision {new.revision_number}",
                )
                return (
                    f"{new_t.title}: revision {old.revision_number} and {new.revision_number}",
                    body,
                )

        self.tasks.run(
            load,
            lambda result: CompareDialog(result[0], result[1], self).exec(),
            lambda e: self.say(friendly(e)),
        )

    def close_form(self: MainWindow) -> None:
        self.form_page.clear()
        self.form_slot = None
        back = self.form_return
        if back is self.team_forms_page:
            self.show_team_forms()
        elif self.record is not None:
            self.open_record(self.record.person.id, None, view="forms")
        else:
            self.show_caseload()
