"""Slowing down repeated wrong passphrases.

Failures are counted outside the data directory (in the user's state folder), because a wrong
passphrase must leave every file of the store byte-identical. After a few free tries each further
attempt waits twice as long as the last, up to a minute; a right passphrase clears the count.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from keyworker_app.atomic import write_atomically

FREE_ATTEMPTS = 3
MAX_DELAY_SECONDS = 60.0


def delay_after(failures: int) -> float:
    """Seconds to wait before the next attempt after ``failures`` wrong ones in a row."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_DELAY_SECONDS, 2.0 ** (failures - FREE_ATTEMPTS))


@dataclass
class UnlockThrottle:
    state_file: Path
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    def _load(self) -> dict[str, dict[str, float]]:
        try:
            data = json.loads(self.state_file.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _save(self, data: dict[str, dict[str, float]]) -> None:
        # A read-only state folder must not stop the user unlocking.
        with contextlib.suppress(OSError):
            write_atomically(self.state_file, json.dumps(data).encode())

    def wait_before_attempt(self, store_id: str) -> float:
        """Sleep until the next attempt is allowed; returns the seconds waited."""
        entry = self._load().get(store_id)
        if not entry:
            return 0.0
        ready_at = entry["last"] + delay_after(int(entry["failures"]))
        remaining = ready_at - self.clock()
        if remaining > 0:
            self.sleep(remaining)
            return remaining
        return 0.0

    def record_failure(self, store_id: str) -> None:
        data = self._load()
        failures = int(data.get(store_id, {}).get("failures", 0)) + 1
        data[store_id] = {"failures": failures, "last": self.clock()}
        self._save(data)

    def record_success(self, store_id: str) -> None:
        data = self._load()
        if store_id in data:
            del data[store_id]
            self._save(data)
