"""Drafts that save themselves: a few seconds after the first unsaved change (not restarted by
each keystroke, so continuous typing still saves), on demand, and one save at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel

AUTOSAVE_MS = 3000


class Autosave(QObject):
    def __init__(
        self,
        parent: QObject,
        save: Callable[[], None],
        state: QLabel,
        *,
        can_save: Callable[[], bool] = lambda: True,
        interval_ms: int = AUTOSAVE_MS,
    ) -> None:
        super().__init__(parent)
        self._save = save
        self._can_save = can_save
        self.state = state
        self.dirty = False
        self.saving = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.save_now)

    def changed(self) -> None:
        self.dirty = True
        self.state.setText("Unsaved changes")
        if not self.timer.isActive():
            self.timer.start()

    def save_now(self) -> None:
        self.timer.stop()
        if not self.dirty or self.saving or not self._can_save():
            return
        self.saving = True
        self.dirty = False
        self.state.setText("Saving…")
        self._save()

    def saved(self) -> None:
        self.saving = False
        self.state.setText(f"Draft saved {datetime.now():%H:%M:%S}")
        if self.dirty:
            self.timer.start()

    def failed(self, message: str) -> None:
        self.saving = False
        self.dirty = True
        self.state.setText(f"Not saved: {message}")

    def reset(self, state_text: str = "") -> None:
        self.timer.stop()
        self.dirty = False
        self.saving = False
        self.state.setText(state_text)
