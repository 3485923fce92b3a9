"""The frame around an open caseload: the demo banner, the bar with who is signed in and the
buttons always at hand (the draft to continue, team forms, Lock), and the pages below it."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)


class Workspace(QWidget):
    def __init__(self, views: Sequence[QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.banner = QLabel("Demo caseload: every name and record here is synthetic.")
        self.banner.setObjectName("demoBanner")
        self.banner.setAccessibleName("Demo data notice")
        self.banner.hide()
        outer.addWidget(self.banner)
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        top = QHBoxLayout()
        self.who = QLabel()
        top.addWidget(self.who)
        top.addStretch(1)
        self.drafts_button = QPushButton()
        self.drafts_button.setToolTip("Carry on with the contact you were writing")
        self.drafts_button.hide()
        self.team_button = QPushButton("Team forms")
        self.team_button.setToolTip("Reflective practice, supervision and other team records")
        self.lock_button = QPushButton("Lock")
        self.lock_button.setToolTip("Lock the caseload (Ctrl+L)")
        for button in (self.drafts_button, self.team_button, self.lock_button):
            top.addWidget(button)
        inner_layout.addLayout(top)
        self.views = QStackedWidget()
        for view in views:
            self.views.addWidget(view)
        inner_layout.addWidget(self.views)
        outer.addWidget(inner)
