"""The main window: unlock, caseload, record, contact editor; locking and restoring.

Store work always runs through the one ``TaskRunner``; this class only decides what to run and
shows the results.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, QTimer, Signal
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
from sqlalchemy import func, select

from keyworker_app.domain.ids import new_id
from keyworker_app.forms.library import load_library
from keyworker_app.organisation import OrganisationSettings
from keyworker_app.security import SecurityError
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.security.keys import KeyFile
from keyworker_app.store import lifecycle
from keyworker_app.store.caseload import CaseloadRow, caseload
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import Contact, Staff, Team, YoungPerson
from keyworker_app.store.record import YoungPersonRecord, load_record
from keyworker_app.store.recording import (
    draft_contacts,
    record_opened,
)
from keyworker_app.store.search import search
from keyworker_app.sync.client import SyncState, Tokens, keep_sign_in, request_sign_in, sync
from keyworker_app.ui.caseload_page import CaseloadPage
from keyworker_app.ui.contact_editor import ContactEditor
from keyworker_app.ui.first_run import FirstRunPage
from keyworker_app.ui.form_flow import FormFlow
from keyworker_app.ui.form_pages import FormPage, FormsList
from keyworker_app.ui.idle import IdleWatcher
from keyworker_app.ui.messages import friendly
from keyworker_app.ui.not_accepted_page import NotAcceptedPage
from keyworker_app.ui.print_flow import PrintFlow
from keyworker_app.ui.record_page import VIEWS, RecordPage
from keyworker_app.ui.recording_flow import RecordingFlow
from keyworker_app.ui.sync_flow import SyncFlow
from keyworker_app.ui.sync_pages import ConflictsPage
from keyworker_app.ui.tasks import TaskRunner
from keyworker_app.ui.tour import Stop, Tour
from keyworker_app.ui.unlock_pages import UnlockPage

IDLE_SETTING = "practice.idle_lock_minutes"  # the organisation's key, and this user's choice


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
class PendingSignIn:
    """A first run's sign-in, kept in memory until the caseload exists to hold it."""

    server: str
    tokens: Tokens
    device_id: str


