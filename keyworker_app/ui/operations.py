"""Operations: every write a screen asks for, and every read it shows, runs here (Anki's
``CollectionOp`` in small).

``run_op`` hands the work the open store on the store's worker thread; the unit of work commits
and the store announces what changed, which reaches the screens that listen
(``store_events.py``). The caller's own callbacks only say how it went: a screen is never
reloaded by hand. ``Refresh`` is how a listening screen re-reads: one read at a time, however
many changes arrive meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from keyworker_app.store.caseload_store import Store
from keyworker_app.ui.messages import friendly
from keyworker_app.ui.session import Session
from keyworker_app.ui.tasks import TaskRunner

T = TypeVar("T")


class Operations:
    """Runs store work for the open caseload and says how it went in the status bar."""

    def __init__(self, tasks: TaskRunner, session: Session, say: Callable[[str], None]) -> None:
        self.tasks = tasks
        self.session = session
        self.say = say

    def run_op(
        self,
        work: Callable[[Store], T],
        on_done: Callable[[T], None] | None = None,
        on_failed: Callable[[BaseException], None] | None = None,
        *,
        message: str | None = None,
    ) -> bool:
        """Run a write on the store's worker. On success ``message`` is said, then ``on_done``
        gets the result; on failure ``on_failed`` gets the error (by default its sentence goes
        to the status bar). Answers for a caseload locked meanwhile are dropped. False when no
        caseload is open (nothing runs)."""
        return self._run(work, on_done, on_failed, message)

    def run_query(
        self,
        read: Callable[[Store], T],
        on_done: Callable[[T], None],
        on_failed: Callable[[BaseException], None] | None = None,
    ) -> bool:
        """Run a read on the store's worker, queued behind the writes before it."""
        return self._run(read, on_done, on_failed, None)

    def _run(
        self,
        work: Callable[[Store], Any],
        on_done: Callable[[Any], None] | None,
        on_failed: Callable[[BaseException], None] | None,
        message: str | None,
    ) -> bool:
        store = self.session.store
        if store is None:
            return False

        def done(result: Any) -> None:
            if self.session.store is not store:
                return  # locked meanwhile: nothing of it is shown
            if message:
                self.say(message)
            if on_done is not None:
                on_done(result)

        def failed(error: BaseException) -> None:
            if self.session.store is not store:
                return
            if on_failed is not None:
                on_failed(error)
            else:
                self.say(friendly(error))

        self.tasks.run(lambda: work(store), done, failed)
        return True


Finished = Callable[[], None]


class Refresh:
    """A screen's re-read. ``read(finished)`` starts one (False when it cannot) and calls
    ``finished()`` once it has landed or failed. Asked again while one is on its way, it reads
    once more after it, so the last change is always shown; ``after`` callbacks wait for that."""

    def __init__(self, read: Callable[[Finished], bool]) -> None:
        self._read = read
        self.running = False
        self._again = False
        self._waiting: list[Callable[[], None]] = []

    def request(self) -> None:
        if self.running:
            self._again = True
        else:
            self._start()

    def after(self, then: Callable[[], None]) -> None:
        """Run ``then`` once the read on its way (if any) has landed."""
        if self.running:
            self._waiting.append(then)
        else:
            then()

    def reset(self) -> None:
        """Forget reads on their way (the caseload locked: their answers are dropped)."""
        self.running = self._again = False
        self._waiting.clear()

    def _start(self) -> None:
        self.running, self._again = True, False
        if not self._read(self._finished):
            self.running = False
            self._flush()

    def _finished(self) -> None:
        self.running = False
        if self._again:
            self._start()
        else:
            self._flush()

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        for then in waiting:
            then()
