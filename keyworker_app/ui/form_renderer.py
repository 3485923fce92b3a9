"""The one form renderer: a Qt form generated from any template definition, and the read-only
and side-by-side views of responses. No screen is built by hand for a particular template."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from keyworker_app.forms.compare import FieldChange
from keyworker_app.forms.print_layout import print_blocks
from keyworker_app.forms.schema import FieldDef, FieldType, TemplateDef

NO_DATE = QDate(1900, 1, 1)


class FieldEditor:
    """One answer's widget, with a uniform way to read and write its value."""

    def __init__(self, field: FieldDef, staff: list[tuple[str, str]], on_change: Any) -> None:
        self.field = field
        self.widget = self._build(field, staff, on_change)
        self.widget.setAccessibleName(field.label)
        if field.help:
            self.widget.setToolTip(field.help)

    def _build(self, field: FieldDef, staff: list[tuple[str, str]], on_change: Any) -> QWidget:
        kind = field.type
        if kind == FieldType.SHORT_TEXT:
            line = QLineEdit()
            line.textEdited.connect(on_change)
            return line
        if kind == FieldType.LONG_TEXT:
            text = QPlainTextEdit()
            text.setTabChangesFocus(True)
            text.setMinimumHeight(70)
            text.setMaximumHeight(150)
            text.textChanged.connect(on_change)
            return text
        if kind in (FieldType.SINGLE_CHOICE, FieldType.STAFF):
            combo = QComboBox()
            combo.addItem("", None)
            for value, label in (
                staff if kind == FieldType.STAFF else [(o, o) for o in field.options]
            ):
                combo.addItem(label, value)
            combo.currentIndexChanged.connect(on_change)
            return combo
        if kind == FieldType.MULTIPLE_CHOICE:
            box = QWidget()
            grid = QGridLayout(box)
            grid.setContentsMargins(0, 0, 0, 0)
            for n, option in enumerate(field.options):
                check = QCheckBox(option)
                check.toggled.connect(on_change)
                grid.addWidget(check, n // 3, n % 3)
            return box
        if kind == FieldType.SCALE:
            spin = QSpinBox()
            spin.setRange(-1, 10)
            spin.setSpecialValueText("Not scored")
            spin.setValue(-1)
            spin.setMaximumWidth(130)
            spin.valueChanged.connect(on_change)
            if field.low_label or field.high_label:
                spin.setToolTip(f"0 = {field.low_label}\n10 = {field.high_label}")
            return spin
        if kind == FieldType.DATE:
            edit = QDateEdit()
            edit.setCalendarPopup(True)
            edit.setMinimumDate(NO_DATE)
            edit.setSpecialValueText("No date")
            edit.setDisplayFormat("dd MMM yyyy")
            edit.setDate(NO_DATE)
            edit.setMaximumWidth(160)
            edit.dateChanged.connect(on_change)
            return edit
        raise ValueError(f"no editor for {kind}")

    def value(self) -> Any:
        w, kind = self.widget, self.field.type
        if isinstance(w, QLineEdit):
            return w.text().strip() or None
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText().strip() or None
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QSpinBox):
            return None if w.value() < 0 else w.value()
        if isinstance(w, QDateEdit):
            return None if w.date() == NO_DATE else w.date().toString(Qt.DateFormat.ISODate)
        if kind == FieldType.MULTIPLE_CHOICE:
            return [c.text() for c in w.findChildren(QCheckBox) if c.isChecked()] or None
        return None

    def set_value(self, value: Any) -> None:
        w = self.widget
        if isinstance(w, QLineEdit):
            w.setText("" if value is None else str(value))
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText("" if value is None else str(value))
        elif isinstance(w, QComboBox):
            index = w.findData(value)
            if index < 0 and value is not None:  # a value no longer offered: keep it visible
                w.addItem(str(value), value)
                index = w.count() - 1
            w.setCurrentIndex(max(index, 0))
        elif isinstance(w, QSpinBox):
            w.setValue(int(value) if isinstance(value, int) else -1)
        elif isinstance(w, QDateEdit):
            day = QDate.fromString(str(value), Qt.DateFormat.ISODate) if value else NO_DATE
            w.setDate(day if day.isValid() else NO_DATE)
        elif self.field.type == FieldType.MULTIPLE_CHOICE:
            chosen = set(value or [])
            for check in w.findChildren(QCheckBox):
                check.setChecked(check.text() in chosen)