class _SyncProgress(QObject):
    """Carries the first sync's progress from the store worker to the GUI thread."""

    changed = Signal(str, object)


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
        self.organisation = options.organisation
        self.setWindowTitle("Keyworker")
        self.setMinimumSize(900, 600)
        self.tasks = TaskRunner(self)
        self.store: Store | None = None
        self.snapshot: CaseloadSnapshot | None = None
        self.record: YoungPersonRecord | None = None
        self.where = WhereIWas()
        self.slot = DraftSlot()
        self.settings = QSettings("Keyworker", "Keyworker")
        self.idle = IdleWatcher(self._idle_minutes(), self)
        self.idle.idle.connect(lambda: self.lock("Locked after a period without use."))
        QApplication.instance().installEventFilter(self.idle)  # type: ignore[union-attr]

        self.pages = QStackedWidget()
        self.setCentralWidget(self.pages)
        self.first_run = FirstRunPage(
            os.environ.get("USER", ""), server=self.organisation.central_store_url
        )
        self.pending_sign_in: PendingSignIn | None = None
        self.tour: Tour | None = None
        self.tour_pending = False
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
        self.lock_button = QPushButton("Lock")
        self.lock_button.setToolTip("Lock the caseload (Ctrl+L)")
        self.lock_button.clicked.connect(lambda: self.lock("Locked."))
        top.addWidget(self.lock_button)
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
        self.not_accepted_page = NotAcceptedPage()
        self.views.addWidget(self.not_accepted_page)
        self.syncing = False
        self.sync_state: SyncState | None = None
        self.sync_timer = QTimer(self)
        self.sync_timer.setSingleShot(True)
        self.sync_timer.timeout.connect(lambda: self.sync_now(quiet=True))
        self.sync_label = QLabel()
        self.sync_label.setAccessibleName("Sync status")
        self.sync_label.setTextFormat(Qt.TextFormat.RichText)  # its counts link to their pages
        self.sync_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.statusBar().addPermanentWidget(self.sync_label)
        self.library = load_library(enabled=self.organisation.templates)
        self.form_slot: str | None = None
        self.form_return: QWidget | None = None

        self._connect()
        self._actions()
        self._restore_layout()

    # -- wiring ---------------------------------------------------------------------------
    def _connect(self) -> None:
        self.first_run.sign_in_requested.connect(self.first_sign_in)
        self.first_run.create_requested.connect(self.create_caseload)
        self.first_run.code_stored.connect(self.first_sync)
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
        self.not_accepted_page.resend_requested.connect(self.resend_refused)
        self.not_accepted_page.export_requested.connect(self.export_not_accepted)
        self.not_accepted_page.discard_requested.connect(self.discard_not_accepted)
        self.not_accepted_page.back.connect(self.show_caseload)
        self.sync_label.linkActivated.connect(self.open_sync_link)
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
        sync_menu.addAction(action("Not &accepted…", "", self.show_not_accepted))
        sync_menu.addAction(action("&Team sync status…", "", self.show_team_status))
        settings_menu = self.menuBar().addMenu("&Settings")
        idle_action = action("Lock after &idle…", "", self._choose_idle_minutes)
        if not self._user_may_change_idle():
            idle_action.setText(
                f"Locks after {self.organisation.idle_lock_minutes} minutes without use "
                "(set by your organisation)"
            )
            idle_action.setEnabled(False)
        settings_menu.addAction(idle_action)
        settings_menu.addAction(action("&Template problems…", "", self._show_template_problems))
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(action("Caseload &tour", "", self.show_tour))
        help_menu.addAction(action("&About Keyworker", "", self._about))

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

    # -- first run: sign in, passphrase, recovery code, first sync, tour ----------------------
    def first_sign_in(self, server: str, user: str, password: str) -> None:
        """Check the account before anything is made: the device id signed in with here is
        the one the new caseload will carry."""
        device_id = new_id()

        def signed_in(tokens: Tokens) -> None:
            self.pending_sign_in = PendingSignIn(server, tokens, device_id)
            self.first_run.signed_in(tokens.user.user_name, tokens.user.display_name)

        self.tasks.run(
            lambda: request_sign_in(server, user, password, device_id),
            signed_in,
            lambda e: self.first_run.sign_in_failed(friendly(e)),
        )

    def create_caseload(self, passphrase: str, user_name: str) -> None:
        data_dir = self.options.data_dir
        pending = self.pending_sign_in

        def create() -> tuple[Store, str, str | None]:
            created = lifecycle.create_caseload(
                data_dir,
                passphrase,
                DeviceSecrets.for_store(data_dir),
                user_name=(pending.tokens.user.user_name if pending else user_name) or None,
                device_id=pending.device_id if pending else None,
            )
            problem = None
            if pending is not None:
                try:
                    keep_sign_in(created.store, pending.server, pending.tokens)
                except Exception as error:  # noqa: BLE001 - the caseload stands; say why
                    problem = friendly(error)
            return created.store, created.recovery_code, problem

        def done(result: tuple[Store, str, str | None]) -> None:
            self.store, code, problem = result
            self.pending_sign_in = None  # the tokens now live in the keyring, or nowhere
            if problem is not None:
                self.first_run.signed_in_as = None  # no first sync: sign in again later
                self.say(problem)
            self.first_run.show_recovery_code(code)

        self.tasks.run(create, done, lambda e: self.first_run.show_error(friendly(e)))

    def first_sync(self) -> None:
        store = self.store
        if store is None:
            return
        relay = _SyncProgress(self)
        relay.changed.connect(self.first_run.sync_progress)

        def run() -> tuple[int, int]:
            report = sync(store, progress=relay.changed.emit)
            with store.reading() as session:
                young_people = session.scalar(select(func.count()).select_from(YoungPerson))
            return int(young_people or 0), report.pulled

        def done(result: tuple[int, int]) -> None:
            relay.deleteLater()
            self.first_run.sync_finished(*result)

        def failed(error: BaseException) -> None:
            relay.deleteLater()
            self.first_run.sync_failed(friendly(error))

        self.tasks.run(run, done, failed)

    def _after_first_run(self) -> None:
        if self.store is not None:
            self.tour_pending = True
            self._unlocked(self.store)

    def show_tour(self) -> None:
        if self.store is None or self.pages.currentWidget() is not self.workspace:
            return
        if self.tour is not None:
            self.tour.finish()
        self.show_caseload()
        standard = self.organisation.visiting_standard_days
        within = f"within {standard} days" if standard else "within the team's visiting standard"
        minutes = int(self.idle.minutes)
        stops = [
            Stop(
                self.caseload_page.table,
                "Your caseload",
                "Everyone you keywork, with when they were last seen and their open actions. "
                f"Young people not seen {within} are flagged, so you can see at "
                "a glance who needs a visit.",
            ),
            Stop(
                self.caseload_page.filter,
                "Find someone",
                "Type part of a name or reference to narrow the list, or words from a note to "
                "search every note (Ctrl+F). Press Enter to open the first match.",
            ),
            Stop(
                self.caseload_page.table,
                "Record a visit",
                "Open a young person (double-click, or Enter), then New contact (Ctrl+N). Your "
                "words are saved as you type, even if the laptop switches off; Finalise when "
                "the record is complete.",
            ),
            Stop(
                self.sync_label,
                "Working offline",
                "Everything works without a network. Your records go to the central store when "
                "there is one; if someone changed the same thing, both versions are kept and "
                "shown under Sync › Conflicts.",
            ),
            Stop(
                self.lock_button,
                "Lock when you step away",
                f"Lock (Ctrl+L) before leaving the laptop. It also locks itself after {minutes} "
                "minutes without use. Help › Caseload tour shows this tour again.",
            ),
        ]
        self.tour = Tour(self, stops)
        self.tour.ended.connect(self._tour_ended)

    def _tour_ended(self) -> None:
        self.tour = None
        self.caseload_page.filter.setFocus()

    def _about(self) -> None:
        from keyworker_app import __version__

        name = self.organisation.name or "your organisation"
        QMessageBox.about(
            self,
            "About Keyworker",
            f"Keyworker {__version__}\n\nSet up for {name}. Central store: "
            f"{self.organisation.central_store_url or 'chosen at sign-in'}.\n\nYour caseload "
            "is kept encrypted on this laptop.",
        )

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
        self.forget_not_accepted()
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
        if self.tour_pending:
            self.tour_pending = False
            self.show_tour()
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
                    rows=caseload(
                        session,
                        user_name=store.user_name,
                        visiting_standard_days=self.organisation.visiting_standard_days,
                    ),
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
    def _user_may_change_idle(self) -> bool:
        return self.organisation.user_may_change(IDLE_SETTING)

    def _idle_minutes(self) -> float:
        """The organisation's setting, or this user's own choice where the organisation allows
        one."""
        chosen = self.settings.value(IDLE_SETTING) if self._user_may_change_idle() else None
        try:
            return float(chosen) if chosen is not None else self.organisation.idle_lock_minutes
        except (TypeError, ValueError):
            return self.organisation.idle_lock_minutes

    def _choose_idle_minutes(self) -> None:
        if not self._user_may_change_idle():
            return
        minutes, ok = QInputDialog.getInt(
            self,
            "Auto-lock",
            "Lock the caseload after this many minutes without use:",
            int(self.idle.minutes),
            1,
            240,
        )
        if ok:
            self.idle.set_minutes(minutes)
            self.settings.setValue(IDLE_SETTING, minutes)
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
