"""First run for a new keyworker: sign in to the central store, choose the passphrase, keep the
recovery code, the first sync with its progress. The caseload tour follows (ui/tour.py).

The page only collects and shows; the main window does the work on the store worker.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
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
from keyworker_app.ui.unlock_pages import card, passphrase_field

SIGN_IN, PASSPHRASE, RECOVERY_CODE, FIRST_SYNC = range(4)


def _error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("error")
    label.setWordWrap(True)
    return label


class FirstRunPage(QWidget):
    """Four steps in a stack; the window moves it on as each piece of work finishes."""

    sign_in_requested = Signal(str, str, str)  # address, user name, password
    create_requested = Signal(str, str)  # passphrase, user name
    code_stored = Signal()
    finished = Signal()  # the first run is over: open the caseload

    def __init__(
        self, default_user: str, server: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.signed_in_as: str | None = None
        self.stack = QStackedWidget(self)
        QVBoxLayout(self).addWidget(self.stack)
        self._sign_in_page(default_user, server)
        self._passphrase_page(default_user)
        self._recovery_code_page()
        self._first_sync_page()

    # -- 1. sign in ---------------------------------------------------------------------------
    def _sign_in_page(self, default_user: str, server: str | None) -> None:
        page, box = card(
            "Welcome to Keyworker",
            "Sign in with the account your service gave you. Your caseload comes from your "
            "team's central store and is then kept, encrypted, on this laptop, so you can work "
            "without a network.",
        )
        form = QFormLayout()
        self.server = QLineEdit(server or "")
        self.server.setPlaceholderText("https://keyworker.example.gov.uk")
        self.server.setAccessibleName("Central store address")
        if server:
            # Set by the organisation's settings: shown, not asked for.
            self.server.setReadOnly(True)
            self.server.setToolTip("Set by your organisation")
        self.sign_in_user = QLineEdit(default_user)
        self.sign_in_user.setAccessibleName("User name")
        self.password = passphrase_field("Password")
        form.addRow("Central store", self.server)
        form.addRow("User name", self.sign_in_user)
        form.addRow("Password", self.password)
        box.addLayout(form)
        self.sign_in_message = _error_label()
        self.sign_in_message.setAccessibleName("Sign-in message")
        box.addWidget(self.sign_in_message)
        buttons = QHBoxLayout()
        self.offline_button = QPushButton("Start without signing in")
        self.offline_button.setFlat(True)
        self.offline_button.setToolTip(
            "Create the caseload now and sign in later (Sync › Sign in), for example with no "
            "network at hand"
        )
        self.offline_button.clicked.connect(self._skip_sign_in)
        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.clicked.connect(self._sign_in)
        self.password.returnPressed.connect(self._sign_in)
        buttons.addWidget(self.offline_button)
        buttons.addStretch(1)
        buttons.addWidget(self.sign_in_button)
        box.addLayout(buttons)
        self.stack.addWidget(page)

    def _sign_in(self) -> None:
        server, user = self.server.text().strip(), self.sign_in_user.text().strip()
        if not (server and user and self.password.text()):
            self.sign_in_message.setText(
                "Fill in the central store's address, your user name and your password."
            )
            return
        self._sign_in_busy(True)
        self.sign_in_requested.emit(server, user, self.password.text())

    def _sign_in_busy(self, busy: bool) -> None:
        for widget in (self.sign_in_button, self.offline_button, self.password):
            widget.setEnabled(not busy)
        self.sign_in_message.setText("Signing in…" if busy else "")

    def sign_in_failed(self, text: str) -> None:
        self._sign_in_busy(False)
        self.sign_in_message.setText(text)
        self.password.selectAll()
        self.password.setFocus()

    def signed_in(self, user_name: str, display_name: str) -> None:
        self.password.clear()
        self._sign_in_busy(False)
        self.signed_in_as = user_name
        self.user.setText(user_name)
        self.user.setReadOnly(True)
        self.who.setText(f"Signed in as {display_name}. Now choose the passphrase for this laptop.")
        self.who.show()
        self.stack.setCurrentIndex(PASSPHRASE)
        self.first.setFocus()

    def _skip_sign_in(self) -> None:
        self.password.clear()
        self.signed_in_as = None
        self.user.setText(self.sign_in_user.text().strip() or self.user.text())
        self.user.setReadOnly(False)
        self.who.setText(
            "You can sign in later from Sync › Sign in; until then the caseload stays on "
            "this laptop only."
        )
        self.who.show()
        self.stack.setCurrentIndex(PASSPHRASE)
        self.first.setFocus()

    # -- 2. passphrase ------------------------------------------------------------------------
    def _passphrase_page(self, default_user: str) -> None:
        page, box = card(
            "Choose your passphrase",
            "Your caseload is kept encrypted on this laptop and this passphrase opens it. "
            "Choose one you will remember: three or four unrelated words work well. Nobody, "
            "including IT, can open the caseload without it or the recovery code shown next.",
        )
        self.who = QLabel()
        self.who.setWordWrap(True)
        self.who.hide()
        box.addWidget(self.who)
        form = QFormLayout()
        self.user = QLineEdit(default_user)
        self.user.setAccessibleName("Your user name")
        self.first = passphrase_field("Passphrase")
        self.second = passphrase_field("Passphrase again")
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
        self.message = _error_label()
        box.addWidget(self.message)
        self.create_button = QPushButton("Create my caseload")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self._create)
        box.addWidget(self.create_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.first.textChanged.connect(self._update_strength)
        self.second.textChanged.connect(self._update_strength)
        self.second.returnPressed.connect(self._create)
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

    # -- 3. recovery code ---------------------------------------------------------------------
    def _recovery_code_page(self) -> None:
        page, box = card(
            "Your recovery code",
            "Write this code down and keep it somewhere safe, away from the laptop (your "
            "service may ask you to lodge it with your manager). It is shown only once. With it "
            "you can open your caseload if you forget your passphrase or the laptop's keyring "
            "is reset.",
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
        self.continue_button.clicked.connect(self._code_done)
        box.addWidget(self.continue_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.stack.addWidget(page)

    def show_recovery_code(self, code: str) -> None:
        self.first.clear()
        self.second.clear()
        self.code.setText(code)
        self.stored.setChecked(False)
        self.stack.setCurrentIndex(RECOVERY_CODE)

    def _code_done(self) -> None:
        self.code.clear()  # shown once
        if self.signed_in_as is None:
            self.finished.emit()
        else:
            self.stack.setCurrentIndex(FIRST_SYNC)
            self.code_stored.emit()

    # -- 4. first sync ------------------------------------------------------------------------
    def _first_sync_page(self) -> None:
        page, box = card(
            "Fetching your caseload",
            "Keyworker is bringing the young people you work with, and their records, from "
            "the central store onto this laptop. This happens once; after that only changes "
            "travel.",
        )
        self.sync_bar = QProgressBar()
        self.sync_bar.setRange(0, 0)  # busy until the first page says how far there is to go
        self.sync_bar.setAccessibleName("First sync progress")
        box.addWidget(self.sync_bar)
        self.sync_text = QLabel("Connecting…")
        self.sync_text.setWordWrap(True)
        self.sync_text.setAccessibleName("First sync status")
        box.addWidget(self.sync_text)
        self.sync_message = _error_label()
        box.addWidget(self.sync_message)
        self.tour_button = QPushButton("Show me my caseload")
        self.tour_button.setDefault(True)
        self.tour_button.setEnabled(False)
        self.tour_button.clicked.connect(self.finished)
        box.addWidget(self.tour_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.stack.addWidget(page)

    def sync_progress(self, text: str, share: float | None) -> None:
        if share is None:
            self.sync_bar.setRange(0, 0)
        else:
            self.sync_bar.setRange(0, 1000)
            self.sync_bar.setValue(round(share * 1000))
        self.sync_text.setText(text)

    def sync_finished(self, young_people: int, records: int) -> None:
        self.sync_bar.setRange(0, 1000)
        self.sync_bar.setValue(1000)
        self.sync_text.setText(
            f"Done: {young_people:,} young {'person' if young_people == 1 else 'people'} "
            f"and {records:,} records are now on this laptop, encrypted."
        )
        self.tour_button.setEnabled(True)
        self.tour_button.setFocus()

    def sync_failed(self, text: str) -> None:
        self.sync_bar.setRange(0, 1000)
        self.sync_bar.setValue(0)
        self.sync_text.setText("The first sync did not finish.")
        self.sync_message.setText(
            f"{text} Your caseload is ready on this laptop; it will sync when the central "
            "store answers (Sync › Sync now)."
        )
        self.tour_button.setEnabled(True)
        self.tour_button.setFocus()
