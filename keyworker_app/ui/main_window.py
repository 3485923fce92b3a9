"""The main window: unlock, caseload, record, contact editor; locking and restoring.

Store work always runs through the one ``TaskRunner``; this class only decides what to run and
shows the results.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from keyworker_app.forms.library import load_library
from keyworker_app.security import SecurityError
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.security.keys import KeyFile
from keyworker_app.store import lifecycle
from keyworker_app.store.caseload import CaseloadRow, caseload
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import Contact, Staff, Team
from keyworker_app.store.record import YoungPersonRecord, load_record
from keyworker_app.store.recording import (
    draft_contacts,
    record_opened,
)
from keyworker_app.store.search import search
from keyworker_app.sync.client import SyncState
from keyworker_app.ui.caseload_page import CaseloadPage
from keyworker_app.ui.contact_editor import ContactEditor
from keyworker_app.ui.form_flow import FormFlow
from keyworker_app.ui.form_pages import FormPage, FormsList
from keyworker_app.ui.idle import IdleWatcher
from keyworker_app.ui.messages import friendly
from keyworker_app.ui.print_flow import PrintFlow
from keyworker_app.ui.record_page import VIEWS, RecordPage
from keyworker_app.ui.recording_flow import RecordingFlow
from keyworker_app.ui.sync_flow import SyncFlow
from keyworker_app.ui.sync_pages import ConflictsPage
from keyworker_app.ui.tasks import TaskRunner
from keyworker_app.ui.unlock_pages import FirstRunPage, UnlockPage

DEFAULT_IDLE_MINUTES = 10.0


@dataclass
class StartOptions:
    data_dir: Path
    passphrase: str | None = None  # unlock at once (automation, screenshots, the demo)
    open_reference: str | None = None
    view: str | None = None
    demo: bool = False
    create_demo: object = None  # callable(store) that fills a new demo caseload


@dataclass
class CaseloadSnapshot:
    rows: list[CaseloadRow]
    me: Staff | None
    team: str | None
    staff: list[tuple[str, str]]
    drafts: list[Contact]


@dataclass
class WhereIWas:
    """What to bring back after a lock: the open record, its view, the draft being written."""

    young_person_id: str | None = None
    view: str = "contacts"
    draft_contact_id: str | None = None
    editing: bool = False
    form_id: str | None = None


@dataclass
class DraftSlot:
    """The contact the editor is writing. Only touched on the store's worker thread, so a save
    and the finalise queued after it always agree on the id."""

    contact_id: str | None = None
    young_person_id: str | None = None
    history: list[str] = field(default_factory=list)


class MainWindow(RecordingFlow, FormFlow, SyncFlow, PrintFlow, QMainWindow):
    ready = Signal()  # the requested screen has finished loading (used by --screenshot)
    failed = Signal(str)  # opening failed; the message says why
    locked = Signal()

    def __init__(self, options: StartOptions) -> None:
        super().__init__()
        self.options = options
        self.setWindowTitle("Keyworker")
        self.setMinimumSize(900, 600)
        self.tasks = TaskRunner(self)
        self.store: Store | None = None
        self.snapshot: CaseloadSnapshot | None = None
        self.record: YoungPersonRecord | None = None
        self.where = WhereIWas()
        self.slot = DraftSlot()
        self.settings = QSettings("Keyworker", "Keyworker")
        self.idle = IdleWatcher(
            float(self.settings.value("idle_lock_minutes", DEFAULT_IDLE_MINUTES)), self
        )
        self.idle.idle.connect(lambda: self.lock("Locked after a period without use."))
        QApplication.instance().installEventFilter(self.idle)  # type: ignore[union-attr]

        self.pages = QStackedWidget()
        self.setCentralWidget(self.pages)
        self.first_run = FirstRunPage(os.environ.get("USER", ""))
        self.unlock_page = UnlockPage()
        self.workspace = QWidget()
        self.pages.addWidget(self.first_run)
        self.pages.addWidget(self.unlock_page)
        self.pages.addWidget(self.workspace)
        outer = QVBoxLayout(self.workspace)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.banner = QLabel("Demo caseload: every name and record here is synthetic.")
        self.banner.setObjectName("demoBanner")
        self.banner.setAccessibleName("Demo data notice")
        self.banner.hide()
        outer.addWidget(self.banner)
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        top = QHBoxLayout()
        self.who = QLabel()
        top.addWidget(self.who)
        top.addStretch(1)
        self.drafts_button = QPushButton()
        self.drafts_button.setToolTip("Carry on with the contact you were writing")
        self.drafts_button.clicked.connect(self._continue_latest_draft)
        self.drafts_button.hide()
        top.addWidget(self.drafts_button)
        team_button = QPushButton("Team forms")
        team_button.setToolTip("Reflective practice, supervision and other team records")
        team_button.clicked.connect(self.show_team_forms)
        top.addWidget(team_button)
        lock_button = QPushButton("Lock")
        lock_button.setToolTip("Lock the caseload (Ctrl+L)")
        lock_button.clicked.connect(lambda: self.lock("Locked."))
        top.addWidget(lock_button)
        inner_layout.addLayout(top)
        self.views = QStackedWidget()
        inner_layout.addWidget(self.views)
        outer.addWidget(inner)
        self.caseload_page = CaseloadPage()
        self.record_page = RecordPage()
        self.editor = ContactEditor()
        self.form_page = FormPage()
        self.team_forms_page = QWidget()
        team_layout = QVBoxLayout(self.team_forms_page)
        team_back = QPushButton("← Caseload")
        team_back.clicked.connect(self.show_caseload)
        team_layout.addWidget(team_back, alignment=Qt.AlignmentFlag.AlignLeft)
        team_title = QLabel("Team forms: reflective practice, supervision and other team records")
        team_layout.addWidget(team_title)
        self.team_forms = FormsList("Team forms")
        team_layout.addWidget(self.team_forms)
        for page in (
            self.caseload_page,
            self.record_page,
            self.editor,
            self.form_page,
            self.team_forms_page,
        ):
            self.views.addWidget(page)
        self.conflicts_page = ConflictsPage()
        self.views.addWidget(self.conflicts_page)
        self.syncing = False
        self.sync_state: SyncState | None = None
        self.sync_timer = QTimer(self)
        self.sync_timer.setSingleShot(True)
        self.sync_timer.timeout.connect(lambda: self.sync_now(quiet=True))
        self.sync_label = QLabel()
        self.sync_label.setAccessibleName("Sync status")
        self.statusBar().addPermanentWidget(self.sync_label)
        self.library = load_library()
        self.form_slot: str | None = None
        self.form_return: QWidget | None = None

        self._connect()
        self._actions()
        self._restore_layout()

    # -- wiring ---------------------------------------------------------------------------
    def _connect(self) -> None:
        self.first_run.create_requested.connect(self.create_caseload)
        self.first_run.finished.connect(self._after_first_run)
        self.unlock_page.unlock_requested.connect(self.unlock)
        self.unlock_page.recover_requested.connect(self.recover)
        self.caseload_page.open_requested.connect(self.open_record)
        self.caseload_page.search_requested.connect(self.search_notes)
        self.record_page.back.connect(self.show_caseload)
        self.record_page.contacts.new_contact.connect(self.new_contact)
        self.record_page.contacts.edit_draft.connect(self.edit_draft)
        self.record_page.contacts.add_addendum.connect(self.add_addendum)
        self.record_page.chronology.add_event.connect(self.add_chronology_event)
        self.editor.save_requested.connect(self.save_contact_draft)
        self.editor.finalise_requested.connect(self.finalise)
        self.editor.action_requested.connect(self.add_agreed_action)
        self.editor.closed.connect(self._editor_closed)
        self.record_page.forms.new_requested.connect(self.new_form)
        self.record_page.forms.open_requested.connect(self.open_form)
        self.team_forms.new_requested.connect(self.new_form)
        self.team_forms.open_requested.connect(self.open_form)
        self.form_page.save_requested.connect(self.save_form)
        self.form_page.finalise_requested.connect(self.finalise_form)
        self.form_page.revise_requested.connect(self.revise_form)
        self.form_page.compare_requested.connect(self.compare_form)
        self.form_page.closed.connect(self.close_form)
        self.conflicts_page.resolve_requested.connect(self.resolve_from_page)
        self.conflicts_page.back.connect(self.show_caseload)
        self.tasks.busy_changed.connect(self._busy)

    def _actions(self) -> None:
        def action(text: str, keys: QKeySequence | str, slot: object) -> QAction:
            item = QAction(text, self)
            item.setShortcut(QKeySequence(keys))
            item.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            item.triggered.connect(slot)  # type: ignore[arg-type]
            self.addAction(item)
            return item

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(action("&New contact", QKeySequence.StandardKey.New, self.new_contact))
        file_menu.addAction(
            action("&Save draft", QKeySequence.StandardKey.Save, self.editor.save_now)
        )
        file_menu.addAction(
            action("&Print review pack…", QKeySequence.StandardKey.Print, self.print_review_pack)
        )
        file_menu.addSeparator()
        file_menu.addAction(action("&Lock", "Ctrl+L", lambda: self.lock("Locked.")))
        file_menu.addAction(action("&Quit", QKeySequence.StandardKey.Quit, self.close))
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(action("&Find…", QKeySequence.StandardKey.Find, self.focus_find))
        view_menu.addAction(action("&Back to caseload", "Alt+Left", self.show_caseload))
        sync_menu = self.menuBar().addMenu("S&ync")
        sync_menu.addAction(action("&Sign in to the central store…", "", self.sign_in))
        sync_menu.addAction(action("Sync &now", "F5", self.sync_now))
        sync_menu.addAction(action("&Conflicts…", "", self.show_conflicts))
        sync_menu.addAction(action("&Team sync status…", "", self.show_team_status))
        settings_menu = self.menuBar().addMenu("&Settings")
        settings_menu.addAction(action("Lock after &idle…", "", self._choose_idle_minutes))
        settings_menu.addAction(action("&Template problems…", "", self._show_template_problems))

    def _busy(self, busy: bool) -> None:
        if busy:
            QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        else:
            QApplication.restoreOverrideCursor()

    def say(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    # -- starting, unlocking, locking -------------------------------------------------------
    def start(self) -> None:
        data_dir = self.options.data_dir
        if not lifecycle.exists(data_dir):
            if self.options.demo and self.options.create_demo is not None:
                self.pages.setCurrentWidget(self.unlock_page)
                self.unlock_page.set_busy(True)
                self.unlock_page.message.setText(
                    "Creating the synthetic demo caseload (first run only)…"
                )
                self.tasks.run(
                    self.options.create_demo,
                    lambda _: self.unlock(self.options.passphrase or ""),
                    self._unlock_failed,
                )  # type: ignore[arg-type]
                return
            self.pages.setCurrentWidget(self.first_run)
            return
        self.pages.setCurrentWidget(self.unlock_page)
        self.unlock_page.reset()
        if self.options.passphrase:
            self.unlock(self.options.passphrase)

    def create_caseload(self, passphrase: str, user_name: str) -> None:
        data_dir = self.options.data_dir

        def create() -> tuple[Store, str]:
            created = lifecycle.create_caseload(
                data_dir, passphrase, DeviceSecrets.for_store(data_dir), user_name=user_name or None
            )
            return created.store, created.recovery_code

        def done(result: tuple[Store, str]) -> None:
            self.store, code = result
            self.first_run.show_recovery_code(code)

        self.tasks.run(create, done, lambda e: self.first_run.show_error(friendly(e)))

    def _after_first_run(self) -> None:
        if self.store is not None:
            self._unlocked(self.store)

    def unlock(self, passphrase: str) -> None:
        data_dir = self.options.data_dir
        self.unlock_page.set_busy(True)
        self.tasks.run(
            lambda: lifecycle.unlock_caseload(
                data_dir, passphrase, DeviceSecrets.for_store(data_dir)
            ),
            self._unlocked,
            self._unlock_failed,
        )

    def recover(self, code: str, new_passphrase: str) -> None:
        data_dir = self.options.data_dir
        self.tasks.run(
            lambda: lifecycle.recover_caseload(
                data_dir, code, new_passphrase, DeviceSecrets.for_store(data_dir)
            ),
            lambda store: (
                self._unlocked(store),
                self.say("Recovered: your new passphrase now opens the caseload."),
            ),
            self._unlock_failed,
        )

    def _unlock_failed(self, error: BaseException) -> None:
        self.pages.setCurrentWidget(self.unlock_page)
        self.unlock_page.show_error(friendly(error))
        self.failed.emit(friendly(error))

    def _unlocked(self, store: Store) -> None:
        self.store = store
        try:
            demo = KeyFile.read(store.data_dir).demo
        except (OSError, SecurityError):
            demo = False
        self.banner.setVisible(demo or self.options.demo)
        self.pages.setCurrentWidget(self.workspace)
        self.idle.start()
        self.say("Unlocked.")
        self.reload_caseload(then=self._return_to_where_i_was)
        self.refresh_sync_status()
        self.sync_now(quiet=True)  # queued behind the caseload: the screen comes first

    def lock(self, message: str) -> None:
        if self.store is None:
            return
        self.idle.stop()
        if self.views.currentWidget() is self.editor:
            self.where.editing = True
            self.editor.dirty = self.editor.dirty or self.editor.has_content()
            self.editor.save_now()
        else:
            self.where.editing = False
        if self.views.currentWidget() is self.form_page and self.form_slot:
            self.form_page.save_now()
            self.where.form_id = self.form_slot
        if self.record is not None and self.views.currentWidget() in (
            self.record_page,
            self.editor,
            self.form_page,
        ):
            self.where.young_person_id = self.record.person.id
            self.where.view = self.record_page.current_view()
        else:
            self.where.young_person_id = None
        self.tasks.wait()  # let the last save land before the key goes
        self.where.draft_contact_id = self.slot.contact_id if self.where.editing else None
        self.sync_timer.stop()
        self.sync_state = None
        self.sync_label.clear()
        store, self.store = self.store, None
        store.close()
        self.snapshot = None
        self.record = None
        self.caseload_page.clear()
        self.record_page.clear()
        self.editor.clear()
        self.form_page.clear()
        self.form_slot = None
        self.team_forms.list.clear()
        self.who.clear()
        self.pages.setCurrentWidget(self.unlock_page)
        self.unlock_page.reset(message)
        self.say(message)
        self.locked.emit()

    def _return_to_where_i_was(self) -> None:
        where, self.where = self.where, WhereIWas()
        if where.form_id:
            if where.young_person_id:
                self.record = None  # reloaded when the form closes
            self.open_form(where.form_id)
            return
        if where.young_person_id:
            self.open_record(
                where.young_person_id,
                None,
                view=where.view,
                then_edit=where.draft_contact_id if where.editing else None,
            )
            return
        reference = self.options.open_reference
        self.options.open_reference = None
        if reference and self.snapshot is not None:
            match = next((r for r in self.snapshot.rows if r.reference == reference), None)
            if match is None:
                self.say(f"No young person has the reference {reference}.")
                self.ready.emit()
                return
            self.open_record(match.young_person_id, None, view=self.options.view)
            return
        self.ready.emit()

    # -- caseload ---------------------------------------------------------------------------
    def reload_caseload(self, then: object = None) -> None:
        store = self.store
        if store is None:
            return

        def load() -> CaseloadSnapshot:
            with store.reading() as session:
                me = session.scalars(
                    select(Staff).where(Staff.user_name == store.user_name)
                ).first()
                team = session.get(Team, me.team_id) if me and me.team_id else None
                staff = [
                    (s.id, s.display_name)
                    for s in session.scalars(
                        select(Staff).where(Staff.active.is_(True)).order_by(Staff.display_name)
                    )
                ]
                return CaseloadSnapshot(
                    rows=caseload(session, user_name=store.user_name),
                    me=me,
                    team=team.name if team else None,
                    staff=staff,
                    drafts=draft_contacts(session, store.user_name),
                )

        def done(snapshot: CaseloadSnapshot) -> None:
            if self.store is not store:
                return  # locked meanwhile
            self.snapshot = snapshot
            self.caseload_page.set_user(store.user_name if snapshot.me else None, snapshot.team)
            self.caseload_page.set_rows(snapshot.rows)
            me = snapshot.me.display_name if snapshot.me else store.user_name
            self.who.setText(
                f"Signed in as <b>{me}</b>" + (f" · {snapshot.team}" if snapshot.team else "")
            )
            self.editor.set_staff(snapshot.staff, snapshot.me.id if snapshot.me else None)
            count = len(snapshot.drafts)
            self.drafts_button.setText(f"Continue draft ({count})")
            self.drafts_button.setVisible(count > 0)
            if callable(then):
                then()

        self.tasks.run(load, done, lambda e: self.say(friendly(e)))

    def show_caseload(self) -> None:
        if self.store is None:
            return
        if self.views.currentWidget() is self.editor:
            self.editor.save_now()
        self.views.setCurrentWidget(self.caseload_page)
        self.caseload_page.filter.setFocus()

    def focus_find(self) -> None:
        self.show_caseload()
        self.caseload_page.filter.selectAll()

    def search_notes(self, text: str) -> None:
        store = self.store
        if store is None:
            return
        if not text:
            self.caseload_page.show_hits("", [])
            return

        def run() -> list:  # type: ignore[type-arg]
            with store.reading() as session:
                return search(session, text)

        self.tasks.run(
            run,
            lambda hits: self.caseload_page.show_hits(text, hits),
            lambda e: self.say(friendly(e)),
        )

    # -- a young person's record ------------------------------------------------------------
    def open_record(
        self,
        young_person_id: str,
        select_contact: object = None,
        *,
        view: str | None = None,
        then_edit: str | None = None,
    ) -> None:
        store = self.store
        if store is None:
            return

        def load() -> YoungPersonRecord:
            record_opened(store, young_person_id)
            with store.reading() as session:
                return load_record(session, young_person_id)

        def done(record: YoungPersonRecord) -> None:
            if self.store is not store:
                return
            self.record = record
            self.record_page.show_record(
                record, select_contact if isinstance(select_contact, str) else None
            )
            self.fill_record_forms()
            if view in VIEWS:
                self.record_page.show_view(view)  # type: ignore[arg-type]
            elif isinstance(select_contact, str):
                self.record_page.show_view("contacts")
            self.views.setCurrentWidget(self.record_page)
            name = record.person.preferred_name or record.person.given_name
            self.setWindowTitle(f"{name} {record.person.family_name} – Keyworker")
            if then_edit:
                self.edit_draft(then_edit)
            else:
                self.ready.emit()

        self.tasks.run(load, done, lambda e: self.say(friendly(e)))

    def _reload_record(self, select_contact: str | None = None) -> None:
        if self.record is not None:
            self.open_record(
                self.record.person.id, select_contact, view=self.record_page.current_view()
            )

    # -- settings and layout ----------------------------------------------------------------
    def _choose_idle_minutes(self) -> None:
        minutes, ok = QInputDialog.getInt(
            self,
            "Auto-lock",
            "Lock the caseload after this many minutes without use:",
            int(self.idle.minutes),
            1,
            120,
        )
        if ok:
            self.idle.set_minutes(minutes)
            self.settings.setValue("idle_lock_minutes", minutes)
            if self.store is not None:
                self.idle.start()
            self.say(f"The caseload now locks after {minutes} minutes without use.")

    def _show_template_problems(self) -> None:
        problems = self.library.problems
        text = (
            "\n\n".join(str(p) for p in problems)
            if problems
            else "Every template file loaded without a problem."
        )
        QMessageBox.information(self, "Template files", text)

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        header = self.settings.value("caseload/header")
        if isinstance(
            header, QByteArray
        ) and self.caseload_page.table.horizontalHeader().restoreState(header):
            self.caseload_page._sized = True

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.store is not None and self.views.currentWidget() is self.editor:
            self.editor.save_now()
        self.tasks.wait()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue(
            "caseload/header", self.caseload_page.table.horizontalHeader().saveState()
        )
        if self.store is not None:
            self.store.close()
            self.store = None
        super().closeEvent(event)
