"""The pages before the caseload: first run (passphrase + recovery code), unlock, recovery."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from keyworker_app.security.keys import MIN_PASSPHRASE_LENGTH
from keyworker_app.security.passphrase_strength import estimate


def _card(title: str, intro: str) -> tuple[QWidget, QVBoxLayout]:
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


def _passphrase_field(name: str) -> QLineEdit:
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

        page, box = _card(
            "Unlock your caseload",
            "Your caseload is encrypted on this laptop. Enter your passphrase to open it.",
        )
        self.passphrase = _passphrase_field("Passphrase")
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

        page, box = _card(
            "Recover with your recovery code",
            "Use this if you forgot your passphrase or this laptop's keyring was reset. "
            "Type the recovery code you wrote down when the caseload was created, then choose "
            "a new passphrase.",
        )
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setAccessibleName("Recovery code")
        self.code.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XX")
        self.new_passphrase = _passphrase_field("New passphrase")
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


class FirstRunPage(QWidget):
    """Create the caseload: a passphrase with strength feedback, then the recovery code."""

    create_requested = Signal(str, str)
    finished = Signal()

    def __init__(self, default_user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stack = QStackedWidget(self)
        QVBoxLayout(self).addWidget(self.stack)

        page, box = _card(
            "Welcome to Keyworker",
            "Your caseload will be kept encrypted on this laptop. Choose a passphrase you will "
            "remember: three or four unrelated words work well. Nobody, including IT, can "
            "recover it for you without the recovery code shown next.",
        )
        form = QFormLayout()
        self.user = QLineEdit(default_user)
        self.user.setAccessibleName("Your user name")
        self.first = _passphrase_field("Passphrase")
        self.second = _passphrase_field("Passphrase again")
        form.addRow("Your user name", self.user)
        form.addRow("Passphrase", self.first)
        form.addRow("Again", self.second)
        box.addLayout(form)
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(False)
        self.meter.setMaximumHeight(8)
        self.meter.setAccessibleName("Passphrase strength")
        self.strength = QLabel()
        self.strength.setWordWrap(True)
        box.addWidget(self.meter)
        box.addWidget(self.strength)
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        box.addWidget(self.message)
        self.create_button = QPushButton("Create my caseload")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self._create)
        box.addWidget(self.create_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.first.textChanged.connect(self._update_strength)
        self.second.textChanged.connect(self._update_strength)
        self.second.returnPressed.connect(self._create)
        self.stack.addWidget(page)

        page, box = _card(
            "Your recovery code",
            "Write this code down and keep it somewhere safe, away from the laptop. It is shown "
            "only once. With it you can open your caseload if you forget your passphrase or the "
            "laptop's keyring is reset.",
        )
        self.code = QLabel()
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code.setAccessibleName("Recovery code")
        code_font = QFont("monospace")
        code_font.setStyleHint(QFont.StyleHint.Monospace)
        code_font.setPointSizeF(self.code.font().pointSizeF() * 1.5)
        code_font.setBold(True)
        self.code.setFont(code_font)
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.addWidget(self.code)
        self.stored = QCheckBox("I have written it down and stored it safely")
        box.addWidget(self.stored)
        self.continue_button = QPushButton("Continue")
        self.continue_button.setEnabled(False)
        self.stored.toggled.connect(self.continue_button.setEnabled)
        self.continue_button.clicked.connect(self._done)
        box.addWidget(self.continue_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.stack.addWidget(page)
        self._update_strength()

    def _update_strength(self) -> None:
        strength = estimate(self.first.text())
        self.meter.setValue(strength.score)
        self.strength.setText(
            f"{strength.label}. {strength.advice}" if self.first.text() else strength.advice
        )
        same = self.first.text() == self.second.text()
        self.create_button.setEnabled(
            len(self.first.text()) >= MIN_PASSPHRASE_LENGTH and strength.acceptable and same
        )
        self.message.setText(
            "" if same or not self.second.text() else "The two passphrases differ."
        )

    def _create(self) -> None:
        if self.create_button.isEnabled():
            self.create_button.setEnabled(False)
            self.message.setText("Creating your encrypted caseload…")
            self.create_requested.emit(self.first.text(), self.user.text().strip())

    def show_error(self, text: str) -> None:
        self.message.setText(text)
        self._update_strength()

    def show_recovery_code(self, code: str) -> None:
        self.first.clear()
        self.second.clear()
        self.code.setText(code)
        self.stored.setChecked(False)
        self.stack.setCurrentIndex(1)

    def _done(self) -> None:
        self.code.clear()  # shown once
        self.finished.emit()
