"""Practice templates: starting, filling in, finalising, revising and comparing responses, for a
young person or the team. Each write is an operation; the forms lists refresh from the store's
change event (the record's with the record, the team's here)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QStackedWidget, QWidget
from sqlalchemy import select

from keyworker_app.domain.vocabulary import ActionStatus, RecordStatus
from keyworker_app.forms.compare import compare
from keyworker_app.forms.library import TemplateLibrary
from keyworker_app.forms.schema import Scope, TemplateDef
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.changes import StoreChange
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
from keyworker_app.ui.form_pages import CompareDialog, FormPage, FormsList, TeamFormsPage
from keyworker_app.ui.form_renderer import changes_html, response_html
from keyworker_app.ui.messages import friendly
from keyworker_app.ui.operations import Finished, Operations, Refresh
from keyworker_app.ui.session import Session

if TYPE_CHECKING:
    from keyworker_app.ui.open_record import OpenRecord

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


def templates_for(
    library: TemplateLibrary, me: Staff | None, scope: Scope
) -> tuple[list[TemplateDef], list[TemplateDef]]:
    """(templates the user's role fills in, the others) for this scope."""
    everything = library.available(scope)
    if me is None:
        return everything, []
    mine = [t for t in everything if me.role in t.roles]
    return mine, [t for t in everything if me.role not in t.roles]


def fill_forms(
    forms: FormsList,
    library: TemplateLibrary,
    me: Staff | None,
    scope: Scope,
    responses: Sequence[FormResponse],
    names: dict[str, str],
) -> None:
    """A forms list: the templates to start, and the responses so far."""
    forms.set_templates(*templates_for(library, me, scope))
    forms.set_responses(list(responses), {t.id: t.title for t in library.latest_all()}, names)


def load_form(store: Store, response_id: str) -> OpenForm:
    with store.reading() as db:
        response = db.get(FormResponse, response_id)
        if response is None:
            raise ValueError("That form is no longer in this caseload.")
        template = template_of(db, response)
        chain = revisions(db, response_id)
        owner = "Team"
        side = None
        if response.young_person_id:
            record = load_record(db, response.young_person_id)
            owner = f"{record.person.given_name} {record.person.family_name}"
            if response.template_id == "deep_dive_review":
                side = _side_panel(db, response.young_person_id)
        return OpenForm(
            response,
            template,
            owner,
            side,
            has_previous=chain[0].id != response.id,
            is_latest=chain[-1].id == response.id,
        )


def load_comparison(store: Store, response_id: str) -> tuple[str, str]:
    """(title, body) comparing a revision with the one before it."""
    with store.reading() as db:
        chain = revisions(db, response_id)
        index = next(i for i, r in enumerate(chain) if r.id == response_id)
        old, new = chain[max(index - 1, 0)], chain[index]
        names = {s.id: s.display_name for s in db.scalars(select(Staff))}
        old_t, new_t = template_of(db, old), template_of(db, new)
        body = changes_html(
            compare(old_t, old.answers, new_t, new.answers, names),
            f"Revision {old.revision_number}",
            f"Revision {new.revision_number}",
        )
        return f"{new_t.title}: revision {old.revision_number} and {new.revision_number}", body


def _finalised(result: tuple[FormResponse, list[object]]) -> str:
    _, actions = result
    made = f" {len(actions)} recommendation(s) added as actions on the record." if actions else ""
    return "Form finalised." + made


class Forms:
    def __init__(
        self,
        ops: Operations,
        session: Session,
        library: TemplateLibrary,
        views: QStackedWidget,
        form_page: FormPage,
        team_page: TeamFormsPage,
        records: OpenRecord,
        *,
        ready: Callable[[], None],
        parent: QWidget,
    ) -> None:
        self.ops = ops
        self.session = session
        self.library = library
        self.views = views
        self.form_page = form_page
        self.team_page = team_page
        self.records = records
        self.ready = ready
        self.parent = parent  # of the comparison dialog
        self.response_id: str | None = None  # the form on screen
        self._back_to_team = False
        self.team_refresh = Refresh(self._read_team)
        for forms_list in (records.page.forms, team_page.forms):
            forms_list.new_requested.connect(self.new_form)
            forms_list.open_requested.connect(self.open_form)
        form_page.save_requested.connect(self.save_form)
        form_page.finalise_requested.connect(self.finalise_form)
        form_page.revise_requested.connect(self.revise_form)
        form_page.compare_requested.connect(self.compare_form)
        form_page.closed.connect(self.close_form)

    # -- the team's forms -------------------------------------------------------------------
    def show_team_forms(self) -> None:
        if self.session.store is None:
            return
        self.team_refresh.request()
        self.team_refresh.after(self._arrive_at_team)

    def _arrive_at_team(self) -> None:
        if self.session.store is not None:
            self.views.setCurrentWidget(self.team_page)
            self.ready()

    def changed(self, change: StoreChange) -> None:
        showing = self.views.currentWidget() is self.team_page
        if showing and change.about("form_response", "form_template"):
            self.team_refresh.request()

    def _read_team(self, finished: Finished) -> bool:
        me = self.session.me
        team_id = me.team_id if me else None

        def read(store: Store) -> list[FormResponse]:
            with store.reading() as db:
                return team_responses(db, team_id)

        def done(responses: list[FormResponse]) -> None:
            record = self.session.record
            names = record.user_names if record else {}
            fill_forms(self.team_page.forms, self.library, me, Scope.TEAM, responses, names)
            finished()

        def failed(error: BaseException) -> None:
            self.ops.say(friendly(error))
            finished()

        return self.ops.run_query(read, done, failed)

    # -- one form ---------------------------------------------------------------------------
    def new_form(self, template_id: str) -> None:
        definition = self.library.latest(template_id)
        if definition is None or not self.library.is_enabled(template_id):
            return
        record, me = self.session.record, self.session.me
        young_person_id = (
            record.person.id if definition.scope == Scope.YOUNG_PERSON and record else None
        )
        team_id = me.team_id if me else None
        self.ops.run_op(
            lambda store: start_response(
                store, definition, young_person_id=young_person_id, team_id=team_id
            ),
            lambda response: self.open_form(response.id),
        )

    def open_form(self, response_id: str) -> None:
        def done(form: OpenForm) -> None:
            self.response_id = form.response.id
            self.form_page.show_response(
                form.response,
                form.template,
                owner=form.owner,
                staff=self.session.staff,
                side_html=form.side_html,
                has_previous=form.has_previous,
                is_latest=form.is_latest,
            )
            if self.views.currentWidget() is not self.form_page:
                self._back_to_team = self.views.currentWidget() is self.team_page
            self.views.setCurrentWidget(self.form_page)
            self.ready()

        self.ops.run_query(lambda store: load_form(store, response_id), done)

    def save_form(self, answers: dict[str, object]) -> None:
        response_id = self.response_id
        if response_id is None:
            return

        def failed(error: BaseException) -> None:
            self.form_page.save_failed(friendly(error))
            self.ops.say(friendly(error))

        self.ops.run_op(
            lambda store: save_answers(store, response_id, answers),
            lambda _: self.form_page.saved(),
            failed,
            message="Draft saved.",
        )

    def finalise_form(self) -> None:
        response_id = self.response_id
        if response_id is None:
            return
        self.ops.run_op(
            lambda store: finalise_response(store, response_id),
            lambda result: (self.ops.say(_finalised(result)), self.open_form(response_id)),
        )

    def revise_form(self) -> None:
        response_id, template = self.response_id, self.form_page.template
        if response_id is None or template is None:
            return
        latest = self.library.latest(template.id)
        newer = latest if latest is not None and latest.version > template.version else None
        self.ops.run_op(
            lambda store: revise(store, response_id, latest=newer),
            lambda revision: self.open_form(revision.id),
            message="New revision started; the earlier one is kept.",
        )

    def compare_form(self) -> None:
        response_id = self.response_id
        if response_id is None:
            return
        self.ops.run_query(
            lambda store: load_comparison(store, response_id),
            lambda result: CompareDialog(result[0], result[1], self.parent).exec(),
        )

    def close_form(self) -> None:
        self.form_page.clear()
        self.response_id = None
        if self._back_to_team:
            self.show_team_forms()
        else:
            self.records.show(view="forms")

    # -- locking ----------------------------------------------------------------------------
    def save_in_hand(self) -> str | None:
        """Save the form on screen, if any, and say which it is (to come back to it)."""
        if self.views.currentWidget() is not self.form_page or self.response_id is None:
            return None
        self.form_page.save_now()
        return self.response_id

    def forget(self) -> None:
        self.team_refresh.reset()
        self.form_page.clear()
        self.response_id = None
        self._back_to_team = False
        self.team_page.forms.list.clear()
