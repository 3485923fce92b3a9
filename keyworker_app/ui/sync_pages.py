"""Sync screens: signing in to the central store, the open conflicts side by side (and changes
proposed after a note was finalised), and the team's sync status for supervisors."""

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
from keyworker_app.sync.merge import added_lines
from keyworker_app.ui.widgets import add_row, table

SHORT = 40  # characters of a value shown in the list; the whole value is shown below it
# A contact's fields as the contact editor names them.
FIELD_NAMES = {"narrative": "what happened", "own_words": "in their own words"}


def status_label() -> QLabel:
    """The sync status line: its counts are links to the pages that deal with them."""
    label = QLabel()
    label.setAccessibleName("Sync status")
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.LinksAccessibleByMouse
        | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
    )
    return label


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


def _short(value: Any) -> str:
    """A value on one line of the list: its first line, cut short."""
    lines = _value(value).strip().splitlines() or [""]
    text = lines[0]
    return text[: SHORT - 1] + "…" if len(text) > SHORT or len(lines) > 1 else text


def _html(value: Any) -> str:
    """A value as HTML, its line breaks kept (a note is many lines)."""
    return html.escape(_value(value)).replace("\n", "<br>")


def _is_proposal(conflict: SyncConflict) -> bool:
    return conflict.kind == "proposal"


def _field(conflict: SyncConflict) -> str:
    return FIELD_NAMES.get(conflict.field, conflict.field.replace("_", " "))


def _added(conflict: SyncConflict) -> str:
    """For text, the lines the other value adds (what a proposal's addendum carries)."""
    kept, other = conflict.kept_value, conflict.other_value
    if isinstance(kept, str) and isinstance(other, str):
        return "\n".join(added_lines(kept, other))
    return ""


