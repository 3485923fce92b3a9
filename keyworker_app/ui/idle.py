"""Idle auto-lock: any key press, click or scroll in the app resets the countdown; how long it
waits is the organisation's setting, or the user's where the organisation allows it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QInputDialog, QWidget

from keyworker_app.organisation import OrganisationSettings

IDLE_SETTING = "practice.idle_lock_minutes"  # the organisation's key, and this user's choice

ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleWatcher(QObject):
    idle = Signal()

    def __init__(self, minutes: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self.set_minutes(minutes)

    def set_minutes(self, minutes: float) -> None:
        self.minutes = minutes
        self.timer.setInterval(max(1, int(minutes * 60_000)))

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY and self.timer.isActive():
            self.timer.start()
        return False


class IdleChoice:
    """How long the caseload stays open without use: the organisation's setting, or this
    user's own choice where the organisation allows one (kept in Qt's settings)."""

    def __init__(self, organisation: OrganisationSettings, settings: QSettings) -> None:
        self.organisation = organisation
        self.settings = settings

    @property
    def user_may_change(self) -> bool:
        return self.organisation.user_may_change(IDLE_SETTING)

    def minutes(self) -> float:
        chosen = self.settings.value(IDLE_SETTING) if self.user_may_change else None
        try:
            return float(chosen) if chosen is not None else self.organisation.idle_lock_minutes
        except (TypeError, ValueError):
            return self.organisation.idle_lock_minutes

    def choose(self, parent: QWidget, current: float) -> int | None:
        """Ask the user; the minutes chosen (kept for next time), or None."""
        if not self.user_may_change:
            return None
        minutes, ok = QInputDialog.getInt(
            parent,
            "Auto-lock",
            "Lock the caseload after this many minutes without use:",
            int(current),
            1,
            240,
        )
        if not ok:
            return None
        self.settings.setValue(IDLE_SETTING, minutes)
        return minutes
