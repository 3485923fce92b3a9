"""Opening the caseload (unlock, recovery code, the demo's first start, the end of a first run)
and closing it (lock, or wiped by the central store), coming back after a lock to where the
worker was: the record and view, the draft being written, the form being filled in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget

from keyworker_app.organisation import OrganisationSettings
from keyworker_app.security import SecurityError
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.security.keys import KeyFile
from keyworker_app.store import lifecycle
from keyworker_app.store.caseload_store import Store
from keyworker_app.ui.caseload_list import CaseloadList
from keyworker_app.ui.caseload_page import CaseloadPage
from keyworker_app.ui.contact_editor import ContactEditor
from keyworker_app.ui.first_run import FirstRunPage
from keyworker_app.ui.form_flow import Forms
from keyworker_app.ui.form_pages import FormPage
from keyworker_app.ui.idle import IdleWatcher
from keyworker_app.ui.messages import friendly
from keyworker_app.ui.open_record import OpenRecord
from keyworker_app.ui.print_flow import Printing
from keyworker_app.ui.record_page import RecordPage
from keyworker_app.ui.recording_flow import Recording
from keyworker_app.ui.session import Session
from keyworker_app.ui.store_events import StoreEvents
from keyworker_app.ui.sync_flow import SyncControl
from keyworker_app.ui.tasks import TaskRunner
from keyworker_app.ui.unlock_pages import UnlockPage


@dataclass
class StartOptions:
    data_dir: Path
    passphrase: str | None = None  # unlock at once (automation, screenshots, the demo)
    open_reference: str | None = None
    view: str | None = None
    demo: bool = False
    create_demo: object = None  # callable(store) that fills a new demo caseload
    organisation: OrganisationSettings = field(default_factory=OrganisationSettings)


@dataclass
class WhereIWas:
    """What to bring back after a lock: the open record, its view, the draft being written."""

    young_person_id: str | None = None
    view: str = "contacts"
    draft_contact_id: str | None = None
    editing: bool = False
    form_id: str | None = None


@dataclass(frozen=True)
class Screens:
    """The window's pages that opening and closing move between, or save from."""

    stack: QStackedWidget  # the first run, the unlock page and the workspace
    first_run: FirstRunPage
    unlock: UnlockPage
    workspace: QWidget
    banner: QLabel  # "Demo caseload"
    views: QStackedWidget  # the workspace's pages
    caseload: CaseloadPage
    record: RecordPage
    editor: ContactEditor
    form: FormPage


Forgets = CaseloadList | OpenRecord | Recording | Forms | SyncControl | Printing


@dataclass(frozen=True)
class Parts:
    """The parts that hold what the open caseload shows; each forgets it at lock."""

    caseload: CaseloadList
    records: OpenRecord
    recording: Recording
    forms: Forms
    sync: SyncControl
    printing: Printing

    def each(
        self,
    ) -> tuple[CaseloadList | OpenRecord | Recording | Forms | SyncControl | Printing, ...]:
        return (self.caseload, self.records, self.recording, self.forms, self.sync, self.printing)


