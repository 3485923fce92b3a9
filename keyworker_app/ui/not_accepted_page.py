"""The changes the central store did not accept: each with what it was, when it was refused, the
central store's reason and what to do. They are sent again (corrected first, where one field
fixes it), exported, or discarded; nothing refused goes until someone chooses to let it go."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QDateTime, QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateTimeEdit,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from keyworker_app.sync.refused import RefusedItem
from keyworker_app.ui.widgets import add_row, empty_note, table

# The moment a "clock" refusal is about, per record type, and its name on screen. Only records
# this app writes are listed (a missing episode comes from the team's spreadsheet).
CLOCK_FIELDS = {
    "contact": ("occurred_at", "&Time of the contact"),
    "addendum": ("written_at", "&Time the addendum was written"),
}
EVERYTHING_ACCEPTED = "Everything you saved has been accepted by the central store."
# The way out names the command line's command in brackets; on this page the buttons do it.
_COMMAND = re.compile(r"\s*\(keyworker [^)]*\)")
_LISTED_IN_QUESTION = 5


@dataclass(frozen=True)
class NotAccepted:
    """One refused change as the page shows it."""

    item: RefusedItem
    name: str | None  # the young person's name, when they are on this laptop
    moment: datetime | None  # for a "clock" refusal: the time as this laptop holds it


def sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def way_out(item: RefusedItem) -> str:
    return sentence(_COMMAND.sub("", item.way_out))


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%d %b %Y %H:%M")


class NotAcceptedPage(QWidget):
    """Emits what the user chose; sync_flow runs it off the GUI thread, and the page is shown
    again when the store says the refused changes changed."""

    resend_requested = Signal(object, object)  # numbers, corrections (field -> text) or None
    export_requested = Signal(object)  # Path
    discard_requested = Signal(object)  # numbers
    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: dict[int, NotAccepted] = {}
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        back = QPushButton("← Caseload")
        back.setAccessibleName("Back to the caseload")
        back.clicked.connect(self.back)
        self.back_button = back
        top.addWidget(back)
        title = QLabel("Not accepted: changes the central store refused")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        top.addWidget(title)
        top.addStretch(1)
        layout.addLayout(top)
        self.intro = intro = QLabel(
            "The central store checks every change it receives. It refused these, so nobody "
            "else has them yet. Nothing is lost: each stays on this laptop, with the reason, "
            "until you send it again (corrected where needed), export it or discard it."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("What happened")
        self.message.hide()
        layout.addWidget(self.message)

        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.empty = empty_note(EVERYTHING_ACCEPTED)
        self.stack.addWidget(self.empty)
        content = QWidget()
        self.stack.addWidget(content)
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, 0, 0)
        self.list = table(["Young person", "What", "Refused", "Reason"], "Changes not accepted")
        # Several can be sent again or discarded at once (Shift or Ctrl with the arrows).
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.itemSelectionChanged.connect(self._show)
        body.addWidget(self.list, 2)
        self.detail = QTextBrowser()
        self.detail.setAccessibleName("The selected change")
        self.detail.setOpenLinks(False)
        body.addWidget(self.detail, 1)
        body.addWidget(self._correction_box())
        body.addLayout(self._buttons())
        self.stack.setCurrentWidget(self.empty)
        self.intro.hide()
        self._enable()

    def _correction_box(self) -> QGroupBox:
        self.correction = QGroupBox("Correct it, then choose Send again")
        form = QFormLayout(self.correction)
        self.when = QDateTimeEdit()
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("dd MMM yyyy HH:mm")
        self.when.setMaximumWidth(220)
        self.when.setAccessibleName("Corrected time")
        self.when_label = QLabel(CLOCK_FIELDS["contact"][1])
        self.when_label.setBuddy(self.when)
        form.addRow(self.when_label, self.when)
        self.reference = QLineEdit()
        self.reference.setMaximumWidth(220)
        self.reference.setAccessibleName("New reference")
        self.reference.setPlaceholderText("a reference nobody else has")
        self.reference.returnPressed.connect(self._resend)
        reference_label = QLabel("New &reference")
        reference_label.setBuddy(self.reference)
        form.addRow(reference_label, self.reference)
        self.correction.hide()
        return self.correction

    def _buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        self.export_button = QPushButton("E&xport…")
        self.export_button.setToolTip(
            "Write every change listed here to a file (not encrypted), for whoever sorts it out"
        )
        self.export_button.clicked.connect(self._export)
        self.discard_button = QPushButton("Dis&card…")
        self.discard_button.setToolTip("Let the selected changes go (asks first)")
        self.discard_button.clicked.connect(self._discard)
        self.resend_button = QPushButton("Send &again")
        self.resend_button.setToolTip("Put the selected changes back to be sent, and sync now")
        self.resend_button.clicked.connect(self._resend)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.discard_button)
        buttons.addStretch(1)
        buttons.addWidget(self.resend_button)
        return buttons

    # -- showing ----------------------------------------------------------------------------
    def set_changes(self, entries: list[NotAccepted]) -> None:
        chosen = set(self.selected_numbers())
        self.entries = {entry.item.number: entry for entry in entries}
        self.list.clear()
        for entry in entries:
            item = entry.item
            add_row(
                self.list,
                [
                    entry.name or item.reference or "–",
                    sentence(item.what).rstrip("."),
                    _when(item.refused_at),
                    sentence(item.reason),
                ],
                data=item.number,
                sort_keys={2: item.refused_at.isoformat()},
            )
        self.list.sortByColumn(2, Qt.SortOrder.AscendingOrder)
        self.stack.setCurrentIndex(1 if entries else 0)
        self.intro.setVisible(bool(entries))  # it speaks of "these"
        rows = [self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount())]
        kept = [row for row in rows if row.data(0, Qt.ItemDataRole.UserRole) in chosen]
        if rows:
            # No selection command here: with Ctrl held, the default one would toggle it off.
            self.list.setCurrentItem(
                (kept or rows)[0], 0, QItemSelectionModel.SelectionFlag.NoUpdate
            )
        for row in kept or rows[:1]:
            row.setSelected(True)
        self._show()

    def focus_first(self) -> None:
        (self.list if self.entries else self.back_button).setFocus()

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setObjectName("error" if error else "")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def clear(self) -> None:
        self.entries = {}
        self.list.clear()
        self.detail.clear()
        self.reference.clear()
        self.show_message("")
        self.stack.setCurrentWidget(self.empty)
        self.intro.hide()
        self._show()

    def selected_numbers(self) -> list[int]:
        return sorted(
            int(row.data(0, Qt.ItemDataRole.UserRole)) for row in self.list.selectedItems()
        )

    def _selected(self) -> list[NotAccepted]:
        return [self.entries[n] for n in self.selected_numbers() if n in self.entries]

    def _enable(self) -> None:
        chosen = bool(self.selected_numbers())
        self.resend_button.setEnabled(chosen)
        self.discard_button.setEnabled(chosen)
        self.export_button.setEnabled(bool(self.entries))

    def _show(self) -> None:
        self._enable()
        chosen = self._selected()
        self._offer_correction(chosen[0] if len(chosen) == 1 else None)
        if not chosen:
            self.detail.clear()
            return
        e = html.escape
        if len(chosen) > 1:
            self.detail.setHtml(
                f"<p>{len(chosen)} changes selected: <b>Send again</b> and <b>Discard…</b> act on "
                "all of them. Select one to read its reason.</p>"
            )
            return
        entry = chosen[0]
        item = entry.item
        about = f" ({e(entry.name)})" if entry.name else ""
        self.detail.setHtml(
            f"<p><b>{e(sentence(item.what).rstrip('.'))}</b>{about}, refused "
            f"{e(_when(item.refused_at))}.</p>"
            f"<p><b>The central store's reason:</b> {e(sentence(item.reason))}</p>"
            f"<p><b>What to do:</b> {e(way_out(item))}</p>"
        )

    def _offer_correction(self, entry: NotAccepted | None) -> None:
        """The one field that fixes a refusal, when there is one: the time for a wrong clock,
        the reference for one another young person already has."""
        code = entry.item.code if entry else None
        clock = (
            entry is not None
            and code == "clock"
            and entry.item.record_type in CLOCK_FIELDS
            and entry.moment is not None
        )
        reference = entry is not None and code == "duplicate_reference"
        form = self.correction.layout()
        assert isinstance(form, QFormLayout)
        form.setRowVisible(0, clock)
        form.setRowVisible(1, reference)
        self.correction.setVisible(clock or reference)
        if clock and entry is not None and entry.moment is not None:
            self.when_label.setText(CLOCK_FIELDS[entry.item.record_type][1])
            self.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(entry.moment.timestamp())))
        if reference and entry is not None:
            self.reference.setText(entry.item.reference or "")

    def _corrections(self, entry: NotAccepted) -> dict[str, str] | None:
        """What the user corrected (nothing when a field was left as it was)."""
        item = entry.item
        if item.code == "clock" and entry.moment is not None and item.record_type in CLOCK_FIELDS:
            seconds = self.when.dateTime().toSecsSinceEpoch()
            if seconds == int(entry.moment.timestamp()):
                return None
            moment = datetime.fromtimestamp(seconds).astimezone()  # the laptop's own zone
            return {CLOCK_FIELDS[item.record_type][0]: moment.isoformat()}
        if item.code == "duplicate_reference":
            text = self.reference.text().strip()
            if text and text != (item.reference or ""):
                return {"reference": text}
        return None

    # -- acting -----------------------------------------------------------------------------
    def _resend(self) -> None:
        chosen = self._selected()
        if not chosen:
            return
        corrections = self._corrections(chosen[0]) if len(chosen) == 1 else None
        self.resend_requested.emit([entry.item.number for entry in chosen], corrections)

    def _export(self) -> None:
        if not self.entries:
            return
        suggested = Path.home() / f"not-accepted-{date.today().isoformat()}.json"
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export the changes not accepted (the file is not encrypted)",
            str(suggested),
            "JSON (*.json)",
        )
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() != ".json":
            target = target.with_name(target.name + ".json")
        self.export_requested.emit(target)

    def _discard(self) -> None:
        chosen = self._selected()
        if not chosen:
            return
        one = len(chosen) == 1
        listed = [
            f"• {sentence(entry.item.what).rstrip('.')}"
            + (f" ({entry.name})" if entry.name else "")
            + f", refused {_when(entry.item.refused_at)}"
            for entry in chosen[:_LISTED_IN_QUESTION]
        ]
        if len(chosen) > _LISTED_IN_QUESTION:
            listed.append(f"• and {len(chosen) - _LISTED_IN_QUESTION} more")
        it, they = ("it", "it") if one else ("them", "they")
        answer = QMessageBox.question(
            self,
            "Discard this change?" if one else f"Discard these {len(chosen)} changes?",
            "\n".join(listed)
            + f"\n\nThe central store never accepted {it}, so nobody else has {it}, and once "
            f"discarded {they} cannot be sent again. If {they} may matter, choose Cancel and "
            "use Export… first.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.discard_requested.emit([entry.item.number for entry in chosen])
