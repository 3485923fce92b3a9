"""Recording contacts: the contact editor's saves, finalising, agreed actions, addenda and
chronology events, each an operation on the store's worker. The screens that show them refresh
from the store's change event; this only says how it went and where to go next."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from PySide6.QtWidgets import QStackedWidget

from keyworker_app.domain.vocabulary import ActionSource, ChronologyCategory
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import Contact
from keyworker_app.store.recording import (
    ContactDetails,
    add_action,
    add_addendum,
    add_chronology_event,
    add_contact,
    finalise_contact,
    save_draft,
)
from keyworker_app.ui.caseload_model import ROW_ROLE
from keyworker_app.ui.caseload_page import CaseloadPage
from keyworker_app.ui.contact_editor import ContactEditor
from keyworker_app.ui.messages import friendly
from keyworker_app.ui.open_record import OpenRecord
from keyworker_app.ui.operations import Operations
from keyworker_app.ui.session import Session

NeedsId = Callable[[str | None], None]


@dataclass
class Draft:
    """The contact the editor is writing. Held on the GUI thread only: each save is handed what
    to save and hands back the contact's id. Until the first save has created the contact, work
    that needs its id (finalising, an agreed action) waits here for it."""

    young_person_id: str
    contact_id: str | None = None
    creating: bool = False
    waiting: list[NeedsId] = field(default_factory=list)
    actions_before: list[str] = field(default_factory=list)  # agreed at an earlier sitting
    actions_added: list[str] = field(default_factory=list)

    def when_saved(self, then: NeedsId) -> None:
        """``then(contact id)`` once the contact exists (None: it was never saved)."""
        if self.creating:
            self.waiting.append(then)
        else:
            then(self.contact_id)

    def saved(self, contact_id: str | None) -> None:
        self.contact_id = contact_id or self.contact_id
        self.creating = False
        waiting, self.waiting = self.waiting, []
        for then in waiting:
            then(self.contact_id)


def _save(store: Store, draft_of: str, contact_id: str | None, details: ContactDetails) -> str:
    if contact_id is None:
        return add_contact(store, draft_of, details).id
    save_draft(store, contact_id, details)
    return contact_id


class Recording:
    def __init__(
        self,
        ops: Operations,
        session: Session,
        views: QStackedWidget,
        caseload_page: CaseloadPage,
        editor: ContactEditor,
        records: OpenRecord,
        *,
        ready: Callable[[], None],
    ) -> None:
        self.ops = ops
        self.session = session
        self.views = views
        self.caseload_page = caseload_page
        self.editor = editor
        self.records = records
        self.ready = ready
        self.draft: Draft | None = None
        editor.save_requested.connect(self.save_contact_draft)
        editor.finalise_requested.connect(self.finalise)
        editor.action_requested.connect(self.add_agreed_action)
        editor.closed.connect(self.editor_closed)
        contacts = records.page.contacts
        contacts.new_contact.connect(self.new_contact)
        contacts.edit_draft.connect(self.edit_draft)
        contacts.add_addendum.connect(self.add_addendum)
        records.page.chronology.add_event.connect(self.add_chronology_event)

    # -- opening the editor -----------------------------------------------------------------
    def new_contact(self) -> None:
        if self.session.store is None:
            return
        if self.views.currentWidget() is self.caseload_page:
            index = self.caseload_page.table.currentIndex()
            if not index.isValid():
                self.ops.say("Choose a young person first, then press Ctrl+N.")
                return
            row = self.caseload_page.model.data(index, ROW_ROLE)
            self.records.open(
                row.young_person_id, view="contacts", then=lambda: self.edit_draft("new")
            )
            return
        if self.session.record is not None:
            self._open_editor(None)

    def edit_draft(self, contact_id: str) -> None:
        record = self.session.record
        if record is None:
            return
        if contact_id == "new":
            self._open_editor(None)
            return
        self._open_editor(next((c for c in record.contacts if c.id == contact_id), None))

    def continue_latest_draft(self) -> None:
        snapshot = self.session.snapshot
        if snapshot and snapshot.drafts:
            draft = snapshot.drafts[0]
            self.records.open(
                draft.young_person_id,
                draft.id,
                view="contacts",
                then=lambda: self.edit_draft(draft.id),
            )

    def _open_editor(self, contact: Contact | None) -> None:
        record = self.session.record
        assert record is not None
        person = record.person
        before = [a.description for a in record.actions if contact and a.source_id == contact.id]
        self.draft = Draft(person.id, contact.id if contact else None, actions_before=before)
        me = self.session.me
        self.editor.set_staff(self.session.staff, me.id if me else None)
        self.editor.start(
            person.id,
            f"{person.preferred_name or person.given_name} {person.family_name}",
            contact,
            before,
        )
        self.views.setCurrentWidget(self.editor)
        self.ready()

    # -- writing ----------------------------------------------------------------------------
    def save_contact_draft(self, details: ContactDetails) -> None:
        if self.draft is not None:
            self._save(self.draft, details)

    def _save(self, draft: Draft, details: ContactDetails) -> None:
        if draft.creating:  # the first save is on its way: this one follows with its id
            draft.waiting.append(lambda _: self._save(draft, details))
            return
        contact_id, young_person_id = draft.contact_id, draft.young_person_id
        draft.creating = contact_id is None

        def done(saved_id: str) -> None:
            if draft is self.draft:
                self.editor.saved(saved_id)
            draft.saved(saved_id)

        def failed(error: BaseException) -> None:
            if draft is self.draft:
                self.editor.save_failed(friendly(error))
            self.ops.say(friendly(error))
            draft.saved(None)

        if not self.ops.run_op(
            lambda store: _save(store, young_person_id, contact_id, details),
            done,
            failed,
            message="Draft saved.",
        ):
            draft.saved(None)

    def finalise(self) -> None:
        draft = self.draft
        if draft is None:
            return

        def finalise(contact_id: str | None) -> None:
            if contact_id is None:
                self.ops.say("Write what happened before finalising.")
                return

            def done(_: object) -> None:
                if draft is self.draft:
                    self.editor.clear()
                    self.draft = None
                self.records.show(select_contact=contact_id)

            self.ops.run_op(
                lambda store: finalise_contact(store, contact_id),
                done,
                message="Contact finalised. Corrections from now on are addenda.",
            )

        draft.when_saved(finalise)

    def add_agreed_action(self, text: str, owner_id: object, due: object) -> None:
        draft = self.draft
        if draft is None:
            return
        young_person_id = draft.young_person_id

        def add(contact_id: str | None) -> None:
            def done(_: object) -> None:
                draft.actions_added.append(text)
                if draft is self.draft:
                    self.editor.show_actions(draft.actions_before + draft.actions_added)

            self.ops.run_op(
                lambda store: add_action(
                    store,
                    young_person_id,
                    text,
                    owner_id=owner_id if isinstance(owner_id, str) else None,
                    due_on=due if isinstance(due, date) else None,
                    source=ActionSource.CONTACT if contact_id else ActionSource.MANUAL,
                    source_id=contact_id,
                ),
                done,
                message="Action added to the record.",
            )

        draft.when_saved(add)

    def editor_closed(self) -> None:
        draft, self.draft = self.draft, None
        self.editor.clear()
        if draft is None:
            self.records.show()
        else:
            draft.when_saved(lambda contact_id: self.records.show(select_contact=contact_id))

    def add_addendum(self, contact_id: str, text: str) -> None:
        self.ops.run_op(
            lambda store: add_addendum(store, contact_id, text),
            lambda _: self.records.show(select_contact=contact_id),
            message="Addendum added.",
        )

    def add_chronology_event(self, day: date, category: str, title: str, detail: str) -> None:
        record = self.session.record
        if record is None:
            return
        young_person_id = record.person.id
        self.ops.run_op(
            lambda store: add_chronology_event(
                store, young_person_id, day, ChronologyCategory(category), title, detail or None
            ),
            lambda _: self.records.show(),
            message="Event added to the chronology.",
        )

    # -- locking ----------------------------------------------------------------------------
    def contact_in_hand(self) -> str | None:
        """The draft being written, to come back to after a lock (once its saves have landed)."""
        return self.draft.contact_id if self.draft else None

    def forget(self) -> None:
        self.draft = None
        self.editor.clear()
