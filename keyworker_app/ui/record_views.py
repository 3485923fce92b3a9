"""The views of a young person's record: contacts (list and reader), chronology, goals,
missing episodes, placements and actions."""

from __future__ import annotations

import html
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from keyworker_app.domain.vocabulary import ActionStatus, ChronologyCategory, RecordStatus, Worry
from keyworker_app.store.models import Contact
from keyworker_app.store.record import YoungPersonRecord
from keyworker_app.ui.goal_chart import GoalChart
from keyworker_app.ui.widgets import add_row, pounds, table


def day_text(value: date | None) -> str:
    return value.strftime("%d %b %Y") if value else "–"


def contact_html(contact: Contact, record: YoungPersonRecord) -> str:
    """The reader's view of one contact and its addenda."""
    e = html.escape
    when = contact.occurred_at.astimezone().strftime("%A %d %B %Y, %H:%M")
    status = (
        "Draft (not finalised)"
        if contact.status == RecordStatus.DRAFT
        else (
            f"Finalised by {e(record.name_of(contact.finalised_by))} on "
            f"{contact.finalised_at.astimezone():%d %b %Y %H:%M}"
            if contact.finalised_at
            else "Finalised"
        )
    )
    author = f"Written by {e(record.name_of(contact.author))}. " if contact.author else ""
    parts = [
        f"<h3>{e(contact.contact_type.label)} · {when}</h3>",
        f"<p><i>{author}{status}</i></p>",
    ]
    facts = []
    if contact.duration_minutes:
        facts.append(f"<b>Duration</b> {contact.duration_minutes} min")
    if contact.location:
        facts.append(f"<b>Where</b> {e(contact.location)}")
    if contact.present:
        facts.append(f"<b>Present</b> {e(', '.join(contact.present))}")
    if contact.purpose:
        facts.append(f"<b>Purpose</b> {e(contact.purpose)}")
    if contact.significant:
        facts.append("<b>Significant event</b> (in the chronology)")
    if facts:
        parts.append("<p>" + "<br>".join(facts) + "</p>")
    parts.append("<p>" + e(contact.narrative).replace("\n", "<br>") + "</p>")
    if contact.own_words:
        parts.append(
            f"<blockquote><b>In their own words:</b> “{e(contact.own_words)}”</blockquote>"
        )
    if contact.worries:
        labels = []
        for code in contact.worries:
            try:
                labels.append(Worry(code).label)
            except ValueError:
                labels.append(code)
        parts.append("<p><b>Worries:</b> " + e(", ".join(labels)) + "</p>")
    for addendum in record.addenda.get(contact.id, []):
        parts.append(
            f"<hr><p><b>Addendum</b> by {e(record.name_of(addendum.author))} on "
            f"{addendum.written_at.astimezone():%d %b %Y %H:%M}</p><p>{e(addendum.text)}</p>"
        )
    return "\n".join(parts)


