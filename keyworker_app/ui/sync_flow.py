"""Sync from the main window: sign in, sync in the background (on unlock, every few minutes
while the central store answers, and on demand), the status indicator, conflicts, and the
team's sync status for supervisors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog

from keyworker_app.store.models import YoungPerson
from keyworker_app.sync.client import (
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
from keyworker_app.ui.messages import friendly
from keyworker_app.ui.sync_pages import SignInDialog, TeamStatusDialog

if TYPE_CHECKING:
    from keyworker_app.ui.main_window import MainWindow

SYNC_EVERY_MS = 5 * 60 * 1000


class SyncFlow:
    """Mixed into MainWindow: everything about the central store."""

    def sign_in(self: MainWindow) -> None:
        store = self.store
        if store is None:
            return
        from keyworker_app.sync.client import SERVER_URL, SYNC_USER

        dialog = SignInDialog(
            setting(store, SERVER_URL) or self.organisation.central_store_url or "",
            setting(store, SYNC_USER) or store.user_name,
            self,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        server, user, password = (
            dialog.server.text().strip(),
            dialog.user.text().strip(),
            dialog.password.text(),
        )
        self.tasks.run(
            lambda: login(store, server, user, password),
            lambda tokens: self._signed_in(tokens.user.display_name),
            lambda e: self.say(friendly(e)),
        )

    def _signed_in(self: MainWindow, name: str) -> None:
        self.say(f"Signed in as {name}.")
        self.sync_state = None  # signed in now: let the next sync run
        self.sync_now()

    def sync_now(self: MainWindow, quiet: bool = False) -> None:
        store = self.store
        if store is None or self.syncing:
            return
        if self.sync_state is not None and not self.sync_state.signed_in:
            if not quiet:
                self.say("Not signed in to a central store: Sync › Sign in.")
            return
        self.syncing = True
        self.sync_label.setText("Syncing…")

        def done(report: SyncReport) -> None:
            self.syncing = False
            self.sync_timer.start(SYNC_EVERY_MS)  # the store answers: keep syncing
            message = f"Synced: {report.pushed} sent, {report.pulled} received"
            if report.open_conflicts:
                message += f", {report.open_conflicts} conflict(s) to look at (Sync › Conflicts)"
            self.say(message + ".")
            self.refresh_sync_status()
            if report.pulled or report.removed:
                self.reload_caseload()

        def failed(error: BaseException) -> None:
            self.syncing = False
            if isinstance(error, DeviceWiped):
                self.store = None
                self.pages.setCurrentWidget(self.unlock_page)
                self.unlock_page.reset(str(error))
                return
            self.sync_timer.stop()  # offline: try again when asked or at the next unlock
            if isinstance(error, SignInNeeded):
                # Said even after a background sync: nothing reaches the central store until
                # the worker signs in again, and the status line alone would read "offline".
                self.sync_label.setText("Sign-in expired · Sync › Sign in")
                self.say(
                    "Your sign-in to the central store has expired; sign in again (Sync › "
                    "Sign in). Everything on this laptop is kept and will be sent then."
                )
                return
            self.refresh_sync_status(offline=True)
            if not quiet:
                self.say(friendly(error))

        self.tasks.run(lambda: sync(store), done, failed)

    def refresh_sync_status(self: MainWindow, offline: bool = False) -> None:
        store = self.store
        if store is None:
            self.sync_label.clear()
            return

        def shown(state: SyncState) -> None:
            self.sync_state = state
            if not state.signed_in:
                text = "Not signed in to a central store"
            else:
                last = (
                    state.last_sync.astimezone().strftime("%d %b %H:%M")
                    if state.last_sync
                    else "never"
                )
                text = (
                    "Offline · " if offline else ""
                ) + f"Last sync {last} · {state.pending} unsent"
                if state.open_conflicts:
                    text += f" · {state.open_conflicts} conflict(s)"
            self.sync_label.setText(text)

        self.tasks.run(lambda: sync_state(store), shown, lambda e: None)

    def show_conflicts(self: MainWindow) -> None:
        store = self.store
        if store is None:
            return

        def load() -> tuple[list, dict[str, str]]:  # type: ignore[type-arg]
            conflicts = open_conflicts(store)
            with store.reading() as session:
                names = {
                    p.id: f"{p.preferred_name or p.given_name} {p.family_name}"
                    for p in session.query(YoungPerson)
                }
            return conflicts, names

        def shown(result: tuple[list, dict[str, str]]) -> None:  # type: ignore[type-arg]
            self.conflicts_page.set_conflicts(*result)
            self.views.setCurrentWidget(self.conflicts_page)
            self.ready.emit()

        self.tasks.run(load, shown, lambda e: self.say(friendly(e)))

    def resolve_from_page(self: MainWindow, conflict_id: str, keep: str, text: object) -> None:
        store = self.store
        if store is None:
            return
        choice = text if keep == "text" and isinstance(text, str) else keep
        self.tasks.run(
            lambda: resolve_conflict(store, conflict_id, choice),
            lambda _: (
                self.say("Conflict resolved; both laptops will show the chosen value."),
                self.show_conflicts(),
                self.refresh_sync_status(),
            ),
            lambda e: self.say(friendly(e)),
        )

    def show_team_status(self: MainWindow) -> None:
        store = self.store
        if store is None:
            return
        self.tasks.run(
            lambda: team_status(store),
            lambda rows: TeamStatusDialog(rows, self).exec(),
            lambda e: self.say(friendly(e)),
        )
