"""What the desktop has open now, shared by the parts of the window: the caseload's store, the
caseload as last read, and the young person's record on screen.

Touched on the GUI thread only; work on the store's worker is handed the values it needs. Each
field has one owner that writes it: the window (and the first run) opens and closes the store,
``CaseloadList`` keeps the snapshot and ``OpenRecord`` the record; the others read them.
"""

from __future__ import annotations

from dataclasses import dataclass

from keyworker_app.store.caseload import CaseloadRow
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import Contact, Staff
from keyworker_app.store.record import YoungPersonRecord


@dataclass(frozen=True)
class CaseloadSnapshot:
    """The caseload as last read, with who is signed in and what they left unfinished."""

    rows: list[CaseloadRow]
    me: Staff | None
    team: str | None
    staff: list[tuple[str, str]]  # (id, name) of active staff, for owners of actions
    drafts: list[Contact]  # this user's unfinished contacts, newest first


@dataclass
class Session:
    """The open caseload (not a database session: those live inside each piece of work)."""

    store: Store | None = None
    snapshot: CaseloadSnapshot | None = None
    record: YoungPersonRecord | None = None

    @property
    def me(self) -> Staff | None:
        return self.snapshot.me if self.snapshot else None

    @property
    def staff(self) -> list[tuple[str, str]]:
        return self.snapshot.staff if self.snapshot else []
