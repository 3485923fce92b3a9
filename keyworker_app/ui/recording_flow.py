"""Recording contacts from the main window: the contact editor's saves, finalising, agreed
actions, addenda and chronology events, each run on the store's worker."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from keyworker_app.domain.vocabulary import ActionSource, ChronologyCategory
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
from keyworker_app.ui.messages import friendly

if TYPE_CHECKING:
    from keyworker_app.ui.main_window import MainWindow


class RecordingFlow:
    """Mixed into MainWindow: everything about writing contacts."""

    def new_contact(self: MainWindow) -> None:
        if self.store is None:
            return
        if self.views.currentWidget() is self.caseload_page:
            index = self.caseload_page.table.currentIndex()
            if not index.isValid():
                self.say("Choose a young person first, then press Ctrl+N.")
                return
            row = self.caseload_page.model.data(index, ROW_ROLE)
            self.open_record(row.young_person_id, None, view="contacts", then_edit="new")
            return
        if self.record is None:
            return
        self._open_editor(None)

    def edit_draft(self: MainWindow, contact_id: str) -> None:
        if self.record is None:
            return
        if contact_id == "new":
            self._open_editor(None)
            return
        contact = next((c for c in self.record.contacts if c.id == contact_id), None)
        self._open_editor(contact)

    def _open_editor(self: MainWindow, contact: Contact | None) -> None:
        assert self.record is not None
        person = self.record.person
        self.slot.contact_id = contact.id if contact else None
        self.slot.young_person_id = person.id
        actions = [
            a.description for a in self.record.actions if contact and a.source_id == contact.id
        ]
        self.editor.start(
            person.id,
            f"{person.preferred_name or person.given_name} {person.family_name}",
            contact,
            actions,
        )
        self.views.setCurrentWidget(self.editor)
        self.ready.emit()

    def _continue_latest_draft(self: MainWindow) -> None:
        if self.snapshot and self.snapshot.drafts:
            draft = self.snapshot.drafts[0]
            self.open_record(draft.young_person_id, draft.id, view="contacts", then_edit=draft.id)

    def save_contact_draft(self: MainWindow, details: ContactDetails) -> None:
        store, slot = self.store, self.slot
        if store is None:
            return

        def save() -> str:
            if slot.contact_id is None:
                assert slot.young_person_id is not None
                slot.contact_id = add_contact(store, slot.young_person_id, details).id
            else:
                save_draft(store, slot.contact_id, details)
            return slot.contact_id

        def done(contact_id: str) -> None:
            self.editor.saved(contact_id)
            self.say("Draft saved.")

        def failed(error: BaseException) -> None:
            self.editor.save_failed(friendly(error))
            self.say(friendly(error))

        self.tasks.run(save, done, failed)

    def finalise(self: MainWindow) -> None:
        store, slot = self.store, self.slot
        if store is None:
            return

        def run() -> str:
            if slot.contact_id is None:
                raise ValueError("Write what happened before finalising.")
            finalise_contact(store, slot.contact_id)
            return slot.contact_id

        def done(contact_id: str) -> None:
            self.say("Contact finalised. Corrections from now on are addenda.")
            self.editor.clear()
            self.slot.contact_id = None
            self.reload_caseload()
            self._reload_record(contact_id)

        self.tasks.run(run, done, lambda e: self.say(friendly(e)))

    def add_agreed_action(self: MainWindow, text: str, owner_id: object, due: object) -> None:
        store, slot = self.store, self.slot
        if store is None or slot.young_person_id is None:
            return
        young_person_id = slot.young_person_id

        def run() -> str:
            add_action(
                store,
                young_person_id,
                text,
                owner_id=owner_id if isinstance(owner_id, str) else None,
                due_on=due if isinstance(due, date) else None,
                source=ActionSource.CONTACT if slot.contact_id else ActionSource.MANUAL,
                source_id=slot.contact_id,
            )
            slot.history.append(text)
            return text

        def done(_: str) -> None:
            if self.record is not None:
                done_before = [
                    a.description for a in self.record.actions if a.source_id == slot.contact_id
                ]
                self.editor.show_actions(done_before + slot.history)
            self.say("Action added to the record.")

        self.tasks.run(run, done, lambda e: self.say(friendly(e)))

    def _editor_closed(self: MainWindow) -> None:
        self.slot.history.clear()
        contact_id = self.slot.contact_id
        self.editor.clear()
        self.reload_caseload()
        self._reload_record(contact_id)

    def add_addendum(self: MainWindow, contact_id: str, text: str) -> None:
        store = self.store
        if store is None:
            return
        self.tasks.run(
            lambda: add_addendum(store, contact_id, text),
            lambda _: (self.say("Addendum added."), self._reload_record(contact_id)),
            lambda e: self.say(friendly(e)),
        )

    def add_chronology_event(
        self: MainWindow, day: date, category: str, title: str, detail: str
    ) -> None:
        store, record = self.store, self.record
        if store is None or record is None:
            return
        self.tasks.run(
            lambda: add_chronology_event(
                store, record.person.id, day, ChronologyCategory(category), title, detail or None
            ),
            lambda _: (self.say("Event added to the chronology."), self._reload_record()),
            lambda e: self.say(friendly(e)),
        )
