"""Small building blocks shared by the screens."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

ALERT = QColor(196, 43, 28)


def table(headers: Sequence[str], name: str, parent: QWidget | None = None) -> QTreeWidget:
    """A read-only, sortable list with columns: the shape of most record views."""
    view = QTreeWidget(parent)
    view.setHeaderLabels(list(headers))
    view.setRootIsDecorated(False)
    view.setAlternatingRowColors(True)
    view.setUniformRowHeights(True)
    view.setSortingEnabled(True)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAccessibleName(name)
    view.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.header().setStretchLastSection(True)
    return view


SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class SortableItem(QTreeWidgetItem):
    """Sorts by the value stored under SORT_ROLE (a date, a number) when there is one."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        tree = self.treeWidget()
        column = tree.sortColumn() if tree is not None else 0
        mine, theirs = self.data(column, SORT_ROLE), other.data(column, SORT_ROLE)
        if mine is not None and theirs is not None:
            return bool(mine < theirs)
        return self.text(column).casefold() < other.text(column).casefold()


def add_row(
    view: QTreeWidget,
    values: Sequence[str],
    *,
    data: object = None,
    alert: bool = False,
    sort_keys: dict[int, object] | None = None,
) -> QTreeWidgetItem:
    """Append a row; ``sort_keys`` gives real values (ISO dates, numbers) for columns whose
    text would sort wrongly, such as "03 Apr 2025"."""
    item = SortableItem([str(v) for v in values])
    for column, key in (sort_keys or {}).items():
        item.setData(column, SORT_ROLE, key)
    if data is not None:
        item.setData(0, Qt.ItemDataRole.UserRole, data)
    if alert:
        for column in range(len(values)):
            item.setForeground(column, QBrush(ALERT))
    view.addTopLevelItem(item)
    return item


def chip(text: str, kind: str) -> QLabel:
    """A small coloured flag such as RESTRICTED or UASC; ``kind`` picks its style sheet rule."""
    label = QLabel(text)
    label.setObjectName(f"chip_{kind}")
    label.setAccessibleName(f"Flag: {text}")
    return label


def pounds(pence: int | None) -> str:
    return "–" if pence is None else f"£{pence / 100:,.2f}"


def empty_note(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("empty")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label