class ContactsView(QWidget):
    new_contact = Signal()
    edit_draft = Signal(str)
    add_addendum = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: YoungPersonRecord | None = None
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.new_button = QPushButton("New contact")
        self.new_button.setToolTip("Record a contact (Ctrl+N)")
        self.new_button.clicked.connect(self.new_contact)
        self.edit_button = QPushButton("Continue draft")
        self.edit_button.clicked.connect(self._edit)
        self.addendum_button = QPushButton("Add addendum…")
        self.addendum_button.clicked.connect(self._addendum)
        for button in (self.new_button, self.edit_button, self.addendum_button):
            bar.addWidget(button)
        bar.addStretch(1)
        layout.addLayout(bar)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.list = table(["Date", "Type", "Status", ""], "Contacts")
        self.list.setSortingEnabled(False)
        self.list.currentItemChanged.connect(self._show_current)
        self.list.itemActivated.connect(lambda *_: self._edit())
        self.reader = QTextBrowser()
        self.reader.setAccessibleName("Contact")
        self.reader.setOpenLinks(False)
        splitter.addWidget(self.list)
        splitter.addWidget(self.reader)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout.addWidget(splitter)
        self._by_id: dict[str, Contact] = {}

    def show_record(self, record: YoungPersonRecord, select: str | None = None) -> None:
        self.record = record
        self.list.clear()
        self._by_id = {c.id: c for c in record.contacts}
        chosen = None
        for contact in record.contacts:
            item = add_row(
                self.list,
                [
                    contact.occurred_at.astimezone().strftime("%d %b %Y %H:%M"),
                    contact.contact_type.label,
                    "Draft" if contact.status == RecordStatus.DRAFT else "Final",
                    "★" if contact.significant else "",
                ],
                data=contact.id,
            )
            if contact.id == select:
                chosen = item
        if chosen is None and self.list.topLevelItemCount():
            chosen = self.list.topLevelItem(0)
        if chosen is not None:
            self.list.setCurrentItem(chosen)
        else:
            self.reader.setHtml(
                "<p>No contacts recorded yet. Press <b>New contact</b> (Ctrl+N).</p>"
            )
        self._update_buttons()

    def select(self, contact_id: str) -> None:
        for n in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(n)
            if item.data(0, Qt.ItemDataRole.UserRole) == contact_id:
                self.list.setCurrentItem(item)
                return

    def current(self) -> Contact | None:
        item = self.list.currentItem()
        return self._by_id.get(item.data(0, Qt.ItemDataRole.UserRole)) if item else None

    def _show_current(self) -> None:
        contact = self.current()
        if contact is not None and self.record is not None:
            self.reader.setHtml(contact_html(contact, self.record))
        self._update_buttons()

    def _update_buttons(self) -> None:
        contact = self.current()
        self.edit_button.setEnabled(contact is not None and contact.status == RecordStatus.DRAFT)
        self.addendum_button.setEnabled(
            contact is not None and contact.status == RecordStatus.FINAL
        )

    def _edit(self) -> None:
        contact = self.current()
        if contact is not None and contact.status == RecordStatus.DRAFT:
            self.edit_draft.emit(contact.id)

    def _addendum(self) -> None:
        contact = self.current()
        if contact is None or contact.status != RecordStatus.FINAL:
            return
        text, ok = QInputDialog.getMultiLineText(
            self,
            "Add an addendum",
            "Finalised contacts are never edited. Write the correction or addition; "
            "it is kept with your name and the time.",
        )
        if ok and text.strip():
            self.add_addendum.emit(contact.id, text.strip())


class ChronologyEventDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a chronology event")
        form = QFormLayout(self)
        self.when = QDateEdit(QDate.currentDate())
        self.when.setCalendarPopup(True)
        self.when.setMaximumDate(QDate.currentDate())
        self.category = QComboBox()
        for category in ChronologyCategory:
            if category != ChronologyCategory.CONTACT:
                self.category.addItem(category.label, category.value)
        self.title = QLineEdit()
        self.title.setAccessibleName("Event title")
        self.detail = QPlainTextEdit()
        self.detail.setAccessibleName("Event detail")
        self.detail.setTabChangesFocus(True)
        form.addRow("Date", self.when)
        form.addRow("Category", self.category)
        form.addRow("What happened", self.title)
        form.addRow("Detail", self.detail)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _accept(self) -> None:
        if self.title.text().strip():
            self.accept()
        else:
            self.title.setFocus()
            self.title.setPlaceholderText("Say what happened")


