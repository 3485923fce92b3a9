"""Recording a contact, keyboard first. Drafts save themselves a few seconds after a change and
whenever focus leaves a field, so a crash or power cut loses at most a few seconds of typing."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDate, QDateTime, QEvent, QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from keyworker_app.domain.vocabulary import ContactType, Worry
from keyworker_app.store.models import Contact
from keyworker_app.store.recording import ContactDetails
from keyworker_app.ui.autosave import Autosave


class ContactEditor(QWidget):
    """Emits ``save_requested`` with the details; the window saves them off the GUI thread (in
    order, so a later finalise or action follows the save) and calls ``saved`` with the id."""

    save_requested = Signal(object)  # ContactDetails
    finalise_requested = Signal()
    action_requested = Signal(str, object, object)  # text, owner id, due date
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.young_person_id: str | None = None
        self.contact_id: str | None = None
        self._loading = False

        outer = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        bar.addWidget(self.title)
        bar.addStretch(1)
        self.state = QLabel("Not saved yet")
        self.state.setAccessibleName("Draft state")
        bar.addWidget(self.state)
        self.autosave = Autosave(
            self,
            lambda: self.save_requested.emit(self.details()),
            self.state,
            # A new contact becomes a record only once something is written in it.
            can_save=lambda: (
                self.young_person_id is not None
                and (self.contact_id is not None or self.has_content())
            ),
        )
        outer.addLayout(bar)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll)
        layout = QVBoxLayout(body)
        self._details(layout)
        self._texts(layout)
        self._worries(layout)
        self._actions(layout)
        outer.addLayout(self._buttons())
        self._watch_changes()

    def _details(self, layout: QVBoxLayout) -> None:
        form = QFormLayout()
        self.when = QDateTimeEdit(QDateTime.currentDateTime())
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("dd MMM yyyy HH:mm")
        self.when.setAccessibleName("When")
        self.type = QComboBox()
        self.type.setAccessibleName("Contact type")
        for kind in ContactType:
            self.type.addItem(kind.label, kind.value)
        self.duration = QSpinBox()
        self.duration.setRange(0, 1440)
        self.duration.setSuffix(" min")
        self.duration.setAccessibleName("Duration in minutes")
        self.location = QLineEdit()
        self.location.setAccessibleName("Where")
        self.present = QLineEdit()
        self.present.setPlaceholderText(
            "e.g. Mum, foster carer, social worker (separate with commas)"
        )
        self.present.setAccessibleName("Who was present")
        self.purpose = QLineEdit()
        self.purpose.setAccessibleName("Purpose")
        for field, width in ((self.when, 220), (self.type, 260), (self.duration, 120)):
            field.setMaximumWidth(width)
        form.addRow("&When", self.when)
        form.addRow("&Type", self.type)
        form.addRow("&Duration", self.duration)
        form.addRow("W&here", self.location)
        form.addRow("&Present", self.present)
        form.addRow("P&urpose", self.purpose)
        layout.addLayout(form)

    def _texts(self, layout: QVBoxLayout) -> None:
        self.narrative = QPlainTextEdit()
        self.narrative.setAccessibleName("What happened")
        self.narrative.setPlaceholderText("What happened, what you noticed, what was agreed")
        self.narrative.setTabChangesFocus(True)
        self.narrative.setMinimumHeight(160)
        self.own_words = QPlainTextEdit()
        self.own_words.setAccessibleName("In their own words")
        self.own_words.setPlaceholderText("What the young person said, in their words")
        self.own_words.setTabChangesFocus(True)
        self.own_words.setMaximumHeight(90)
        layout.addWidget(QLabel("What &happened"))
        layout.itemAt(layout.count() - 1).widget().setBuddy(self.narrative)  # type: ignore[union-attr]
        layout.addWidget(self.narrative)
        layout.addWidget(QLabel("In their &own words"))
        layout.itemAt(layout.count() - 1).widget().setBuddy(self.own_words)  # type: ignore[union-attr]
        layout.addWidget(self.own_words)

    def _worries(self, layout: QVBoxLayout) -> None:
        worries = QGroupBox("Worries")
        grid = QGridLayout(worries)
        self.worries: dict[Worry, QCheckBox] = {}
        for n, worry in enumerate(Worry):
            box = QCheckBox(worry.label)
            self.worries[worry] = box
            grid.addWidget(box, n // 4, n % 4)
        layout.addWidget(worries)
        self.significant = QCheckBox("&Significant event (add to the chronology)")
        layout.addWidget(self.significant)

    def _actions(self, layout: QVBoxLayout) -> None:
        actions = QGroupBox("Actions agreed")
        actions_layout = QVBoxLayout(actions)
        row = QHBoxLayout()
        self.action_text = QLineEdit()
        self.action_text.setPlaceholderText("What will be done")
        self.action_text.setAccessibleName("Action agreed")
        self.action_owner = QComboBox()
        self.action_owner.setAccessibleName("Action owner")
        self.action_due = QDateEdit(QDate.currentDate().addDays(14))
        self.action_due.setCalendarPopup(True)
        self.action_due.setAccessibleName("Action due date")
        add_action = QPushButton("Add action")
        add_action.clicked.connect(self._add_action)
        self.action_text.returnPressed.connect(self._add_action)
        row.addWidget(self.action_text, 3)
        row.addWidget(self.action_owner, 1)
        row.addWidget(self.action_due)
        row.addWidget(add_action)
        actions_layout.addLayout(row)
        self.actions_list = QLabel()
        self.actions_list.setWordWrap(True)
        actions_layout.addWidget(self.actions_list)
        layout.addWidget(actions)

    def _buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Close the editor; the draft is kept")
        self.close_button.clicked.connect(self._close)
        self.save_button = QPushButton("Save draft")
        self.save_button.setToolTip("Save now (Ctrl+S); drafts also save themselves")
        self.save_button.clicked.connect(self.save_now)
        self.finalise_button = QPushButton("Finalise…")
        self.finalise_button.clicked.connect(self._finalise)
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.finalise_button)
        return buttons

    def _watch_changes(self) -> None:
        for widget in (self.location, self.present, self.purpose):
            widget.textEdited.connect(self._changed)
            widget.editingFinished.connect(self._left_field)
        for text in (self.narrative, self.own_words):
            text.textChanged.connect(self._changed)
            text.installEventFilter(self)
        self.when.dateTimeChanged.connect(self._changed)
        self.type.currentIndexChanged.connect(self._changed)
        self.duration.valueChanged.connect(self._changed)
        self.significant.toggled.connect(self._changed)
        for box in self.worries.values():
            box.toggled.connect(self._changed)

    # -- loading --------------------------------------------------------------------------
    def set_staff(self, staff: list[tuple[str, str]], me: str | None) -> None:
        self.action_owner.clear()
        for staff_id, name in staff:
            self.action_owner.addItem(name, staff_id)
        if me is not None:
            index = self.action_owner.findData(me)
            if index >= 0:
                self.action_owner.setCurrentIndex(index)

    def start(
        self,
        young_person_id: str,
        name: str,
        contact: Contact | None = None,
        actions: list[str] | None = None,
    ) -> None:
        """Open a new contact, or the draft ``contact`` to carry on writing it."""
        self._loading = True
        self.young_person_id = young_person_id
        self.contact_id = contact.id if contact else None
        self.title.setText(f"Contact with {name}")
        moment = contact.occurred_at if contact else datetime.now(UTC)
        self.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(moment.timestamp())))
        self.type.setCurrentIndex(
            max(
                0,
                self.type.findData(
                    contact.contact_type.value if contact else ContactType.FACE_TO_FACE.value
                ),
            )
        )
        self.duration.setValue(contact.duration_minutes or 0 if contact else 60)
        self.location.setText(contact.location or "" if contact else "")
        self.present.setText(", ".join(contact.present) if contact else "")
        self.purpose.setText(contact.purpose or "" if contact else "")
        self.narrative.setPlainText(contact.narrative if contact else "")
        self.own_words.setPlainText(contact.own_words or "" if contact else "")
        chosen = set(contact.worries) if contact else set()
        for worry, box in self.worries.items():
            box.setChecked(worry.value in chosen)
        self.significant.setChecked(bool(contact and contact.significant))
        self.show_actions(actions or [])
        self.autosave.reset("Draft saved" if contact else "Not saved yet")
        self._loading = False
        self.narrative.setFocus()

    def show_actions(self, descriptions: list[str]) -> None:
        self.actions_list.setText("\n".join(f"• {d}" for d in descriptions) or "None yet.")

    def details(self) -> ContactDetails:
        when = self.when.dateTime().toSecsSinceEpoch()
        return ContactDetails(
            contact_type=ContactType(self.type.currentData()),
            narrative=self.narrative.toPlainText(),
            occurred_at=datetime.fromtimestamp(when, UTC),
            duration_minutes=self.duration.value() or None,
            location=self.location.text().strip() or None,
            present=[p.strip() for p in self.present.text().split(",") if p.strip()],
            purpose=self.purpose.text().strip() or None,
            own_words=self.own_words.toPlainText().strip() or None,
            worries=[w for w, box in self.worries.items() if box.isChecked()],
            significant=self.significant.isChecked(),
        )

    def has_content(self) -> bool:
        return bool(self.narrative.toPlainText().strip() or self.own_words.toPlainText().strip())

    # -- saving ---------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self.autosave.dirty

    @dirty.setter
    def dirty(self, value: bool) -> None:
        self.autosave.dirty = value

    def _changed(self, *_: object) -> None:
        if not self._loading:
            self.autosave.changed()

    def _left_field(self) -> None:
        if self.dirty:
            self.save_now()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusOut and self.dirty:
            self.save_now()
        return super().eventFilter(watched, event)

    def save_now(self) -> None:
        self.autosave.save_now()

    def saved(self, contact_id: str) -> None:
        self.contact_id = contact_id
        self.autosave.saved()

    def save_failed(self, message: str) -> None:
        self.autosave.failed(message)

    # -- finishing ------------------------------------------------------------------------
    def _add_action(self) -> None:
        text = self.action_text.text().strip()
        if not text:
            return
        if self.contact_id is None:
            # Save first: the store runs work in order, so the action follows its contact.
            self.dirty = True
            self.save_now()
        self.action_requested.emit(
            text,
            self.action_owner.currentData(),
            self.action_due.date().toPython(),
        )
        self.action_text.clear()

    def _finalise(self) -> None:
        if not self.narrative.toPlainText().strip():
            QMessageBox.information(
                self, "Nothing to finalise", "Write what happened before finalising."
            )
            self.narrative.setFocus()
            return
        answer = QMessageBox.question(
            self,
            "Finalise this contact?",
            "Once finalised, this contact cannot be edited. Corrections are added as addenda, "
            "with your name and the time.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.dirty = True
            self.save_now()
            self.finalise_requested.emit()

    def _close(self) -> None:
        self.save_now()
        self.closed.emit()

    def clear(self) -> None:
        self.autosave.reset()
        self._loading = True
        for field in (self.location, self.present, self.purpose):
            field.clear()
        self.narrative.clear()
        self.own_words.clear()
        self._loading = False
        self.young_person_id = None
        self.contact_id = None
