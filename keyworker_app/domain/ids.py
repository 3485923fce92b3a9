"""Record identifiers: UUIDv7 (time-ordered, so indexes stay compact and ids sort by creation)."""

from __future__ import annotations

import os
import random
import time
import uuid
from datetime import datetime


def new_id(at: datetime | None = None, rng: random.Random | None = None) -> str:
    """A UUIDv7 as text.

    ``at`` sets the timestamp part and ``rng`` the random part, so generated demo data can be
    reproduced exactly; by default the clock and the OS random source are used.
    """
    millis = int(at.timestamp() * 1000) if at is not None else time.time_ns() // 1_000_000
    rand = rng.getrandbits(74) if rng is not None else int.from_bytes(os.urandom(10)) >> 6
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= (rand >> 62) << 64  # 12 bits rand_a
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)  # 62 bits rand_b
    return str(uuid.UUID(int=value))