class GroupEditor(QWidget):
    """A repeating group (attendees, recommendations): add and remove items."""

    changed = Signal()

    def __init__(
        self, field: FieldDef, staff: list[tuple[str, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.field = field
        self.staff = staff
        self.items: list[tuple[QFrame, list[FieldEditor]]] = []
        self.setAccessibleName(field.label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.rows = QVBoxLayout()
        layout.addLayout(self.rows)
        noun = field.item_label or "item"
        self.add_button = QPushButton(f"Add {noun}")
        self.add_button.clicked.connect(lambda: (self.add_item(), self.changed.emit()))
        layout.addWidget(self.add_button, alignment=Qt.AlignmentFlag.AlignLeft)

    def add_item(self, values: Mapping[str, Any] | None = None) -> None:
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(frame)
        editors = []
        for sub in self.field.fields:
            editor = FieldEditor(sub, self.staff, lambda *_: self.changed.emit())
            editor.widget.setAccessibleName(
                f"{sub.label} ({self.field.item_label or 'item'} {len(self.items) + 1})"
            )
            if isinstance(editor.widget, QPlainTextEdit):
                editor.widget.setMinimumHeight(50)
                editor.widget.setMaximumHeight(70)
            column = QVBoxLayout()
            column.addWidget(QLabel(sub.label + (" *" if sub.required else "")))
            column.addWidget(editor.widget)
            row.addLayout(column, 3 if sub.type == FieldType.LONG_TEXT else 1)
            if values:
                editor.set_value(values.get(sub.id))
            editors.append(editor)
        remove = QPushButton("Remove")
        remove.setAccessibleName(f"Remove {self.field.item_label or 'item'}")
        remove.clicked.connect(lambda: self._remove(frame))
        row.addWidget(remove, alignment=Qt.AlignmentFlag.AlignBottom)
        self.rows.addWidget(frame)
        self.items.append((frame, editors))

    def _remove(self, frame: QFrame) -> None:
        self.items = [(f, e) for f, e in self.items if f is not frame]
        frame.setParent(None)
        frame.deleteLater()
        self.changed.emit()

    def value(self) -> list[dict[str, Any]] | None:
        items = []
        for _, editors in self.items:
            item = {e.field.id: e.value() for e in editors}
            if any(v is not None for v in item.values()):
                items.append(item)
        return items or None

    def set_value(self, value: Any) -> None:
        for frame, _ in self.items:
            frame.setParent(None)
            frame.deleteLater()
        self.items = []
        for item in value if isinstance(value, list) else []:
            if isinstance(item, dict):
                self.add_item(item)


class FormRenderer(QWidget):
    """An editable form for ``template``; ``changed`` fires on every edit (for autosave)."""

    changed = Signal()

    def __init__(
        self, template: TemplateDef, staff: list[tuple[str, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.template = template
        self.editors: dict[str, FieldEditor | GroupEditor] = {}
        self._loading = False
        layout = QVBoxLayout(self)
        for section in template.sections:
            box = QGroupBox(section.title)
            box.setAccessibleName(section.title)
            form = QFormLayout(box)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            if section.help:
                note = QLabel(section.help)
                note.setWordWrap(True)
                note.setObjectName("help")
                form.addRow(note)
            for field in section.fields:
                label = QLabel(field.label + (" *" if field.required else ""))
                label.setWordWrap(True)
                if field.type == FieldType.GROUP:
                    group = GroupEditor(field, staff)
                    group.changed.connect(self._changed)
                    self.editors[field.id] = group
                    form.addRow(label)
                    if field.help:
                        hint = QLabel(field.help)
                        hint.setWordWrap(True)
                        hint.setObjectName("help")
                        form.addRow(hint)
                    form.addRow(group)
                    continue
                editor = FieldEditor(field, staff, self._changed)
                label.setBuddy(editor.widget)
                self.editors[field.id] = editor
                if field.type in (FieldType.LONG_TEXT, FieldType.MULTIPLE_CHOICE):
                    form.addRow(label)
                    form.addRow(editor.widget)
                else:
                    form.addRow(label, editor.widget)
                if field.type == FieldType.SCALE and (field.low_label or field.high_label):
                    anchors = QLabel(f"0 = {field.low_label}; 10 = {field.high_label}")
                    anchors.setWordWrap(True)
                    anchors.setObjectName("help")
                    form.addRow("", anchors)
            layout.addWidget(box)
        layout.addStretch(1)

    def _changed(self, *_: object) -> None:
        if not self._loading:
            self.changed.emit()

    def values(self) -> dict[str, Any]:
        answers = {}
        for field_id, editor in self.editors.items():
            value = editor.value()
            if value is not None:
                answers[field_id] = value
        return answers

    def set_values(self, answers: Mapping[str, Any]) -> None:
        self._loading = True
        try:
            for field_id, editor in self.editors.items():
                editor.set_value(answers.get(field_id))
        finally:
            self._loading = False

    def editor_for(self, field_id: str) -> FieldEditor | GroupEditor:
        return self.editors[field_id]


def response_html(
    template: TemplateDef, answers: Mapping[str, Any], staff_names: Mapping[str, str]
) -> str:
    """A finalised response, read-only, laid out from the template's print definition."""
    e = html.escape
    parts = []
    for block in print_blocks(template, answers, staff_names):
        parts.append(f"<h3>{e(block.title)}</h3>")
        for row in block.rows:
            text = e(row.text).replace("\n", "<br>")
            parts.append(f"<p><b>{e(row.label)}</b><br>{text}</p>")
    return "\n".join(parts) or "<p>No answers recorded.</p>"


def changes_html(changes: list[FieldChange], before_title: str, after_title: str) -> str:
    """Two revisions side by side: removed words struck through, added words highlighted."""
    e = html.escape
    rows = []
    for change in changes:
        if change.change == "same" and not change.after:
            continue
        marked = "".join(
            f"<span style='background:#c9f2d0'>{e(text)}</span> "
            if kind == "insert"
            else f"<s style='color:#b3261e'>{e(text)}</s> "
            if kind == "delete"
            else f"{e(text)} "
            for kind, text in change.words
        )
        flag = {"same": "", "added": " (added)", "removed": " (removed)", "changed": " (changed)"}[
            change.change
        ]
        rows.append(
            f"<tr><td colspan='2'><b>{e(change.section)} › {e(change.label)}</b>"
            f"<i>{flag}</i></td></tr>"
            f"<tr><td width='50%' valign='top'>{e(change.before).replace(chr(10), '<br>')}</td>"
            f"<td width='50%' valign='top'>{marked.replace(chr(10), '<br>')}</td></tr>"
        )
    header = (
        f"<tr><th align='left'>{e(before_title)}</th><th align='left'>{e(after_title)}</th></tr>"
    )
    return f"<table width='100%' cellspacing='6'>{header}{''.join(rows)}</table>"
