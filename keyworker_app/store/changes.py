"""The store's one change event: after a unit of work commits (a local write or a pulled page),
the store announces what changed, so screens refresh what they show instead of being reloaded
by hand. Listeners are called on the thread that committed; the desktop bridges them onto the
GUI thread (ui/store_events.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

log = logging.getLogger("keyworker.store")


@dataclass(frozen=True)
class StoreChange:
    """What one commit changed: the young people it touched and the kinds of record. ``sync``
    says the change arrived from the central store; ``bookkeeping`` covers what is not a record
    (conflicts, refused changes, sync settings)."""

    young_people: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    sync: bool = False
    bookkeeping: bool = False

    def touches(self, young_person_id: str | None) -> bool:
        return young_person_id is not None and young_person_id in self.young_people

    def about(self, *kinds: str) -> bool:
        return bool(self.kinds & set(kinds))


Listener = Callable[[StoreChange], None]


class ChangeAnnouncer:
    """Who wants to hear about changes. Subscribing returns the way to unsubscribe."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def announce(self, change: StoreChange) -> None:
        """Tell every listener. The change is committed already: a listener that fails is
        logged (its class only) and the others still hear."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(change)
            except Exception as error:  # noqa: BLE001 - one listener must not stop the rest
                log.error("a store change listener failed (%s)", type(error).__name__)


def change_of(
    touched: Iterable[tuple[str, str | None]], *, sync: bool = False, bookkeeping: bool = False
) -> StoreChange | None:
    """The change for these (record type, young person id) pairs, or None when nothing changed."""
    pairs = list(touched)
    if not pairs and not bookkeeping:
        return None
    return StoreChange(
        young_people=frozenset(yp for _, yp in pairs if yp is not None),
        kinds=frozenset(kind for kind, _ in pairs),
        sync=sync,
        bookkeeping=bookkeeping,
    )
