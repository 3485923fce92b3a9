"""Recovery codes: 128 random bits a person can write down and type back without ambiguity."""

from __future__ import annotations

import secrets

# Crockford's base32: no I, L, O or U, so a handwritten code reads back the same.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = {"O": "0", "I": "1", "L": "1"}
LENGTH = 26  # 26 x 5 bits = 130 bits, carrying 128 random ones


def new_recovery_code() -> str:
    """A fresh code, grouped in fours for writing down, e.g. ``7KQ2-...``."""
    value = secrets.randbits(128)
    chars = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in range(LENGTH))
    return "-".join(chars[i : i + 4] for i in range(0, LENGTH, 4))


def normalise(code: str) -> str:
    """The code as stored for derivation: upper case, separators dropped, look-alikes mapped.

    Raises ValueError when what was typed cannot be a recovery code.
    """
    cleaned = "".join(_READ_AS.get(c, c) for c in code.upper() if c not in " -\t\n")
    if len(cleaned) != LENGTH or any(c not in ALPHABET for c in cleaned):
        raise ValueError(
            "That is not a recovery code: it has 26 letters and digits, in groups of four."
        )
    return cleaned