class Opening:
    def __init__(
        self,
        tasks: TaskRunner,
        session: Session,
        events: StoreEvents,
        options: StartOptions,
        screens: Screens,
        parts: Parts,
        idle: IdleWatcher,
        *,
        say: Callable[[str], None],
        ready: Callable[[], None],
        failed: Callable[[str], None],
        locked: Callable[[], None],
        show_tour: Callable[[], None],
    ) -> None:
        self.tasks = tasks
        self.session = session
        self.events = events
        self.options = options
        self.screens = screens
        self.parts = parts
        self.idle = idle
        self.say = say
        self.ready = ready
        self.failed = failed
        self.locked = locked
        self.show_tour = show_tour
        self.where = WhereIWas()
        self.tour_pending = False

    # -- opening ----------------------------------------------------------------------------
    def start(self) -> None:
        data_dir, screens = self.options.data_dir, self.screens
        if not lifecycle.exists(data_dir):
            if self.options.demo and self.options.create_demo is not None:
                screens.stack.setCurrentWidget(screens.unlock)
                screens.unlock.set_busy(True)
                screens.unlock.message.setText(
                    "Creating the synthetic demo caseload (first run only)…"
                )
                self.tasks.run(
                    self.options.create_demo,  # type: ignore[arg-type]
                    lambda _: self.unlock(self.options.passphrase or ""),
                    self._unlock_failed,
                )
                return
            screens.stack.setCurrentWidget(screens.first_run)
            return
        screens.stack.setCurrentWidget(screens.unlock)
        screens.unlock.reset()
        if self.options.passphrase:
            self.unlock(self.options.passphrase)

    def after_first_run(self) -> None:
        if self.session.store is not None:
            self.tour_pending = True
            self.opened(self.session.store)

    def unlock(self, passphrase: str) -> None:
        data_dir = self.options.data_dir
        self.screens.unlock.set_busy(True)
        self.tasks.run(
            lambda: lifecycle.unlock_caseload(
                data_dir, passphrase, DeviceSecrets.for_store(data_dir)
            ),
            self.opened,
            self._unlock_failed,
        )

    def recover(self, code: str, new_passphrase: str) -> None:
        data_dir = self.options.data_dir

        def recovered(store: Store) -> None:
            self.opened(store)
            self.say("Recovered: your new passphrase now opens the caseload.")

        self.tasks.run(
            lambda: lifecycle.recover_caseload(
                data_dir, code, new_passphrase, DeviceSecrets.for_store(data_dir)
            ),
            recovered,
            self._unlock_failed,
        )

    def _unlock_failed(self, error: BaseException) -> None:
        self.screens.stack.setCurrentWidget(self.screens.unlock)
        self.screens.unlock.show_error(friendly(error))
        self.failed(friendly(error))

    def opened(self, store: Store) -> None:
        self.session.store = store
        self.events.watch(store)
        try:
            demo = KeyFile.read(store.data_dir).demo
        except (OSError, SecurityError):
            demo = False
        self.screens.banner.setVisible(demo or self.options.demo)
        self.screens.stack.setCurrentWidget(self.screens.workspace)
        self.idle.start()
        self.say("Unlocked.")
        self.parts.caseload.load(then=self._come_back)
        self.parts.sync.start()  # queued behind the caseload: the screen comes first

    # -- closing ----------------------------------------------------------------------------
    def lock(self, message: str) -> None:
        if self.session.store is None:
            return
        self.idle.stop()
        self.events.watch(None)  # the saves below need no screen refreshed
        self.where = self._where_i_am()
        self.close(message)
        self.locked()

    def _where_i_am(self) -> WhereIWas:
        screens, parts = self.screens, self.parts
        current = screens.views.currentWidget()
        where = WhereIWas(editing=current is screens.editor, form_id=parts.forms.save_in_hand())
        if where.editing:
            screens.editor.dirty = screens.editor.dirty or screens.editor.has_content()
            screens.editor.save_now()
        record = self.session.record
        if record is not None and current in (screens.record, screens.editor, screens.form):
            where.young_person_id = record.person.id
            where.view = screens.record.current_view()
        self.tasks.settle()  # the last save lands, with the new draft's id, before the key goes
        where.draft_contact_id = parts.recording.contact_in_hand() if where.editing else None
        return where

    def close(self, message: str) -> None:
        """Close the caseload (locked, or wiped by the central store): nothing stays shown."""
        self.events.watch(None)
        self.tasks.settle()
        for part in self.parts.each():
            part.forget()
        store, self.session.store = self.session.store, None
        if store is not None:
            store.close()
        self.screens.views.setCurrentWidget(self.screens.caseload)
        self.screens.stack.setCurrentWidget(self.screens.unlock)
        self.screens.unlock.reset(message)
        self.say(message)

    # -- coming back ------------------------------------------------------------------------
    def _come_back(self) -> None:
        where, self.where = self.where, WhereIWas()
        records, form_id = self.parts.records, where.form_id
        if form_id and where.young_person_id:
            records.open(
                where.young_person_id,
                view=where.view,
                then=lambda: self.parts.forms.open_form(form_id),
            )
        elif form_id:
            self.parts.forms.open_form(form_id)
        elif where.young_person_id:
            draft_id = where.draft_contact_id if where.editing else None
            records.open(
                where.young_person_id,
                view=where.view,
                then=(lambda: self.parts.recording.edit_draft(draft_id)) if draft_id else None,
            )
        elif self.options.open_reference:
            self._open_reference(self.options.open_reference)
        else:
            if self.tour_pending:
                self.tour_pending = False
                self.show_tour()
            self.ready()

    def _open_reference(self, reference: str) -> None:
        """The record named on the command line (``--open REF --view VIEW``)."""
        self.options.open_reference = None
        rows = self.session.snapshot.rows if self.session.snapshot else []
        match = next((r for r in rows if r.reference == reference), None)
        if match is None:
            self.say(f"No young person has the reference {reference}.")
            self.ready()
            return
        self.parts.records.open(match.young_person_id, view=self.options.view)