class ChronologyView(QWidget):
    add_event = Signal(object, str, str, str)  # date, category, title, detail

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: YoungPersonRecord | None = None
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show"))
        self.filter = QComboBox()
        self.filter.setAccessibleName("Chronology category")
        self.filter.addItem("All categories", None)
        for category in ChronologyCategory:
            self.filter.addItem(category.label, category.value)
        self.filter.currentIndexChanged.connect(self._refill)
        bar.addWidget(self.filter)
        bar.addStretch(1)
        add = QPushButton("Add event…")
        add.clicked.connect(self._add)
        bar.addWidget(add)
        layout.addLayout(bar)
        self.list = table(["Date", "Category", "Event", "Source"], "Chronology")
        layout.addWidget(self.list)

    def show_record(self, record: YoungPersonRecord) -> None:
        self.record = record
        self._refill()

    def _refill(self) -> None:
        self.list.clear()
        if self.record is None:
            return
        wanted = self.filter.currentData()
        for entry in self.record.chronology:
            if wanted and entry.category.value != wanted:
                continue
            title = (
                entry.title
                if entry.source == "manual"
                else f"{entry.title}: {(entry.detail or '')[:120]}"
            )
            add_row(
                self.list,
                [
                    day_text(entry.occurred_on),
                    entry.category.label,
                    title,
                    "Contact" if entry.source == "contact" else "Entered",
                ],
                sort_keys={0: entry.occurred_on.isoformat()},
            )
        self.list.sortByColumn(0, Qt.SortOrder.DescendingOrder)

    def _add(self) -> None:
        dialog = ChronologyEventDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add_event.emit(
                dialog.when.date().toPython(),
                dialog.category.currentData(),
                dialog.title.text().strip(),
                dialog.detail.toPlainText().strip(),
            )


class GoalsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.chart = GoalChart()
        layout.addWidget(self.chart, 3)
        self.list = table(
            ["Goal (in their words)", "Set", "First", "Latest", "Trend", "Status"], "Goals"
        )
        layout.addWidget(self.list, 2)

    def show_record(self, record: YoungPersonRecord) -> None:
        self.chart.set_series(
            [(g.goal.description, [(s.scored_on, s.score) for s in g.scores]) for g in record.goals]
        )
        self.list.clear()
        for progress in record.goals:
            scores = progress.scores
            add_row(
                self.list,
                [
                    progress.goal.description,
                    day_text(progress.goal.set_on),
                    str(scores[0].score) if scores else "–",
                    str(scores[-1].score) if scores else "–",
                    f"{progress.trend.symbol} {progress.trend.value.replace('_', ' ')}",
                    progress.goal.status.label,
                ],
            )


class SimpleListView(QWidget):
    """A view that is one table, refilled from the record by ``fill``."""

    def __init__(self, headers: list[str], name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.list: QTreeWidget = table(headers, name)
        layout.addWidget(self.list)


def fill_missing(view: SimpleListView, record: YoungPersonRecord) -> None:
    view.list.clear()
    for episode in record.missing_episodes:
        hours = "still missing"
        if episode.returned_at:
            hours = (
                f"{(episode.returned_at - episode.went_missing_at).total_seconds() / 3600:.0f} h"
            )
        add_row(
            view.list,
            [
                episode.went_missing_at.astimezone().strftime("%d %b %Y %H:%M"),
                hours,
                "Yes" if episode.reported_to_police else "No",
                day_text(episode.return_interview_on),
                "Yes" if episode.exploitation_concern else "",
                episode.where_found or "",
            ],
            alert=episode.exploitation_concern,
            sort_keys={0: episode.went_missing_at.isoformat()},
        )


def fill_placements(view: SimpleListView, record: YoungPersonRecord) -> None:
    view.list.clear()
    for placement in reversed(record.placements):
        area = (
            "" if placement.in_area is None else ("In area" if placement.in_area else "Out of area")
        )
        add_row(
            view.list,
            [
                placement.placement_type.label,
                placement.provider or "",
                area,
                day_text(placement.start_date),
                day_text(placement.end_date) if placement.end_date else "Current",
                pounds(placement.weekly_cost_pence),
                placement.end_reason or "",
            ],
            sort_keys={
                3: placement.start_date.isoformat(),
                4: placement.end_date.isoformat() if placement.end_date else "9999",
                5: placement.weekly_cost_pence or 0,
            },
        )


def fill_actions(view: SimpleListView, record: YoungPersonRecord) -> None:
    view.list.clear()
    for action in record.actions:
        overdue = record.overdue(action)
        status = "Overdue" if overdue else action.status.label
        if action.status == ActionStatus.DONE and action.completed_on:
            status = f"Done {day_text(action.completed_on)}"
        add_row(
            view.list,
            [
                action.description,
                record.staff_names.get(action.owner_id or "", "–"),
                day_text(action.due_on),
                status,
                action.source.label,
            ],
            alert=overdue,
            sort_keys={2: action.due_on.isoformat() if action.due_on else "9999"},
        )