class ConflictsPage(QWidget):
    """Each open conflict: the value that stands and the other one, who wrote each and when.
    A proposal (a change made after someone finalised the note) is not a choice between two
    values: the final note stands, and the change can be added to it as an addendum."""

    # conflict id, keep ("kept"|"other"|"text"|"addendum"), text
    resolve_requested = Signal(str, str, object)
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
            "other is kept here until one of you chooses. Both people see this. A change to a "
            "note someone finalised meanwhile never alters the final note: it can be added to "
            "it as an addendum."
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
        # A finalised note never changes (the central store refuses it), so a proposal offers
        # only these two.
        self.add_addendum = QPushButton("Add as an addendum")
        self.add_addendum.setToolTip(
            "Add the proposed change under the final note, with your name and the time"
        )
        self.keep_final = QPushButton("Leave the final note as it is")
        self.add_addendum.clicked.connect(lambda: self._resolve("addendum"))
        self.keep_final.clicked.connect(lambda: self._resolve("kept"))
        buttons.addStretch(1)
        for button in self._clash_buttons() + self._proposal_buttons():
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self._offer(None)

    def _clash_buttons(self) -> list[QPushButton]:
        return [self.keep_kept, self.keep_other, self.keep_text]

    def _proposal_buttons(self) -> list[QPushButton]:
        return [self.add_addendum, self.keep_final]

    def is_proposal(self, conflict_id: str) -> bool:
        conflict = self.conflicts.get(conflict_id)
        return conflict is not None and _is_proposal(conflict)

    def set_conflicts(self, conflicts: list[SyncConflict], names: dict[str, str]) -> None:
        self.conflicts = {c.id: c for c in conflicts}
        self.list.clear()
        for conflict in conflicts:
            add_row(
                self.list,
                [
                    names.get(conflict.young_person_id or "", "–"),
                    _field(conflict)
                    + (" (changed after finalising)" if _is_proposal(conflict) else ""),
                    f"{_short(conflict.kept_value)} ({conflict.kept_by})",
                    # A proposal's first line is often the final note's: show what it adds.
                    (
                        f"+ {_short(_added(conflict))}"
                        if _is_proposal(conflict) and _added(conflict)
                        else _short(conflict.other_value)
                    )
                    + f" ({conflict.other_by})",
                    conflict.status,
                ],
                data=conflict.id,
            )
        if conflicts:
            self.list.setCurrentItem(self.list.topLevelItem(0))
        else:
            self.detail.setHtml("<p>No open conflicts.</p>")
            self._offer(None)
        self._enable()

    def _current(self) -> SyncConflict | None:
        item = self.list.currentItem()
        return self.conflicts.get(item.data(0, Qt.ItemDataRole.UserRole)) if item else None

    def _enable(self) -> None:
        open_one = self._current() is not None and self._current().status == "open"  # type: ignore[union-attr]
        for button in self._clash_buttons() + self._proposal_buttons():
            button.setEnabled(open_one)

    def _offer(self, conflict: SyncConflict | None) -> None:
        """A clash's three choices, or a proposal's two (only one when the final record is not
        a contact: only a contact takes addenda)."""
        proposal = conflict is not None and _is_proposal(conflict)
        contact = conflict is not None and conflict.record_type == "contact"
        for button in self._clash_buttons():
            button.setVisible(not proposal)
        self.add_addendum.setVisible(proposal and contact)
        self.keep_final.setVisible(proposal)
        self.keep_final.setText(
            "Leave the final note as it is" if contact else "Leave the final version as it is"
        )

    def _show(self) -> None:
        conflict = self._current()
        self._offer(conflict)
        self._enable()
        if conflict is None:
            return
        if _is_proposal(conflict):
            self._show_proposal(conflict)
            return
        e = html.escape
        when = lambda moment: moment.astimezone().strftime("%d %b %Y %H:%M")  # noqa: E731
        self.detail.setHtml(
            f"<p><b>{e(_field(conflict).capitalize())}</b> was "
            f"<i>{e(_value(conflict.base_value))}</i> before both changes.</p>"
            "<table width='100%' cellspacing='8'><tr>"
            "<td width='50%' valign='top'>"
            f"<b>Stands</b>: {e(conflict.kept_by)}, {when(conflict.kept_at)}"
            f"<p>{_html(conflict.kept_value)}</p></td>"
            "<td width='50%' valign='top'>"
            f"<b>Kept aside</b>: {e(conflict.other_by)}, {when(conflict.other_at)}"
            f"<p>{_html(conflict.other_value)}</p></td></tr></table>"
        )

    def _show_proposal(self, conflict: SyncConflict) -> None:
        e = html.escape
        when = lambda moment: moment.astimezone().strftime("%d %b %Y %H:%M")  # noqa: E731
        proposer, finaliser = e(conflict.other_by), e(conflict.kept_by)
        field = e(_field(conflict))
        if conflict.record_type == "contact":
            explained = (
                f"{proposer} changed this note after {finaliser} finalised it. The final note "
                f"stands; you can add {proposer}'s change as an addendum."
            )
            heading = "The final note"
        else:
            explained = (
                f"{proposer} changed this after {finaliser} finalised it. The final version "
                "stands and does not change; to change it, revise it."
            )
            heading = "The final version"
        # For a long note, the addendum carries only the lines the proposal added.
        added = _added(conflict)
        carried = (
            f"<p><b>As an addendum it adds what {proposer} wrote:</b><br>{_html(added)}</p>"
            if conflict.record_type == "contact" and added and added != conflict.other_value
            else ""
        )
        self.detail.setHtml(
            f"<p>{explained}</p>"
            "<table width='100%' cellspacing='8'><tr>"
            "<td width='50%' valign='top'>"
            f"<b>{heading}</b> ({field}): {finaliser}, {when(conflict.kept_at)}"
            f"<p>{_html(conflict.kept_value)}</p></td>"
            "<td width='50%' valign='top'>"
            f"<b>Proposed change</b> ({field}): {proposer}, {when(conflict.other_at)}"
            f"<p>{_html(conflict.other_value)}</p></td></tr></table>{carried}"
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
            f"The value to keep for {_field(conflict)}:",
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
