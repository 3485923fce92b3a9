"""Sync: sign in, sync in the background (on unlock, every few minutes while the central store
answers, and on demand), the status line, conflicts, the changes the central store did not
accept, and the team's sync status for supervisors. What a sync writes reaches the caseload and
the open record through the store's change event; the status line and the pages here listen to
it too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QDialog, QLabel, QStackedWidget, QWidget
from sqlalchemy import select

from keyworker_app.store.caseload_store import Store
from keyworker_app.store.changes import StoreChange
from keyworker_app.store.models import RECORD_TYPES, SyncConflict, YoungPerson
from keyworker_app.sync.client import (
    SERVER_URL,
    SYNC_USER,
    DeviceWiped,
    SignInNeeded,
    SyncReport,
    SyncState,
    login,
    open_conflicts,
    resolve_conflict,
    setting,
    sync,
    sync_state,
    team_status,
)
from keyworker_app.sync.refused import discard, export_refused, refused_changes, resend
from keyworker_app.ui.messages import friendly
from keyworker_app.ui.not_accepted_page import CLOCK_FIELDS, NotAccepted, NotAcceptedPage
from keyworker_app.ui.operations import Finished, Operations, Refresh
from keyworker_app.ui.session import Session
from keyworker_app.ui.sync_pages import ConflictsPage, SignInDialog, TeamStatusDialog

SYNC_EVERY_MS = 5 * 60 * 1000
# Where a link in the status line leads.
CONFLICTS_LINK = "conflicts"
NOT_ACCEPTED_LINK = "not-accepted"


def _names(store: Store) -> dict[str, str]:
    with store.reading() as session:
        return {
            p.id: f"{p.preferred_name or p.given_name} {p.family_name}"
            for p in session.query(YoungPerson)
        }


def load_not_accepted(store: Store) -> list[NotAccepted]:
    """The refused changes with what the page needs beside them: the young person's name, and
    for a refusal about the clock, the time as this laptop holds it (to correct it from)."""
    items = refused_changes(store)
    names = _names(store)
    shown = []
    with store.reading() as session:
        for item in items:
            moment = None
            field = CLOCK_FIELDS.get(item.record_type)
            model = RECORD_TYPES.get(item.record_type)
            if item.code == "clock" and field is not None and model is not None:
                moment = session.scalar(
                    select(getattr(model, field[0])).where(model.id == item.record_id)
                )
            shown.append(NotAccepted(item, names.get(item.young_person_id or ""), moment))
    return shown


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def sync_message(report: SyncReport) -> str:
    """What a finished sync says in the status bar."""
    message = f"Synced: {report.pushed} sent, {report.pulled} received"
    # What waits for the user first: nobody else has a change that was not accepted.
    if report.not_accepted:
        message += (
            f", {_plural(report.not_accepted, 'change', 'changes')} not accepted by the "
            "central store (Sync › Not accepted)"
        )
    if report.open_conflicts:
        look = "" if report.not_accepted else " to look at"  # the status bar is short
        message += f", {report.open_conflicts} conflict(s){look} (Sync › Conflicts)"
    if report.set_aside:
        message += (
            f", {_plural(report.set_aside, 'record', 'records')} from the central store "
            "kept aside on this laptop (tried again at each sync)"
        )
    return message + "."


def status_text(state: SyncState, *, offline: bool) -> str:
    """The status line, with links to the pages that deal with what waits."""
    if not state.signed_in:
        return "Not signed in to a central store"
    last = state.last_sync.astimezone().strftime("%d %b %H:%M") if state.last_sync else "never"
    text = ("Offline · " if offline else "") + f"Last sync {last} · {state.pending} unsent"
    # Links: a click (or Tab then Enter) opens the page that deals with them.
    if state.open_conflicts:
        text += f" · <a href='{CONFLICTS_LINK}'>{state.open_conflicts} conflict(s)</a>"
    if state.not_accepted:
        text += f" · <a href='{NOT_ACCEPTED_LINK}'>{state.not_accepted} not accepted</a>"
    return text


def _load_conflicts(store: Store) -> tuple[list[SyncConflict], dict[str, str]]:
    return open_conflicts(store), _names(store)


class SyncControl(QObject):
    device_wiped = Signal(str)  # the central store wiped this laptop; the sentence says so

    def __init__(
        self,
        ops: Operations,
        session: Session,
        views: QStackedWidget,
        label: QLabel,
        conflicts_page: ConflictsPage,
        not_accepted_page: NotAcceptedPage,
        *,
        central_store_url: str | None,
        ready: Callable[[], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.ops = ops
        self.session = session
        self.views = views
        self.label = label
        self.conflicts_page = conflicts_page
        self.not_accepted_page = not_accepted_page
        self.central_store_url = central_store_url
        self.ready = ready
        self.parent_widget = parent  # of the dialogs
        self.syncing = False
        self.state: SyncState | None = None
        self.offline = False
        self.sign_in_expired = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(lambda: self.sync_now(quiet=True))
        self.status = Refresh(self._read_status)
        self.conflicts = Refresh(self._read_conflicts)
        self.not_accepted = Refresh(self._read_not_accepted)
        self._replace_list = False
        label.linkActivated.connect(self.open_sync_link)
        conflicts_page.resolve_requested.connect(self.resolve_from_page)
        not_accepted_page.resend_requested.connect(self.resend_refused)
        not_accepted_page.export_requested.connect(self.export_not_accepted)
        not_accepted_page.discard_requested.connect(self.discard_not_accepted)

    def start(self) -> None:
        """A caseload has opened: show its status, then sync quietly behind what is queued."""
        self.status.request()
        self.sync_now(quiet=True)

    # -- signing in and syncing -------------------------------------------------------------
    def sign_in(self) -> None:
        store = self.session.store
        if store is None:
            return
        dialog = SignInDialog(
            setting(store, SERVER_URL) or self.central_store_url or "",
            setting(store, SYNC_USER) or store.user_name,
            self.parent_widget,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        server, user, password = (
            dialog.server.text().strip(),
            dialog.user.text().strip(),
            dialog.password.text(),
        )
        self.ops.run_op(
            lambda store: login(store, server, user, password),
            lambda tokens: self._signed_in(tokens.user.display_name),
        )

    def _signed_in(self, name: str) -> None:
        self.ops.say(f"Signed in as {name}.")
        self.state = None  # signed in now: let the next sync run
        self.sign_in_expired = False
        self.sync_now()

    def sync_now(self, quiet: bool = False) -> None:
        if self.session.store is None or self.syncing:
            return
        if self.state is not None and not self.state.signed_in:
            if not quiet:
                self.ops.say("Not signed in to a central store: Sync › Sign in.")
            return
        self.syncing = True
        self.label.setText("Syncing…")

        def done(report: SyncReport) -> None:
            self.syncing = self.offline = self.sign_in_expired = False
            self.timer.start(SYNC_EVERY_MS)  # the store answers: keep syncing
            message = sync_message(report)
            self.ops.say(message)
            self._show_status()
            if self.views.currentWidget() is self.not_accepted_page:
                self.not_accepted_page.show_message(message)

        def failed(error: BaseException) -> None:
            self.syncing = False
            if isinstance(error, DeviceWiped):
                self.device_wiped.emit(str(error))
                return
            self.timer.stop()  # offline: try again when asked or at the next unlock
            if isinstance(error, SignInNeeded):
                # Said even after a background sync: nothing reaches the central store until
                # the worker signs in again, and the status line alone would read "offline".
                self.sign_in_expired = True
                self._show_status()
                self.ops.say(
                    "Your sign-in to the central store has expired; sign in again (Sync › "
                    "Sign in). Everything on this laptop is kept and will be sent then."
                )
                return
            self.offline = True
            self._show_status()
            if not quiet:
                self.ops.say(friendly(error))
                if self.views.currentWidget() is self.not_accepted_page:
                    self.not_accepted_page.show_message(friendly(error), error=True)

        if not self.ops.run_op(sync, done, failed):
            self.syncing = False

    # -- listening to the store -------------------------------------------------------------
    def changed(self, change: StoreChange) -> None:
        self.status.request()  # any write changes what is unsent
        about_sync = change.sync or change.bookkeeping or change.about("sync_conflict")
        if about_sync and self.views.currentWidget() is self.conflicts_page:
            self.conflicts.request()
        if about_sync and self.views.currentWidget() is self.not_accepted_page:
            self.not_accepted.request()

    def _read_status(self, finished: Finished) -> bool:
        def done(state: SyncState) -> None:
            self.state = state
            self._show_status()
            finished()

        return self.ops.run_query(sync_state, done, lambda _: finished())

    def _show_status(self) -> None:
        if self.syncing:
            return  # "Syncing…" until it ends
        if self.sign_in_expired:
            self.label.setText("Sign-in expired · Sync › Sign in")
        elif self.state is not None:
            self.label.setText(status_text(self.state, offline=self.offline))

    # -- conflicts --------------------------------------------------------------------------
    def show_conflicts(self) -> None:
        if self.session.store is None:
            return
        self.conflicts.request()
        self.conflicts.after(lambda: self._arrive(self.conflicts_page))

    def _arrive(self, page: QWidget) -> None:
        if self.session.store is not None:
            self.views.setCurrentWidget(page)
            self.ready()

    def _read_conflicts(self, finished: Finished) -> bool:
        def done(result: tuple[list[SyncConflict], dict[str, str]]) -> None:
            self.conflicts_page.set_conflicts(*result)
            finished()

        def failed(error: BaseException) -> None:
            self.ops.say(friendly(error))
            finished()

        return self.ops.run_query(_load_conflicts, done, failed)

    def resolve_from_page(self, conflict_id: str, keep: str, text: object) -> None:
        choice = text if keep == "text" and isinstance(text, str) else keep
        proposal = self.conflicts_page.is_proposal(conflict_id)
        said = {
            "addendum": "The change was added to the contact as an addendum; every laptop will "
            "show it after its next sync.",
            "final": "The final note stays as it is; the proposed change is set aside.",
        }.get(
            "final" if keep == "kept" and proposal else keep,
            "Conflict resolved; both laptops will show the chosen value.",
        )
        self.ops.run_op(lambda store: resolve_conflict(store, conflict_id, choice), message=said)

    def open_sync_link(self, link: str) -> None:
        if link == CONFLICTS_LINK:
            self.show_conflicts()
        elif link == NOT_ACCEPTED_LINK:
            self.show_not_accepted()

    # -- changes the central store did not accept -------------------------------------------
    def show_not_accepted(self) -> None:
        if self.session.store is None:
            return
        self._replace_list = True
        self.not_accepted.request()
        self.not_accepted.after(self._arrive_at_not_accepted)

    def _arrive_at_not_accepted(self) -> None:
        page = self.not_accepted_page
        arriving = self.views.currentWidget() is not page
        self._arrive(page)
        if arriving:
            page.focus_first()

    def _read_not_accepted(self, finished: Finished) -> bool:
        def done(entries: list[NotAccepted]) -> None:
            page = self.not_accepted_page
            # Replaced only when the list changed: a correction being typed stays put.
            numbers = sorted(entry.item.number for entry in entries)
            if self._replace_list or numbers != sorted(page.entries):
                page.set_changes(entries)
            self._replace_list = False
            finished()

        def failed(error: BaseException) -> None:
            self.ops.say(friendly(error))
            finished()

        return self.ops.run_query(load_not_accepted, done, failed)

    def resend_refused(self, numbers: list[int], corrections: dict[str, str] | None) -> None:
        def sent(count: int) -> None:
            self.not_accepted_page.show_message(
                f"{_plural(count, 'change', 'changes')} put back to be sent; syncing now."
            )
            self.sync_now()  # the answer comes back at once: accepted, or here again

        self.ops.run_op(
            lambda store: resend(store, numbers, corrections or None),
            sent,
            lambda e: self.not_accepted_page.show_message(friendly(e), error=True),
        )

    def export_not_accepted(self, path: Path) -> None:
        def failed(error: BaseException) -> None:
            if isinstance(error, OSError):
                text = (
                    f"The file could not be written ({error.strerror or type(error).__name__}); "
                    "choose another folder."
                )
            else:
                text = friendly(error)
            self.not_accepted_page.show_message(text, error=True)

        self.ops.run_op(
            lambda store: export_refused(store, path),
            lambda count: self.not_accepted_page.show_message(
                f"Wrote {_plural(count, 'change', 'changes')} to {path}. The file is not "
                "encrypted: keep it safe, and delete it once the changes are dealt with."
            ),
            failed,
        )

    def discard_not_accepted(self, numbers: list[int]) -> None:
        self.ops.run_op(
            lambda store: discard(store, numbers),
            lambda count: self.not_accepted_page.show_message(
                f"Discarded {_plural(count, 'change', 'changes')}."
            ),
            lambda e: self.not_accepted_page.show_message(friendly(e), error=True),
        )

    def show_team_status(self) -> None:
        self.ops.run_query(
            team_status, lambda rows: TeamStatusDialog(rows, self.parent_widget).exec()
        )

    def forget(self) -> None:
        """At lock: nothing of the status or of these pages stays on screen."""
        for refresh in (self.status, self.conflicts, self.not_accepted):
            refresh.reset()
        self.timer.stop()
        self.state = None
        self.offline = self.sign_in_expired = self.syncing = False
        self.label.clear()
        self.conflicts_page.set_conflicts([], {})
        self.not_accepted_page.clear()
