"""The caseload list: read when a caseload opens, then kept current by the store's change event
(the rows of the young people a change names, or the whole list after a pull that changed many);
and the search across every note.

The rows are re-read while the list is showing, else when it is next shown: on a caseload of
thousands a re-read takes a noticeable moment of the store's worker, and a draft saves itself
every few seconds while the worker is writing. The count of drafts to continue, a small read,
is kept current at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtWidgets import QLabel, QPushButton, QStackedWidget
from sqlalchemy import select

from keyworker_app.store.caseload import caseload
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.changes import StoreChange
from keyworker_app.store.models import Contact, Staff, Team
from keyworker_app.store.recording import draft_contacts
from keyworker_app.store.search import SearchHit, search
from keyworker_app.ui.caseload_page import CaseloadPage
from keyworker_app.ui.messages import friendly
from keyworker_app.ui.operations import Finished, Operations, Refresh
from keyworker_app.ui.session import CaseloadSnapshot, Session

# More young people than this in one change (a pull, usually): set the whole list again.
ROWS_IN_PLACE = 50
# Kinds that change who is shown or how every row reads.
WHOLE_LIST_KINDS = ("staff", "team")
# Kinds a row is read from (and the drafts to continue, which are contacts).
ROW_KINDS = ("young_person", "placement", "referral", "contact", "action", "goal_score")


def read_snapshot(store: Store, visiting_standard_days: int | None) -> CaseloadSnapshot:
    with store.reading() as db:
        me = db.scalars(select(Staff).where(Staff.user_name == store.user_name)).first()
        team = db.get(Team, me.team_id) if me and me.team_id else None
        staff = [
            (s.id, s.display_name)
            for s in db.scalars(
                select(Staff).where(Staff.active.is_(True)).order_by(Staff.display_name)
            )
        ]
        return CaseloadSnapshot(
            rows=caseload(
                db, user_name=store.user_name, visiting_standard_days=visiting_standard_days
            ),
            me=me,
            team=team.name if team else None,
            staff=staff,
            drafts=draft_contacts(db, store.user_name),
        )


def read_drafts(store: Store) -> list[Contact]:
    with store.reading() as db:
        return draft_contacts(db, store.user_name)


def _search(store: Store, text: str) -> list[SearchHit]:
    with store.reading() as db:
        return search(db, text)


class CaseloadList:
    def __init__(
        self,
        ops: Operations,
        session: Session,
        views: QStackedWidget,
        page: CaseloadPage,
        who: QLabel,
        drafts_button: QPushButton,
        *,
        visiting_standard_days: int | None,
    ) -> None:
        self.ops = ops
        self.session = session
        self.views = views
        self.page = page
        self.who = who
        self.drafts_button = drafts_button
        self.visiting_standard_days = visiting_standard_days
        self.refresh = Refresh(self._read)
        self._stale: set[str] = set()
        self._whole = True
        page.search_requested.connect(self.search_notes)
        views.currentChanged.connect(self._shown)

    def load(self, then: Callable[[], None] | None = None) -> None:
        """Read the whole caseload (a caseload has just opened), then ``then``."""
        self._whole = True
        self.refresh.request()
        if then is not None:
            self.refresh.after(then)

    def changed(self, change: StoreChange) -> None:
        if change.about(*WHOLE_LIST_KINDS):
            self._whole = True
        elif change.about(*ROW_KINDS) and change.young_people:
            self._stale |= change.young_people
            self._whole = self._whole or len(self._stale) > ROWS_IN_PLACE
        else:
            return  # forms, chronology, bookkeeping: nothing in the list reads them
        self.refresh.request()

    def _showing(self) -> bool:
        return self.views.currentWidget() is self.page

    def _shown(self, _index: int = 0) -> None:
        if self._showing() and (self._stale or self._whole) and self.session.store is not None:
            self.refresh.request()

    def _read(self, finished: Finished) -> bool:
        if not self._whole and not self._showing():
            return self._read_drafts(finished)  # the rows wait until the list is shown
        stale, whole = self._stale, self._whole
        self._stale, self._whole = set(), False
        standard = self.visiting_standard_days

        def done(snapshot: CaseloadSnapshot) -> None:
            self.session.snapshot = snapshot
            self._show(snapshot, None if whole else stale)
            finished()

        def failed(error: BaseException) -> None:
            self._stale |= stale
            self._whole |= whole
            self.ops.say(friendly(error))
            finished()

        return self.ops.run_query(lambda store: read_snapshot(store, standard), done, failed)

    def _read_drafts(self, finished: Finished) -> bool:
        def done(drafts: list[Contact]) -> None:
            if self.session.snapshot is not None:
                self.session.snapshot = replace(self.session.snapshot, drafts=drafts)
            self._show_drafts(len(drafts))
            finished()

        def failed(error: BaseException) -> None:
            self.ops.say(friendly(error))
            finished()

        return self.ops.run_query(read_drafts, done, failed)

    def _show(self, snapshot: CaseloadSnapshot, only: set[str] | None) -> None:
        store = self.session.store
        user_name = store.user_name if store is not None else ""
        self.page.set_user(user_name if snapshot.me else None, snapshot.team)
        rows = [r for r in snapshot.rows if only is not None and r.young_person_id in only]
        gone = only is not None and len(rows) < len(only)  # someone left the list
        if only is None or gone or not self.page.model.update_rows(rows):
            self.page.set_rows(snapshot.rows)
        me = snapshot.me.display_name if snapshot.me else user_name
        self.who.setText(
            f"Signed in as <b>{me}</b>" + (f" · {snapshot.team}" if snapshot.team else "")
        )
        self._show_drafts(len(snapshot.drafts))

    def _show_drafts(self, count: int) -> None:
        self.drafts_button.setText(f"Continue draft ({count})")
        self.drafts_button.setVisible(count > 0)

    def search_notes(self, text: str) -> None:
        if not text:
            self.page.show_hits("", [])
            return
        self.ops.run_query(
            lambda store: _search(store, text), lambda hits: self.page.show_hits(text, hits)
        )

    def forget(self) -> None:
        """At lock: nothing of the caseload stays on screen."""
        self.refresh.reset()
        self._stale, self._whole = set(), True
        self.session.snapshot = None
        self.page.clear()
        self.who.clear()
        self.drafts_button.hide()
