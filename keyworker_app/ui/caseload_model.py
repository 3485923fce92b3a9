"""The caseload table: a thin model over ``CaseloadRow`` plus a proxy that filters and sorts."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
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


def fold(text: str) -> str:
    """Lower case without accents, so "sian" finds "Siân"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class CaseloadTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[CaseloadRow] = []

    def set_rows(self, rows: list[CaseloadRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def row_at(self, row: int) -> CaseloadRow:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

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
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == DAYS and row.overdue_for_visit:
                return OVERDUE_BRUSH
            if column == ACTIONS and row.overdue_actions:
                return OVERDUE_BRUSH
        if role == Qt.ItemDataRole.FontRole and column == DAYS and row.overdue_for_visit:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (AGE, DAYS, ACTIONS, TREND):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

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
            return f"Past the team's visiting standard of {row.visiting_standard_days} days"
        if column == NAME:
            flags = [f for f, on in (("restricted", row.restricted), ("UASC", row.uasc)) if on]
            return f"{row.given_name} {row.family_name}" + (
                f" ({', '.join(flags)})" if flags else ""
            )
        return None


class CaseloadFilter(QSortFilterProxyModel):
    """Mine / my team / all, open cases only or not, and the words typed in the filter box."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self._scope = Scope.ALL
        self._user_name: str | None = None
        self._team: str | None = None
        self._words: list[str] = []
        self._open_only = True
        self._haystacks: dict[str, str] = {}

    def setSourceModel(self, model: Any) -> None:
        super().setSourceModel(model)
        model.modelReset.connect(self._haystacks.clear)

    @contextmanager
    def _changing_filter(self) -> Iterator[None]:
        # Qt 6.9 replaced invalidateFilter() with a begin/end pair; older Qt has only the former.
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            yield
            self.endFilterChange()
        else:
            yield
            self.invalidateFilter()

    def set_user(self, user_name: str | None, team: str | None) -> None:
        with self._changing_filter():
            self._user_name, self._team = user_name, team

    def set_scope(self, scope: Scope) -> None:
        with self._changing_filter():
            self._scope = scope

    def set_open_only(self, open_only: bool) -> None:
        with self._changing_filter():
            self._open_only = open_only

    def set_text(self, text: str) -> None:
        with self._changing_filter():
            self._words = fold(text).split()

    def _haystack(self, row: CaseloadRow) -> str:
        cached = self._haystacks.get(row.young_person_id)
        if cached is None:
            parts = [
                row.given_name,
                row.family_name,
                row.preferred_name or "",
                row.reference,
                row.keyworker or "",
                row.team or "",
                row.placement_type.label if row.placement_type else "",
            ]
            cached = self._haystacks[row.young_person_id] = fold(" ".join(parts))
        return cached

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        row: CaseloadRow = self.sourceModel().row_at(source_row)  # type: ignore[attr-defined]
        if self._open_only and row.status != CaseStatus.OPEN:
            return False
        if self._scope == Scope.MINE and row.keyworker_user_name != self._user_name:
            return False
        if self._scope == Scope.TEAM and row.team != self._team:
            return False
        if self._words:
            haystack = self._haystack(row)
            return all(word in haystack for word in self._words)
        return True
