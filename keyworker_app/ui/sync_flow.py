"""Sync from the main window: sign in, sync in the background (on unlock, every few minutes
while the central store answers, and on demand), the status indicator, conflicts, the changes
the central store did not accept, and the team's sync status for supervisors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog
from sqlalchemy import select

from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import RECORD_TYPES, YoungPerson
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
from keyworker_app.sync.refused import discard, export_refused, refused_changes, resend
from keyworker_app.ui.messages import friendly
from keyworker_app.ui.not_accepted_page import CLOCK_FIELDS, NotAccepted
from keyworker_app.ui.sync_pages import SignInDialog, TeamStatusDialog

if TYPE_CHECKING:
    from keyworker_app.ui.main_window import MainWindow

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
            self.say(message + ".")
            self.refresh_sync_status()
            if report.pulled or report.removed:
                self.reload_caseload()
            page = self.not_accepted_page
            if self.views.currentWidget() is page:
                page.show_message(message + ".")
                # Reloaded only when the list changed: a correction being typed stays put.
                if report.rejected or report.not_accepted != len(page.entries):
                    self.show_not_accepted()

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
                if self.views.currentWidget() is self.not_accepted_page:
                    self.not_accepted_page.show_message(friendly(error), error=True)

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
                # Links: a click (or Tab then Enter) opens the page that deals with them.
                if state.open_conflicts:
                    text += f" · <a href='{CONFLICTS_LINK}'>{state.open_conflicts} conflict(s)</a>"
                if state.not_accepted:
                    text += (
                        f" · <a href='{NOT_ACCEPTED_LINK}'>{state.not_accepted} not accepted</a>"
                    )
            self.sync_label.setText(text)

        self.tasks.run(lambda: sync_state(store), shown, lambda e: None)

    def show_conflicts(self: MainWindow) -> None:
        store = self.store
        if store is None:
            return

        def load() -> tuple[list, dict[str, str]]:  # type: ignore[type-arg]
            return open_conflicts(store), _names(store)

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
        said = {
            "addendum": "The change was added to the contact as an addendum; every laptop will "
            "show it after its next sync.",
            "final": "The final note stays as it is; the proposed change is set aside.",
        }.get(
            "final" if keep == "kept" and self.conflicts_page.is_proposal(conflict_id) else keep,
            "Conflict resolved; both laptops will show the chosen value.",
        )
        self.tasks.run(
            lambda: resolve_conflict(store, conflict_id, choice),
            lambda _: (
                self.say(said),
                self.show_conflicts(),
                self.refresh_sync_status(),
            ),
            lambda e: self.say(friendly(e)),
        )

    def open_sync_link(self: MainWindow, link: str) -> None:
        if link == CONFLICTS_LINK:
            self.show_conflicts()
        elif link == NOT_ACCEPTED_LINK:
            self.show_not_accepted()

    # -- changes the central store did not accept -------------------------------------------
    def show_not_accepted(self: MainWindow) -> None:
        store = self.store
        if store is None:
            return

        def shown(entries: list[NotAccepted]) -> None:
            if self.store is not store:
                return  # locked meanwhile
            page = self.not_accepted_page
            arriving = self.views.currentWidget() is not page
            page.set_changes(entries)
            self.views.setCurrentWidget(page)
            if arriving:
                page.focus_first()
            self.ready.emit()

        self.tasks.run(lambda: load_not_accepted(store), shown, lambda e: self.say(friendly(e)))

    def resend_refused(
        self: MainWindow, numbers: list[int], corrections: dict[str, str] | None
    ) -> None:
        store = self.store
        if store is None:
            return

        def sent(count: int) -> None:
            self.not_accepted_page.show_message(
                f"{_plural(count, 'change', 'changes')} put back to be sent; syncing now."
            )
            self.show_not_accepted()
            self.refresh_sync_status()
            self.sync_now()  # the answer comes back at once: accepted, or here again

        self.tasks.run(
            lambda: resend(store, numbers, corrections or None),
            sent,
            lambda e: self.not_accepted_page.show_message(friendly(e), error=True),
        )

    def export_not_accepted(self: MainWindow, path: Path) -> None:
        store = self.store
        if store is None:
            return

        def failed(error: BaseException) -> None:
            if isinstance(error, OSError):
                text = (
                    f"The file could not be written ({error.strerror or type(error).__name__}); "
                    "choose another folder."
                )
            else:
                text = friendly(error)
            self.not_accepted_page.show_message(text, error=True)

        self.tasks.run(
            lambda: export_refused(store, path),
            lambda count: self.not_accepted_page.show_message(
                f"Wrote {_plural(count, 'change', 'changes')} to {path}. The file is not "
                "encrypted: keep it safe, and delete it once the changes are dealt with."
            ),
            failed,
        )

    def discard_not_accepted(self: MainWindow, numbers: list[int]) -> None:
        store = self.store
        if store is None:
            return

        def done(count: int) -> None:
            self.not_accepted_page.show_message(f"Discarded {_plural(count, 'change', 'changes')}.")
            self.show_not_accepted()
            self.refresh_sync_status()

        self.tasks.run(
            lambda: discard(store, numbers),
            done,
            lambda e: self.not_accepted_page.show_message(friendly(e), error=True),
        )

    def forget_not_accepted(self: MainWindow) -> None:
        """At lock: nothing of the list stays on screen or in the widgets."""
        if self.views.currentWidget() is self.not_accepted_page:
            self.views.setCurrentWidget(self.caseload_page)
        self.not_accepted_page.clear()

    def show_team_status(self: MainWindow) -> None:
        store = self.store
        if store is None:
            return
        self.tasks.run(
            lambda: team_status(store),
            lambda rows: TeamStatusDialog(rows, self).exec(),
            lambda e: self.say(friendly(e)),
        )
