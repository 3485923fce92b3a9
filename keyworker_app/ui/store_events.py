"""The store's change event on the GUI thread (Electrum's ``QtEventListener`` in small).

The store announces each commit on the thread that committed, usually the store's worker. This
bridge re-emits it as a Qt signal, queued to the GUI thread, where the screens that listen
refresh what the change names. Nothing else reaches from the store into the widgets.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal

from keyworker_app.store.caseload_store import Store
from keyworker_app.store.changes import StoreChange


class StoreEvents(QObject):
    changed = Signal(object)  # StoreChange, on the GUI thread
    _heard = Signal(object, object)  # (store, change), emitted on the committing thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store: Store | None = None
        self._unsubscribe: Callable[[], None] | None = None
        # Queued even when the GUI thread commits: listeners never run inside a commit.
        self._heard.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def watch(self, store: Store | None) -> None:
        """Listen to ``store`` (None: to nothing, before the store closes or locks). Changes
        already on their way from a store no longer watched are dropped."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._store = store
        if store is not None:
            self._unsubscribe = store.changes.subscribe(
                lambda change: self._heard.emit(store, change)
            )

    def _deliver(self, store: Store, change: StoreChange) -> None:
        if store is self._store:
            self.changed.emit(change)
