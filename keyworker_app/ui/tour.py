"""A short tour of the caseload: a few callouts, each beside the part of the window it explains,
with Next and "End tour". Shown after the first run and from Help › Caseload tour."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

CALLOUT_WIDTH = 360
GAP = 8


@dataclass(frozen=True)
class Stop:
    target: QWidget
    title: str
    text: str


class Tour(QFrame):
    """Floats over the window (a child of it, so it moves and locks with it)."""

    ended = Signal()

    def __init__(self, window: QWidget, stops: list[Stop]) -> None:
        super().__init__(window)
        self.setObjectName("tour")
        self.setAutoFillBackground(True)  # opaque over the table it explains
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(CALLOUT_WIDTH)
        self.setAccessibleName("Caseload tour")
        self.window_ = window
        self.stops = stops
        self.index = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        self.step = QLabel()
        self.step.setObjectName("tourStep")
        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Tour text")
        for label in (self.step, self.title, self.text):
            layout.addWidget(label)
        buttons = QHBoxLayout()
        self.end_button = QPushButton("End tour")
        self.end_button.setFlat(True)
        self.end_button.clicked.connect(self.finish)
        self.next_button = QPushButton("Next")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.next)
        buttons.addWidget(self.end_button)
        buttons.addStretch(1)
        buttons.addWidget(self.next_button)
        layout.addLayout(buttons)
        window.installEventFilter(self)  # follow the window when it is resized
        self._show_stop()

    def next(self) -> None:
        if self.index + 1 >= len(self.stops):
            self.finish()
            return
        self.index += 1
        self._show_stop()

    def finish(self) -> None:
        self.window_.removeEventFilter(self)
        self.hide()
        self.ended.emit()
        self.deleteLater()

    def _show_stop(self) -> None:
        stop = self.stops[self.index]
        self.step.setText(f"Tour · {self.index + 1} of {len(self.stops)}")
        self.title.setText(stop.title)
        self.text.setText(stop.text)
        last = self.index + 1 == len(self.stops)
        self.next_button.setText("Done" if last else "Next")
        self.adjustSize()
        self._place()
        self.show()
        self.raise_()
        self.next_button.setFocus()

    def _place(self) -> None:
        """Below the target if there is room, else above it, kept inside the window."""
        target = self.stops[self.index].target
        top_left = target.mapTo(self.window_, QPoint(0, 0))
        below = top_left.y() + min(target.height(), 120) + GAP  # a tall table: over its rows
        fits = below + self.height() <= self.window_.height() - GAP
        y = below if fits else top_left.y() - self.height() - GAP
        y = max(GAP, min(y, self.window_.height() - self.height() - GAP))
        x = max(GAP, min(top_left.x(), self.window_.width() - self.width() - GAP))
        self.move(x, y)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window_ and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.finish()
            return
        super().keyPressEvent(event)


@dataclass(frozen=True)
class TourTargets:
    """The parts of the window the caseload tour points at."""

    table: QWidget
    find: QWidget
    sync_status: QWidget
    lock_button: QWidget


def caseload_tour(
    window: QWidget, targets: TourTargets, *, visiting_standard_days: int | None, idle_minutes: int
) -> Tour:
    """The tour of the caseload screen, in the words of this organisation's settings."""
    standard = visiting_standard_days
    within = f"within {standard} days" if standard else "within the team's visiting standard"
    stops = [
        Stop(
            targets.table,
            "Your caseload",
            "Everyone you keywork, with when they were last seen and their open actions. "
            f"Young people not seen {within} are flagged, so you can see at "
            "a glance who needs a visit.",
        ),
        Stop(
            targets.find,
            "Find someone",
            "Type part of a name or reference to narrow the list, or words from a note to "
            "search every note (Ctrl+F). Press Enter to open the first match.",
        ),
        Stop(
            targets.table,
            "Record a visit",
            "Open a young person (double-click, or Enter), then New contact (Ctrl+N). Your "
            "words are saved as you type, even if the laptop switches off; Finalise when "
            "the record is complete.",
        ),
        Stop(
            targets.sync_status,
            "Working offline",
            "Everything works without a network. Your records go to the central store when "
            "there is one; if someone changed the same thing, both versions are kept and "
            "shown under Sync › Conflicts.",
        ),
        Stop(
            targets.lock_button,
            "Lock when you step away",
            f"Lock (Ctrl+L) before leaving the laptop. It also locks itself after {idle_minutes} "
            "minutes without use. Help › Caseload tour shows this tour again.",
        ),
    ]
    return Tour(window, stops)
