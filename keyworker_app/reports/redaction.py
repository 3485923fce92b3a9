"""Withholding third parties' names in a review pack: the people recorded as present at
contacts who are neither the young person nor staff."""

from __future__ import annotations

import re

from keyworker_app.store.record import YoungPersonRecord

WITHHELD = "[name withheld]"


class Redactor:
    """Hides the names of third parties recorded as present at contacts."""

    def __init__(self, record: YoungPersonRecord) -> None:
        person = record.person
        own = {person.given_name, person.family_name, person.preferred_name or ""}
        own |= set(record.staff_names.values()) | set(record.user_names.values())
        own_words = {w.lower() for name in own for w in name.split()}
        names: set[str] = set()
        for contact in record.contacts:
            for entry in contact.present or []:
                inner = re.search(r"\(([^)]*)\)", entry)
                candidate = (inner.group(1) if inner else entry).split(",")[0].strip()
                if candidate and candidate.lower() not in own_words and candidate not in own:
                    names.add(candidate)
        tokens = {
            word
            for name in names
            for word in name.split()
            if len(word) > 2 and word[0].isupper() and word.lower() not in own_words
        }
        parts = sorted(names | tokens, key=len, reverse=True)
        self.pattern = (
            re.compile(r"\b(" + "|".join(re.escape(p) for p in parts) + r")\b") if parts else None
        )

    def text(self, value: str | None) -> str:
        if not value or self.pattern is None:
            return value or ""
        return self.pattern.sub(WITHHELD, value)

    def present(self, entry: str) -> str:
        return self.text(entry)


class NoRedaction(Redactor):
    """Every name shown: text passes through unchanged."""

    def __init__(self) -> None:
        self.pattern = None
