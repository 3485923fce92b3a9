"""Sync screens: signing in to the central store, the open conflicts side by side, and the
team's sync status for supervisors."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from keyworker_app.store.models import SyncConflict
from keyworker_app.ui.widgets import add_row, table


class SignInDialog(QDialog):
    def __init__(self, server: str, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to the central store")
        form = QFormLayout(self)
        intro = QLabel(
            "Your caseload syncs with your service's central store whenever there is a network. "
            "Everything keeps working offline."
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        self.server = QLineEdit(server)
        self.server.setPlaceholderText("https://keyworker.example.gov.uk")
        self.server.setAccessibleName("Central store address")
        self.user = QLineEdit(user)
        self.user.setAccessibleName("User name")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        form.addRow("Address", self.server)
        form.addRow("User name", self.user)
        form.addRow("Password", self.password)
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        form.addRow(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        (self.password if server and user else self.server).setFocus()

    def _accept(self) -> None:
        if not (self.server.text().strip() and self.user.text().strip() and self.password.text()):
            self.message.setText("Fill in the address, your user name and your password.")
            return
        self.accept()


def _value(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    return str(value)


class ConflictsPage(QWidget):
    """Each open conflict: the value that stands and the other one, who wrote each and when."""

    resolve_requested = Signal(str, str, object)  # conflict id, keep ("kept"|"other"|"text"), text
    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.conflicts: dict[str, SyncConflict] = {}
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        back = QPushButton("← Caseload")
        back.clicked.connect(self.back)
        top.addWidget(back)
        title = QLabel("Conflicts: the same field changed in two places")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        top.addWidget(title)
        top.addStretch(1)
        layout.addLayout(top)
        intro = QLabel(
            "Nothing has been lost: the first change to reach the central store stands, and the "
            "other is kept here until one of you chooses. Both people see this."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.list = table(["Young person", "Field", "Stands", "Other", "Status"], "Conflicts")
        self.list.currentItemChanged.connect(self._show)
        layout.addWidget(self.list)
        self.detail = QTextBrowser()
        self.detail.setAccessibleName("Both versions")
        layout.addWidget(self.detail)
        buttons = QHBoxLayout()
        self.keep_kept = QPushButton("Keep the value that stands")
        self.keep_other = QPushButton("Use the other value")
        self.keep_text = QPushButton("Write a new value…")
        for button, keep in ((self.keep_kept, "kept"), (self.keep_other, "other")):
            button.clicked.connect(lambda _=False, k=keep: self._resolve(k))
        self.keep_text.clicked.connect(self._resolve_text)
        buttons.addStretch(1)
        for button in (self.keep_kept, self.keep_other, self.keep_text):
            buttons.addWidget(button)
        layout.addLayout(buttons)

    def set_conflicts(self, conflicts: list[SyncConflict], names: dict[str, str]) -> None:
        self.conflicts = {c.id: c for c in conflicts}
        self.list.clear()
        for conflict in conflicts:
            add_row(
                self.list,
                [
                    names.get(conflict.young_person_id or "", "–"),
                    conflict.field.replace("_", " "),
                    f"{_value(conflict.kept_value)} ({conflict.kept_by})",
                    f"{_value(conflict.other_value)} ({conflict.other_by})",
                    conflict.status,
                ],
                data=conflict.id,
            )
        if conflicts:
            self.list.setCurrentItem(self.list.topLevelItem(0))
        else:
            self.detail.setHtml("<p>No open conflicts.</p>")
        self._enable()

    def _current(self) -> SyncConflict | None:
        item = self.list.currentItem()
        return self.conflicts.get(item.data(0, Qt.ItemDataRole.UserRole)) if item else None

    def _enable(self) -> None:
        open_one = self._current() is not None and self._current().status == "open"  # type: ignore[union-attr]
        for button in (self.keep_kept, self.keep_other, self.keep_text):
            button.setEnabled(open_one)

    def _show(self) -> None:
        conflict = self._current()
        self._enable()
        if conflict is None:
            return
        e = html.escape
        when = lambda moment: moment.astimezone().strftime("%d %b %Y %H:%M")  # noqa: E731
        self.detail.setHtml(
            f"<p><b>{e(conflict.field.replace('_', ' ').capitalize())}</b> was "
            f"<i>{e(_value(conflict.base_value))}</i> before both changes.</p>"
            "<table width='100%' cellspacing='8'><tr>"
            "<td width='50%' valign='top'>"
            f"<b>Stands</b>: {e(conflict.kept_by)}, {when(conflict.kept_at)}"
            f"<p>{e(_value(conflict.kept_value))}</p></td>"
            "<td width='50%' valign='top'>"
            f"<b>Kept aside</b>: {e(conflict.other_by)}, {when(conflict.other_at)}"
            f"<p>{e(_value(conflict.other_value))}</p></td></tr></table>"
        )

    def _resolve(self, keep: str) -> None:
        conflict = self._current()
        if conflict is not None:
            self.resolve_requested.emit(conflict.id, keep, None)

    def _resolve_text(self) -> None:
        conflict = self._current()
        if conflict is None:
            return
        text, ok = QInputDialog.getMultiLineText(
            self,
            "Write a new value",
            f"The value to keep for {conflict.field.replace('_', ' ')}:",
            _value(conflict.kept_value),
        )
        if ok:
            self.resolve_requested.emit(conflict.id, "text", text)


class TeamStatusDialog(QDialog):
    def __init__(self, rows: list[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Team sync status")
        self.resize(640, 360)
        layout = QVBoxLayout(self)
        view = table(["Worker", "Last sync", "Changes not yet sent"], "Team sync status")
        for row in rows:
            seen = (
                row.last_sync.astimezone().strftime("%d %b %Y %H:%M") if row.last_sync else "never"
            )
            add_row(
                view,
                [row.display_name, seen, str(row.pending)],
                alert=row.pending > 0 and row.last_sync is None,
            )
        layout.addWidget(view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
