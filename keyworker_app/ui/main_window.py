"""The main window: it builds the widgets, creates the parts that drive them and connects the
two. Opening, locking and coming back to where the worker was are its own; everything else
belongs to one part with its own state: the caseload list, the open record, recording, forms,
sync, printing and the first run. They write through one set of operations (operations.py) and
are kept current by the store's change event (store_events.py); none reloads another.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QStackedWidget,
)

from keyworker_app.forms.library import load_library
from keyworker_app.store.caseload_store import Store
from keyworker_app.ui.caseload_list import CaseloadList
from keyworker_app.ui.caseload_page import CaseloadPage
from keyworker_app.ui.contact_editor import ContactEditor
from keyworker_app.ui.first_run import FirstRunPage
from keyworker_app.ui.first_run_flow import FirstRun
from keyworker_app.ui.form_flow import Forms
from keyworker_app.ui.form_pages import FormPage, TeamFormsPage
from keyworker_app.ui.idle import IdleChoice, IdleWatcher
from keyworker_app.ui.menus import SEPARATOR, Item, add_menus, show_about, show_template_problems
from keyworker_app.ui.not_accepted_page import NotAcceptedPage
from keyworker_app.ui.open_record import OpenRecord
from keyworker_app.ui.opening import Opening, Parts, Screens, StartOptions
from keyworker_app.ui.operations import Operations
from keyworker_app.ui.print_flow import Printing
from keyworker_app.ui.record_page import RecordPage
from keyworker_app.ui.recording_flow import Recording
from keyworker_app.ui.session import Session
from keyworker_app.ui.store_events import StoreEvents
from keyworker_app.ui.sync_flow import SyncControl
from keyworker_app.ui.sync_pages import ConflictsPage, status_label
from keyworker_app.ui.tasks import TaskRunner
from keyworker_app.ui.tour import Tour, TourTargets, caseload_tour
from keyworker_app.ui.unlock_pages import UnlockPage
from keyworker_app.ui.workspace import Workspace


class MainWindow(QMainWindow):
    ready = Signal()  # the requested screen has finished loading (used by --screenshot)
    failed = Signal(str)  # opening failed; the message says why
    locked = Signal()

    def __init__(self, options: StartOptions) -> None:
        super().__init__()
        self.options = options
        self.organisation = options.organisation
        self.setWindowTitle("Keyworker")
        self.setMinimumSize(900, 600)
        self.settings = QSettings("Keyworker", "Keyworker")
        self.idle_choice = IdleChoice(self.organisation, self.settings)
        self.idle = IdleWatcher(self.idle_choice.minutes(), self)
        self.idle.idle.connect(lambda: self.lock("Locked after a period without use."))
        QApplication.instance().installEventFilter(self.idle)  # type: ignore[union-attr]
        self.library = load_library(enabled=self.organisation.templates)
        self.tour: Tour | None = None
        self._build_pages()
        self._build_parts()
        self._build_opening()
        self._connect()
        self._actions()
        self._restore_layout()

    # -- building ---------------------------------------------------------------------------
    def _build_pages(self) -> None:
        self.first_run = FirstRunPage(
            os.environ.get("USER", ""), server=self.organisation.central_store_url
        )
        self.unlock_page = UnlockPage()
        self.caseload_page = CaseloadPage()
        self.record_page = RecordPage()
        self.editor = ContactEditor()
        self.form_page = FormPage()
        self.team_forms_page = TeamFormsPage()
        self.conflicts_page = ConflictsPage()
        self.not_accepted_page = NotAcceptedPage()
        self.workspace = Workspace(
            [
                self.caseload_page,
                self.record_page,
                self.editor,
                self.form_page,
                self.team_forms_page,
                self.conflicts_page,
                self.not_accepted_page,
            ]
        )
        self.views = self.workspace.views
        self.pages = QStackedWidget()
        for page in (self.first_run, self.unlock_page, self.workspace):
            self.pages.addWidget(page)
        self.setCentralWidget(self.pages)
        self.sync_label = status_label()
        self.statusBar().addPermanentWidget(self.sync_label)

    def _build_parts(self) -> None:
        self.tasks = TaskRunner(self)
        self.session = Session()
        self.events = StoreEvents(self)
        self.ops = Operations(self.tasks, self.session, self.say)
        ready = self.ready.emit
        self.caseload = CaseloadList(
            self.ops,
            self.session,
            self.views,
            self.caseload_page,
            self.workspace.who,
            self.workspace.drafts_button,
            visiting_standard_days=self.organisation.visiting_standard_days,
        )
        self.records = OpenRecord(
            self.ops,
            self.session,
            self.views,
            self.record_page,
            self.library,
            ready=ready,
            back=self.show_caseload,
            set_title=self.setWindowTitle,
        )
        self.recording = Recording(
            self.ops,
            self.session,
            self.views,
            self.caseload_page,
            self.editor,
            self.records,
            ready=ready,
        )
        self.forms = Forms(
            self.ops,
            self.session,
            self.library,
            self.views,
            self.form_page,
            self.team_forms_page,
            self.records,
            ready=ready,
            parent=self,
        )
        self.sync = SyncControl(
            self.ops,
            self.session,
            self.views,
            self.sync_label,
            self.conflicts_page,
            self.not_accepted_page,
            central_store_url=self.organisation.central_store_url,
            ready=ready,
            parent=self,
        )
        self.printing = Printing(self.ops, self.session, self.organisation, self)

    def _build_opening(self) -> None:
        self.starting = FirstRun(
            self.tasks,
            self.session,
            self.first_run,
            self.options.data_dir,
            say=self.say,
            parent=self,
        )
        screens = Screens(
            self.pages,
            self.first_run,
            self.unlock_page,
            self.workspace,
            self.workspace.banner,
            self.views,
            self.caseload_page,
            self.record_page,
            self.editor,
            self.form_page,
        )
        parts = Parts(
            self.caseload, self.records, self.recording, self.forms, self.sync, self.printing
        )
        self.opening = Opening(
            self.tasks,
            self.session,
            self.events,
            self.options,
            screens,
            parts,
            self.idle,
            say=self.say,
            ready=self.ready.emit,
            failed=self.failed.emit,
            locked=self.locked.emit,
            show_tour=self.show_tour,
        )

    # -- wiring ---------------------------------------------------------------------------
    def _connect(self) -> None:
        """What goes from one part to another; each part connects its own pages itself."""
        # The record on screen first: it is what the worker is looking at.
        for part in (self.records, self.caseload, self.forms, self.sync):
            self.events.changed.connect(part.changed)
        self.sync.device_wiped.connect(self.opening.close)
        self.first_run.finished.connect(self.opening.after_first_run)
        self.unlock_page.unlock_requested.connect(self.opening.unlock)
        self.unlock_page.recover_requested.connect(self.opening.recover)
        self.workspace.drafts_button.clicked.connect(self.recording.continue_latest_draft)
        self.workspace.team_button.clicked.connect(self.forms.show_team_forms)
        self.workspace.lock_button.clicked.connect(lambda: self.lock("Locked."))
        self.caseload_page.open_requested.connect(self.records.open)
        for page in (
            self.record_page,
            self.team_forms_page,
            self.conflicts_page,
            self.not_accepted_page,
        ):
            page.back.connect(self.show_caseload)
        self.tasks.busy_changed.connect(self._busy)

    def _actions(self) -> None:
        keys, sync = QKeySequence.StandardKey, self.sync
        idle_text = "Lock after &idle…"
        if not self.idle_choice.user_may_change:
            idle_text = (
                f"Locks after {self.organisation.idle_lock_minutes} minutes without use "
                "(set by your organisation)"
            )
        add_menus(
            self,
            {
                "&File": [
                    Item("&New contact", self.recording.new_contact, keys.New),
                    Item("&Save draft", self.editor.save_now, keys.Save),
                    Item("&Print review pack…", self.printing.print_review_pack, keys.Print),
                    SEPARATOR,
                    Item("&Lock", lambda: self.lock("Locked."), "Ctrl+L"),
                    Item("&Quit", self.close, keys.Quit),
                ],
                "&View": [
                    Item("&Find…", self.focus_find, keys.Find),
                    Item("&Back to caseload", self.show_caseload, "Alt+Left"),
                ],
                "S&ync": [
                    Item("&Sign in to the central store…", sync.sign_in),
                    Item("Sync &now", sync.sync_now, "F5"),
                    Item("&Conflicts…", sync.show_conflicts),
                    Item("Not &accepted…", sync.show_not_accepted),
                    Item("&Team sync status…", sync.show_team_status),
                ],
                "&Settings": [
                    Item(
                        idle_text,
                        self._choose_idle_minutes,
                        enabled=self.idle_choice.user_may_change,
                    ),
                    Item(
                        "&Template problems…",
                        lambda: show_template_problems(self, self.library),
                    ),
                ],
                "&Help": [
                    Item("Caseload &tour", self.show_tour),
                    Item("&About Keyworker", lambda: show_about(self, self.organisation)),
                ],
            },
        )

    def _busy(self, busy: bool) -> None:
        if busy:
            QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        else:
            QApplication.restoreOverrideCursor()

    def say(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    @property
    def store(self) -> Store | None:
        """The open caseload's store (None while locked)."""
        return self.session.store

    def open_record(
        self,
        young_person_id: str,
        select_contact: object = None,
        *,
        view: str | None = None,
        then_edit: str | None = None,
    ) -> None:
        """Open a young person's record, then (``then_edit``) a draft or "new" contact."""
        self.records.open(
            young_person_id,
            select_contact,
            view=view,
            then=(lambda: self.recording.edit_draft(then_edit)) if then_edit else None,
        )

    # -- opening and locking (tests, the benchmarks and scripts call these) -----------------
    def start(self) -> None:
        self.opening.start()

    def unlock(self, passphrase: str) -> None:
        self.opening.unlock(passphrase)

    def lock(self, message: str) -> None:
        self.opening.lock(message)

    # -- the caseload and help --------------------------------------------------------------
    def show_caseload(self) -> None:
        if self.session.store is None:
            return
        if self.views.currentWidget() is self.editor:
            self.editor.save_now()
        self.views.setCurrentWidget(self.caseload_page)
        self.caseload_page.filter.setFocus()

    def focus_find(self) -> None:
        self.show_caseload()
        self.caseload_page.filter.selectAll()

    def show_tour(self) -> None:
        if self.session.store is None or self.pages.currentWidget() is not self.workspace:
            return
        if self.tour is not None:
            self.tour.finish()
        self.show_caseload()
        page = self.caseload_page
        self.tour = caseload_tour(
            self,
            TourTargets(page.table, page.filter, self.sync_label, self.workspace.lock_button),
            visiting_standard_days=self.organisation.visiting_standard_days,
            idle_minutes=int(self.idle.minutes),
        )
        self.tour.ended.connect(self._tour_ended)

    def _tour_ended(self) -> None:
        self.tour = None
        self.caseload_page.filter.setFocus()

    # -- settings and layout ----------------------------------------------------------------
    def _choose_idle_minutes(self) -> None:
        minutes = self.idle_choice.choose(self, self.idle.minutes)
        if minutes is None:
            return
        self.idle.set_minutes(minutes)
        if self.session.store is not None:
            self.idle.start()
        self.say(f"The caseload now locks after {minutes} minutes without use.")

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
        if self.session.store is not None and self.views.currentWidget() is self.editor:
            self.editor.save_now()
        self.events.watch(None)
        self.tasks.settle()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue(
            "caseload/header", self.caseload_page.table.horizontalHeader().saveState()
        )
        store, self.session.store = self.session.store, None
        if store is not None:
            store.close()
        super().closeEvent(event)
