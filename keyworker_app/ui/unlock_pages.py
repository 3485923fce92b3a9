"""The pages before the caseload: unlock, and recovery with the recovery code (the first run is
in first_run.py)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)


def card(title: str, intro: str) -> tuple[QWidget, QVBoxLayout]:
    """A centred panel with a heading: the frame every pre-caseload page uses."""
    page = QWidget()
    outer = QVBoxLayout(page)
    outer.addStretch(1)
    row = QHBoxLayout()
    row.addStretch(1)
    card = QFrame()
    card.setObjectName("card")
    card.setFrameShape(QFrame.Shape.StyledPanel)
    card.setMinimumWidth(460)
    card.setMaximumWidth(560)
    layout = QVBoxLayout(card)
    layout.setContentsMargins(28, 24, 28, 24)
    layout.setSpacing(12)
    heading = QLabel(title)
    font = heading.font()
    font.setPointSizeF(font.pointSizeF() * 1.6)
    font.setBold(True)
    heading.setFont(font)
    heading.setAccessibleName(title)
    layout.addWidget(heading)
    text = QLabel(intro)
    text.setWordWrap(True)
    layout.addWidget(text)
    row.addWidget(card)
    row.addStretch(1)
    outer.addLayout(row)
    outer.addStretch(2)
    return page, layout


def passphrase_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    field.setMinimumHeight(32)
    return field


class UnlockPage(QWidget):
    """Unlock with the passphrase; or switch to recovery with the recovery code."""

    unlock_requested = Signal(str)
    recover_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)

        page, box = card(
            "Unlock your caseload",
            "Your caseload is encrypted on this laptop. Enter your passphrase to open it.",
        )
        self.passphrase = passphrase_field("Passphrase")
        self.passphrase.setPlaceholderText("Passphrase")
        self.passphrase.returnPressed.connect(self._unlock)
        box.addWidget(self.passphrase)
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Unlock message")
        box.addWidget(self.message)
        buttons = QHBoxLayout()
        self.forgot = QPushButton("Use recovery code…")
        self.forgot.setFlat(True)
        self.forgot.clicked.connect(lambda: self.stack.setCurrentIndex(1))
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._unlock)
        buttons.addWidget(self.forgot)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        box.addLayout(buttons)
        self.stack.addWidget(page)

        page, box = card(
            "Recover with your recovery code",
            "Use this if you forgot your passphrase or this laptop's keyring was reset. "
            "Type the recovery code you wrote down when the caseload was created, then choose "
            "a new passphrase.",
        )
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setAccessibleName("Recovery code")
        self.code.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XX")
        self.new_passphrase = passphrase_field("New passphrase")
        form.addRow("Recovery code", self.code)
        form.addRow("New passphrase", self.new_passphrase)
        box.addLayout(form)
        self.recover_message = QLabel()
        self.recover_message.setObjectName("error")
        self.recover_message.setWordWrap(True)
        box.addWidget(self.recover_message)
        buttons = QHBoxLayout()
        back = QPushButton("Back")
        back.clicked.connect(lambda: self.stack.setCurrentIndex(0))
        self.recover_button = QPushButton("Recover")
        self.recover_button.clicked.connect(self._recover)
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.recover_button)
        box.addLayout(buttons)
        self.stack.addWidget(page)

    def reset(self, message: str = "") -> None:
        self.passphrase.clear()
        self.code.clear()
        self.new_passphrase.clear()
        self.message.setText(message)
        self.recover_message.clear()
        self.set_busy(False)
        self.stack.setCurrentIndex(0)
        self.passphrase.setFocus()

    def set_busy(self, busy: bool) -> None:
        for widget in (self.passphrase, self.unlock_button, self.recover_button, self.forgot):
            widget.setEnabled(not busy)
        if busy:
            self.message.setText("Unlocking…")

    def show_error(self, text: str) -> None:
        self.set_busy(False)
        if self.stack.currentIndex() == 0:
            self.message.setText(text)
            self.passphrase.selectAll()
            self.passphrase.setFocus()
        else:
            self.recover_message.setText(text)

    def _unlock(self) -> None:
        if self.passphrase.text():
            self.set_busy(True)
            self.unlock_requested.emit(self.passphrase.text())

    def _recover(self) -> None:
        self.recover_requested.emit(self.code.text(), self.new_passphrase.text())
