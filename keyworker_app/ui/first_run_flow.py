"""A new laptop's first run: sign in to the central store (before anything is made), create the
caseload with the passphrase, keep the sign-in, then the first sync with its progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from sqlalchemy import func, select

from keyworker_app.domain.ids import new_id
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.store import lifecycle
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import YoungPerson
from keyworker_app.sync.client import keep_sign_in, request_sign_in, sync
from keyworker_app.sync.protocol import Tokens
from keyworker_app.ui.first_run import FirstRunPage
from keyworker_app.ui.messages import friendly
from keyworker_app.ui.session import Session
from keyworker_app.ui.tasks import TaskRunner


@dataclass(frozen=True)
class PendingSignIn:
    """A first run's sign-in, kept in memory until the caseload exists to hold it."""

    server: str
    tokens: Tokens
    device_id: str


class _SyncProgress(QObject):
    """Carries the first sync's progress from the store worker to the GUI thread."""

    changed = Signal(str, object)


def _create(
    data_dir: Path, passphrase: str, user_name: str, pending: PendingSignIn | None
) -> tuple[Store, str, str | None]:
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


class FirstRun:
    def __init__(
        self,
        tasks: TaskRunner,
        session: Session,
        page: FirstRunPage,
        data_dir: Path,
        *,
        say: Callable[[str], None],
        parent: QObject,
    ) -> None:
        self.tasks = tasks
        self.session = session
        self.page = page
        self.data_dir = data_dir
        self.say = say
        self.parent = parent  # of the progress relay
        self.pending: PendingSignIn | None = None
        page.sign_in_requested.connect(self.sign_in)
        page.create_requested.connect(self.create_caseload)
        page.code_stored.connect(self.first_sync)

    def sign_in(self, server: str, user: str, password: str) -> None:
        """Check the account before anything is made: the device id signed in with here is
        the one the new caseload will carry."""
        device_id = new_id()

        def signed_in(tokens: Tokens) -> None:
            self.pending = PendingSignIn(server, tokens, device_id)
            self.page.signed_in(tokens.user.user_name, tokens.user.display_name)

        self.tasks.run(
            lambda: request_sign_in(server, user, password, device_id),
            signed_in,
            lambda e: self.page.sign_in_failed(friendly(e)),
        )

    def create_caseload(self, passphrase: str, user_name: str) -> None:
        data_dir, pending = self.data_dir, self.pending

        def done(result: tuple[Store, str, str | None]) -> None:
            self.session.store, code, problem = result
            self.pending = None  # the tokens now live in the keyring, or nowhere
            if problem is not None:
                self.page.signed_in_as = None  # no first sync: sign in again later
                self.say(problem)
            self.page.show_recovery_code(code)

        self.tasks.run(
            lambda: _create(data_dir, passphrase, user_name, pending),
            done,
            lambda e: self.page.show_error(friendly(e)),
        )

    def first_sync(self) -> None:
        store = self.session.store
        if store is None:
            return
        relay = _SyncProgress(self.parent)
        relay.changed.connect(self.page.sync_progress)

        def run() -> tuple[int, int]:
            report = sync(store, progress=relay.changed.emit)
            with store.reading() as db:
                young_people = db.scalar(select(func.count()).select_from(YoungPerson))
            return int(young_people or 0), report.pulled

        def done(result: tuple[int, int]) -> None:
            relay.deleteLater()
            self.page.sync_finished(*result)

        def failed(error: BaseException) -> None:
            relay.deleteLater()
            self.page.sync_failed(friendly(error))

        self.tasks.run(run, done, failed)
