"""Feedback on a new passphrase as it is typed: a rough guess count, in words a worker follows."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

COMMON = {
    "password",
    "passphrase",
    "letmein",
    "qwerty",
    "welcome",
    "keyworker",
    "iloveyou",
    "monkey",
    "dragon",
    "football",
    "sunshine",
    "princess",
    "abc123",
    "123456",
    "admin",
}


EMPTY_ADVICE = "Use at least 10 characters: three or four unrelated words work well."


@dataclass(frozen=True)
class Strength:
    score: int  # 0 (very weak) to 4 (strong)
    bits: float
    advice: str

    @property
    def label(self) -> str:
        return ["Very weak", "Weak", "Fair", "Good", "Strong"][self.score]

    @property
    def acceptable(self) -> bool:
        return self.score >= 2


def estimate(passphrase: str) -> Strength:
    """Estimate entropy from length, character variety and obvious patterns."""
    if not passphrase:
        return Strength(0, 0.0, EMPTY_ADVICE)
    pool = 0
    if re.search(r"[a-z]", passphrase):
        pool += 26
    if re.search(r"[A-Z]", passphrase):
        pool += 26
    if re.search(r"\d", passphrase):
        pool += 10
    if re.search(r"[^A-Za-z0-9]", passphrase):
        pool += 33
    bits = len(passphrase) * math.log2(max(pool, 2))
    lowered = passphrase.lower()
    if any(word in lowered for word in COMMON):
        bits *= 0.5
    if re.search(r"(.)\1\1", passphrase) or len(set(passphrase)) < len(passphrase) / 3:
        bits *= 0.6
    words = len(re.findall(r"[A-Za-z]{3,}", passphrase))
    if len(passphrase) < 10:
        return Strength(min(1, int(bits // 30)), bits, "Too short: use at least 10 characters.")
    score = 1 if bits < 40 else 2 if bits < 55 else 3 if bits < 70 else 4
    if score >= 4:
        advice = "Strong passphrase."
    elif words < 3:
        advice = "Longer is stronger: try three or four unrelated words."
    else:
        advice = "Add another word to make it stronger."
    return Strength(score, bits, advice)
