"""One API for slow work: run it off the GUI thread, get the result (or error) back on it.

Store work runs on a single worker thread, so writes are serialised and never race each other;
widgets are only touched in the callbacks, which Qt delivers on the GUI thread.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QDeadlineTimer,
    QEvent,
    QObject,
    QRunnable,
    QThreadPool,
    Signal,
    Slot,
)


class _Relay(QObject):
    succeeded = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn = fn
        self.relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as error:  # noqa: BLE001 - every failure is reported to the caller
            error.__keyworker_trace__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.relay.failed.emit(error)
        else:
            self.relay.succeeded.emit(result)


class TaskRunner(QObject):
    """Runs callables on a background thread; callbacks arrive on the GUI thread."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one store worker: writes are serialised
        self._running = 0
        self._finished = 0  # how many jobs have reported, so settle() can tell progress
        self._relays: set[_Relay] = set()

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        relay = _Relay()
        self._relays.add(relay)  # keep it alive until it has reported

        @Slot(object)
        def done(result: Any) -> None:
            self._finish(relay)
            if on_done is not None:
                on_done(result)

        @Slot(object)
        def failed(error: BaseException) -> None:
            self._finish(relay)
            if on_error is not None:
                on_error(error)

        relay.succeeded.connect(done)
        relay.failed.connect(failed)
        self._running += 1
        if self._running == 1:
            self.busy_changed.emit(True)
        self.pool.start(_Job(fn, relay))

    def _finish(self, relay: _Relay) -> None:
        self._relays.discard(relay)
        self._running -= 1
        self._finished += 1
        if self._running == 0:
            self.busy_changed.emit(False)

    @property
    def busy(self) -> bool:
        return self._running > 0

    def wait(self, msecs: int = 30000) -> bool:
        """Block until queued work has finished (used when locking and quitting)."""
        return self.pool.waitForDone(msecs)

    def settle(self, msecs: int = 30000) -> bool:
        """Block until queued work has finished and its callbacks have run here, including work
        those callbacks queue (a contact's first save hands its id to the finalise waiting for
        it). Used before the store closes, so no answer arrives after it. False on timeout."""
        deadline = QDeadlineTimer(msecs)
        while self._running:
            if not self.pool.waitForDone(max(0, deadline.remainingTime())):
                return False
            finished = self._finished
            # The results are queued signals to this thread: deliver them now.
            QCoreApplication.sendPostedEvents(None, QEvent.Type.MetaCall)
            if self._finished == finished:
                return False  # nothing came back: do not spin
        return True
