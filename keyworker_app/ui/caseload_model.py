"""The caseload table: a thin model over ``CaseloadRow`` plus a proxy that filters and sorts."""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from keyworker_app.domain.vocabulary import CaseStatus
from keyworker_app.store.caseload import CaseloadRow, Scope

Index = QModelIndex | QPersistentModelIndex

# Column order; the constants keep views and tests free of magic numbers.
NAME, AGE, REFERENCE, PLACEMENT, RISK, KEYWORKER, LAST_CONTACT, DAYS, ACTIONS, TREND = range(10)
HEADERS = [
    "Name",
    "Age",
    "Reference",
    "Placement",
    "Risk category",
    "Keyworker",
    "Last contact",
    "Days since",
    "Actions (overdue)",
    "Goals",
]
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
OVERDUE_BRUSH = QBrush(QColor(196, 43, 28))


@functools.cache
def _bold() -> QFont:  # made on first use: a QFont needs the application to exist
    font = QFont()
    font.setBold(True)
    return font


def fold(text: str) -> str:
    """Lower case without accents, so "sian" finds "Siân"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class CaseloadTableModel(QAbstractTableModel):
    """The caseload, filtered (mine / my team / all, open only, words typed) and sorted.

    Filtering and sorting happen here on precomputed cell texts and sort keys rather than in a
    QSortFilterProxyModel, whose per-comparison calls back into Python made each keystroke on a
    2,000-row caseload cost several times the 50 ms budget.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._all: list[CaseloadRow] = []
        self._cells: list[list[dict[int, Any]] | None] = []
        self._sort_keys: dict[int, list[Any]] = {}
        self._haystacks: list[str] = []
        self._visible: list[int] = []  # indexes into _all, in display order
        self._scope = Scope.ALL
        self._user_name: str | None = None
        self._team: str | None = None
        self._words: list[str] = []
        self._open_only = True
        self._sort_column = NAME
        self._sort_order = Qt.SortOrder.AscendingOrder

    # -- rows -----------------------------------------------------------------------------
    def set_rows(self, rows: list[CaseloadRow]) -> None:
        self.beginResetModel()
        self._all = list(rows)
        # Cells are asked for many times per paint and per sort: work each one out once.
        # Cells, sort keys and search text are worked out when first needed, then kept: a
        # caseload of thousands appears at once and only the rows on screen are formatted.
        self._cells = [None] * len(self._all)
        self._sort_keys = {}
        self._haystacks = []
        self._visible = self._select()
        self.endResetModel()

    def update_rows(self, rows: list[CaseloadRow]) -> bool:
        """Put these re-read rows in place of the young people's old ones, keeping the view's
        selection and scroll. False (nothing changed) when one of them is not in the list yet:
        the caller sets the whole list instead."""
        where = {row.young_person_id: n for n, row in enumerate(self._all)}
        if any(row.young_person_id not in where for row in rows):
            return False
        for row in rows:
            n = where[row.young_person_id]
            self._all[n] = row
            self._cells[n] = None
        self._sort_keys = {}
        self._haystacks = []
        visible = self._select()
        if visible == self._visible:
            shown = {n: position for position, n in enumerate(visible)}
            for row in rows:
                position = shown.get(where[row.young_person_id])
                if position is not None:
                    self.dataChanged.emit(
                        self.index(position, 0), self.index(position, len(HEADERS) - 1)
                    )
            return True
        # A row moved (sorted by last contact, say) or left the filter: move the selection too.
        self.layoutAboutToBeChanged.emit()
        old = {position: n for position, n in enumerate(self._visible)}
        self._visible = visible
        now = {n: position for position, n in enumerate(visible)}
        for index in self.persistentIndexList():
            position = now.get(old.get(index.row(), -1))
            moved = self.index(position, index.column()) if position is not None else QModelIndex()
            self.changePersistentIndex(index, moved)
        self.layoutChanged.emit()
        return True

    def clear(self) -> None:
        self.set_rows([])

    def row_at(self, row: int) -> CaseloadRow:
        return self._all[self._visible[row]]

    @property
    def total(self) -> int:
        return len(self._all)

    # -- filtering and sorting ------------------------------------------------------------
    def set_user(self, user_name: str | None, team: str | None) -> None:
        if (user_name, team) == (self._user_name, self._team):
            return  # a re-read caseload: the rows shown and the selection stay
        self._user_name, self._team = user_name, team
        self._refilter()

    def set_scope(self, scope: Scope) -> None:
        self._scope = scope
        self._refilter()

    def set_open_only(self, open_only: bool) -> None:
        self._open_only = open_only
        self._refilter()

    def set_text(self, text: str) -> None:
        self._words = fold(text).split()
        self._refilter()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column, self._sort_order = column, order
        self.layoutAboutToBeChanged.emit()
        self._visible = self._ordered(self._visible)
        self.layoutChanged.emit()

    def _accepts(self, n: int) -> bool:
        row = self._all[n]
        if self._open_only and row.status != CaseStatus.OPEN:
            return False
        if self._scope == Scope.MINE and row.keyworker_user_name != self._user_name:
            return False
        if self._scope == Scope.TEAM and row.team != self._team:
            return False
        if not self._words:
            return True
        if not self._haystacks:
            self._haystacks = [_haystack(r) for r in self._all]
        haystack = self._haystacks[n]
        return all(word in haystack for word in self._words)

    def _ordered(self, indexes: list[int]) -> list[int]:
        column = self._sort_column
        keys = self._sort_keys.get(column)
        if keys is None:
            keys = self._sort_keys[column] = [self._sort_key(r, column) for r in self._all]
        return sorted(
            indexes,
            key=keys.__getitem__,
            reverse=self._sort_order == Qt.SortOrder.DescendingOrder,
        )

    def _select(self) -> list[int]:
        return self._ordered([n for n in range(len(self._all)) if self._accepts(n)])

    def _refilter(self) -> None:
        self.beginResetModel()
        self._visible = self._select()
        self.endResetModel()

    # -- Qt's model interface -------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        n = self._visible[index.row()]
        if role == ROW_ROLE:
            return self._all[n]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(self._all[n], index.column())
        # Painting asks for several roles per cell: work a row out once, then look them up.
        cells = self._cells[n]
        if cells is None:
            row = self._all[n]
            cells = self._cells[n] = [self._roles(row, c) for c in range(len(HEADERS))]
        return cells[index.column()].get(role)

    def _roles(self, row: CaseloadRow, column: int) -> dict[int, Any]:
        roles: dict[int, Any] = {
            Qt.ItemDataRole.DisplayRole: self._display(row, column),
            SORT_ROLE: self._sort_key(row, column),
        }
        alert = (column == DAYS and row.overdue_for_visit) or (
            column == ACTIONS and row.overdue_actions
        )
        if alert:
            roles[Qt.ItemDataRole.ForegroundRole] = OVERDUE_BRUSH
        if column == DAYS and row.overdue_for_visit:
            roles[Qt.ItemDataRole.FontRole] = _bold()
        if column in (AGE, DAYS, ACTIONS, TREND):
            roles[Qt.ItemDataRole.TextAlignmentRole] = int(Qt.AlignmentFlag.AlignCenter)
        return roles

    @staticmethod
    def _display(row: CaseloadRow, column: int) -> str:
        if column == NAME:
            closed = " (closed)" if row.status == CaseStatus.CLOSED else ""
            return row.display_name + closed
        if column == AGE:
            return str(row.age)
        if column == REFERENCE:
            return row.reference
        if column == PLACEMENT:
            return row.placement_type.label if row.placement_type else "–"
        if column == RISK:
            return row.risk_category.label if row.risk_category else "–"
        if column == KEYWORKER:
            return row.keyworker or "Unallocated"
        if column == LAST_CONTACT:
            return (
                row.last_contact.astimezone().strftime("%d %b %Y") if row.last_contact else "Never"
            )
        if column == DAYS:
            return "–" if row.days_since_contact is None else str(row.days_since_contact)
        if column == ACTIONS:
            return (
                f"{row.open_actions} ({row.overdue_actions})"
                if row.overdue_actions
                else str(row.open_actions)
            )
        if column == TREND:
            return f"{row.goal_trend.symbol} {row.goal_trend.value.replace('_', ' ')}"
        return ""

    @staticmethod
    def _sort_key(row: CaseloadRow, column: int) -> Any:
        if column == NAME:
            return fold(f"{row.family_name} {row.given_name}")
        if column == AGE:
            return row.age
        if column == LAST_CONTACT:
            return row.last_contact.timestamp() if row.last_contact else 0.0
        if column == DAYS:
            return row.days_since_contact if row.days_since_contact is not None else 10**6
        if column == ACTIONS:
            return row.overdue_actions * 1000 + row.open_actions
        return fold(CaseloadTableModel._display(row, column))

    @staticmethod
    def _tooltip(row: CaseloadRow, column: int) -> str | None:
        if column == DAYS and row.overdue_for_visit:
            return f"Past the visiting standard of {row.visiting_standard_days} days"
        if column == NAME:
            flags = [f for f, on in (("restricted", row.restricted), ("UASC", row.uasc)) if on]
            return f"{row.given_name} {row.family_name}" + (
                f" ({', '.join(flags)})" if flags else ""
            )
        return None


def _haystack(row: CaseloadRow) -> str:
    """What the filter box searches: names, reference, keyworker, team and placement."""
    parts = [
        row.given_name,
        row.family_name,
        row.preferred_name or "",
        row.reference,
        row.keyworker or "",
        row.team or "",
        row.placement_type.label if row.placement_type else "",
    ]
    return fold(" ".join(parts))
