"""The memory-hard key derivation that makes each passphrase guess cost time and memory."""

from __future__ import annotations

import time
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw

# Argon2id with 64 MiB per guess; time cost is calibrated on the machine that creates the store so
# one derivation takes at least TARGET_SECONDS there.
MEMORY_KIB = 64 * 1024
PARALLELISM = 1
MIN_TIME_COST = 4
TARGET_SECONDS = 0.4


@dataclass(frozen=True)
class Argon2Params:
    time_cost: int
    memory_kib: int = MEMORY_KIB
    parallelism: int = PARALLELISM

    def as_dict(self) -> dict[str, int | str]:
        return {
            "name": "argon2id",
            "time_cost": self.time_cost,
            "memory_kib": self.memory_kib,
            "parallelism": self.parallelism,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Argon2Params:
        if data.get("name") != "argon2id":
            raise ValueError(f"unknown key derivation {data.get('name')!r}")
        return cls(
            time_cost=int(str(data["time_cost"])),
            memory_kib=int(str(data["memory_kib"])),
            parallelism=int(str(data["parallelism"])),
        )


def derive(secret: bytes, salt: bytes, params: Argon2Params) -> bytes:
    """A 32-byte key from ``secret`` and ``salt``."""
    return hash_secret_raw(
        secret,
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def calibrate(target_seconds: float = TARGET_SECONDS) -> Argon2Params:
    """Parameters that take at least ``target_seconds`` on this machine (never below the floor)."""
    probe = Argon2Params(time_cost=MIN_TIME_COST)
    started = time.perf_counter()
    derive(b"calibration", b"\0" * 16, probe)
    elapsed = max(time.perf_counter() - started, 1e-3)
    per_pass = elapsed / probe.time_cost
    time_cost = max(MIN_TIME_COST, int(target_seconds / per_pass + 0.999))
    return Argon2Params(time_cost=time_cost)
