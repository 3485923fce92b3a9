"""The caseload screen: who I work with, who is overdue a visit, and search across all notes."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from keyworker_app.store.caseload import CaseloadRow, Scope
from keyworker_app.store.search import SearchHit
from keyworker_app.ui.caseload_model import NAME, ROW_ROLE, CaseloadTableModel
from keyworker_app.ui.widgets import empty_note

SEARCH_DELAY_MS = 250
# Widths that fit all ten columns in a 1280-pixel window; the user's own widths are remembered.
COLUMN_WIDTHS = (185, 40, 105, 150, 215, 135, 100, 75, 120, 100)


class CaseloadPage(QWidget):
    open_requested = Signal(str, object)  # young person id, contact id to select (or None)
    search_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sized = False
        self.model = CaseloadTableModel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._bar())
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._table())
        self.results_panel = self._results()
        splitter.addWidget(self.results_panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.results_panel.hide()
        layout.addWidget(splitter)

        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(
            lambda: self.search_requested.emit(self.filter.text().strip())
        )
        self.model.modelReset.connect(self._update_count)

    def _bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Find a young person, or words in any note  (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Find")
        self.filter.setMinimumWidth(360)
        self.filter.textChanged.connect(self._filter_changed)
        self.filter.returnPressed.connect(self._open_first)
        bar.addWidget(self.filter, 2)
        self.scopes = QButtonGroup(self)
        for n, (label, scope) in enumerate(
            (("&Mine", Scope.MINE), ("My &team", Scope.TEAM), ("&All", Scope.ALL))
        ):
            button = QRadioButton(label)
            button.setProperty("scope", scope.value)
            self.scopes.addButton(button, n)
            bar.addWidget(button)
        self.scopes.idToggled.connect(self._scope_changed)
        self.open_only = QCheckBox("Open cases only")
        self.open_only.setChecked(True)
        self.open_only.toggled.connect(self._open_only_changed)
        bar.addWidget(self.open_only)
        bar.addStretch(1)
        self.count = QLabel()
        self.count.setAccessibleName("Young people shown")
        bar.addWidget(self.count)
        return bar

    def _table(self) -> QWidget:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        # Fixed row heights: Qt need not measure every row after each keystroke.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setAccessibleName("Caseload")
        self.table.activated.connect(self._open_index)
        self.table.doubleClicked.connect(self._open_index)
        self.empty = empty_note(
            "No young people in this caseload yet.\n\nImport your team's spreadsheet with "
            "“keyworker import-csv FILE”, or try the synthetic demo with “keyworker --demo”."
        )
        self.empty.hide()
        table_box = QWidget()
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.table)
        table_layout.addWidget(self.empty)
        return table_box

    def _results(self) -> QWidget:
        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 4, 0, 0)
        self.results_label = QLabel("Notes")
        results_layout.addWidget(self.results_label)
        self.results = QListWidget()
        self.results.setAccessibleName("Notes matching the search")
        self.results.setWordWrap(True)
        self.results.itemActivated.connect(self._open_hit)
        results_layout.addWidget(self.results)
        return results

    # -- data -------------------------------------------------------------------------------
    def set_user(self, user_name: str | None, team: str | None) -> None:
        self.model.set_user(user_name, team)
        if not self.scopes.checkedButton():
            self.scopes.button(0 if user_name else 2).setChecked(True)

    def set_rows(self, rows: list[CaseloadRow]) -> None:
        self.model.set_rows(rows)
        if self.model.rowCount() == 0 and self.scopes.checkedId() == 0 and rows:
            self.scopes.button(2).setChecked(True)  # nobody allocated to me: show everyone
        if not self._sized:
            for column, width in enumerate(COLUMN_WIDTHS):
                self.table.setColumnWidth(column, width)
            self._sized = True
        self._update_count()

    def show_hits(self, query: str, hits: list[SearchHit]) -> None:
        if query != self.filter.text().strip():
            return  # a newer search is on its way
        self.results.clear()
        if not query:
            self.results_panel.hide()
            return
        self.results_label.setText(
            f"Notes mentioning “{query}”: {len(hits)}{'+' if len(hits) >= 50 else ''}"
        )
        for hit in hits:
            when = hit.occurred.astimezone().strftime("%d %b %Y") if hit.occurred else ""
            snippet = hit.snippet.replace("[", "").replace("]", "")
            item = QListWidgetItem(
                f"{hit.name} ({hit.reference}) · {when} · {hit.record_type}: {snippet}"
            )
            item.setData(Qt.ItemDataRole.UserRole, (hit.young_person_id, hit.record_id))
            self.results.addItem(item)
        self.results_panel.setVisible(True)

    def clear(self) -> None:
        self.model.clear()
        self.filter.clear()
        self.results.clear()
        self.results_panel.hide()

    # -- interaction --------------------------------------------------------------------------
    def _filter_changed(self, text: str) -> None:
        self.model.set_text(text)
        self.search_timer.start()

    def _scope_changed(self, button_id: int, checked: bool) -> None:
        if checked:
            self.model.set_scope(Scope(self.scopes.button(button_id).property("scope")))

    def _open_only_changed(self, checked: bool) -> None:
        self.model.set_open_only(checked)

    def _update_count(self) -> None:
        self.count.setText(f"{self.model.rowCount()} of {self.model.total} young people")
        self.empty.setVisible(self.model.total == 0)
        self.table.setVisible(self.model.total > 0)

    def _open_index(self, index: object) -> None:
        row = self.model.data(index, ROW_ROLE)  # type: ignore[arg-type]
        if row is not None:
            self.open_requested.emit(row.young_person_id, None)

    def _open_first(self) -> None:
        if self.model.rowCount():
            self._open_index(self.model.index(0, 0))

    def _open_hit(self, item: QListWidgetItem) -> None:
        young_person_id, record_id = item.data(Qt.ItemDataRole.UserRole)
        if young_person_id:
            self.open_requested.emit(young_person_id, record_id)
