"""The young person's record on screen: opened from the caseload (and audited as opened), then
kept current by the store's change event. A change to this young person re-reads the record at
once when its page is showing (a pull from another laptop included), or when the page is next
shown; flows that wrote something come back to it with ``show``."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QStackedWidget

from keyworker_app.forms.library import TemplateLibrary
from keyworker_app.forms.schema import Scope
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.changes import StoreChange
from keyworker_app.store.record import YoungPersonRecord, load_record
from keyworker_app.store.recording import record_opened
from keyworker_app.ui.form_flow import fill_forms
from keyworker_app.ui.messages import friendly
from keyworker_app.ui.operations import Finished, Operations, Refresh
from keyworker_app.ui.record_page import VIEWS, RecordPage
from keyworker_app.ui.session import Session

TITLE = "Keyworker"


def read_record(store: Store, young_person_id: str) -> YoungPersonRecord:
    with store.reading() as db:
        return load_record(db, young_person_id)


def _open(store: Store, young_person_id: str) -> YoungPersonRecord:
    record_opened(store, young_person_id)
    return read_record(store, young_person_id)


class OpenRecord:
    def __init__(
        self,
        ops: Operations,
        session: Session,
        views: QStackedWidget,
        page: RecordPage,
        library: TemplateLibrary,
        *,
        ready: Callable[[], None],
        back: Callable[[], None],
        set_title: Callable[[str], None],
    ) -> None:
        self.ops = ops
        self.session = session
        self.views = views
        self.page = page
        self.library = library
        self.ready = ready
        self.back = back  # where to go when there is no record to show
        self.set_title = set_title
        self.refresh = Refresh(self._read)
        self._stale = False

    def open(
        self,
        young_person_id: str,
        select_contact: object = None,
        *,
        view: str | None = None,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Open a young person's record (``select_contact``: a contact to show, e.g. from a
        search hit), on ``view``; then ``then`` (by default: the screen is ready)."""
        chosen = select_contact if isinstance(select_contact, str) else None

        def done(record: YoungPersonRecord) -> None:
            self.session.record = record
            self._stale = False
            self._show(record, chosen)
            if view in VIEWS:
                self.page.show_view(view)  # type: ignore[arg-type]
            elif chosen:
                self.page.show_view("contacts")
            self.views.setCurrentWidget(self.page)
            person = record.person
            self.set_title(
                f"{person.preferred_name or person.given_name} {person.family_name} – {TITLE}"
            )
            (then or self.ready)()

        self.ops.run_op(lambda store: _open(store, young_person_id), done)

    def show(
        self,
        select_contact: str | None = None,
        *,
        view: str | None = None,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Come back to the open record (from the contact editor, a form, an addendum): shown
        once any change written meanwhile has been read, with ``select_contact`` chosen."""
        if self.session.record is None:
            self.back()
            return
        self.views.setCurrentWidget(self.page)
        if self._stale:
            self.refresh.request()

        def arrive() -> None:
            if select_contact:
                self.page.contacts.select(select_contact)
            if view in VIEWS:
                self.page.show_view(view)  # type: ignore[arg-type]
            (then or self.ready)()

        self.refresh.after(arrive)

    def changed(self, change: StoreChange) -> None:
        record = self.session.record
        if record is None or not change.touches(record.person.id):
            return
        self._stale = True
        if self.views.currentWidget() is self.page or self.refresh.running:
            self.refresh.request()

    def _read(self, finished: Finished) -> bool:
        record = self.session.record
        if record is None:
            return False
        young_person_id = record.person.id

        def done(fresh: YoungPersonRecord) -> None:
            now = self.session.record
            if now is not None and now.person.id == young_person_id:  # not another one since
                self.session.record = fresh
                self._stale = False
                current = self.page.contacts.current()
                self._show(fresh, current.id if current else None)
            finished()

        def failed(error: BaseException) -> None:
            self.ops.say(friendly(error))
            finished()

        return self.ops.run_query(lambda store: read_record(store, young_person_id), done, failed)

    def _show(self, record: YoungPersonRecord, select_contact: str | None) -> None:
        self.page.show_record(record, select_contact)
        fill_forms(
            self.page.forms,
            self.library,
            self.session.me,
            Scope.YOUNG_PERSON,
            record.form_responses,
            record.user_names,
        )

    def forget(self) -> None:
        """At lock: nothing of the record stays on screen, in the title bar included."""
        self.refresh.reset()
        self._stale = False
        self.session.record = None
        self.page.clear()
        self.set_title(TITLE)
