"""A young person's chronology: contacts flagged significant plus events entered by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.domain.vocabulary import ChronologyCategory
from keyworker_app.store.models import ChronologyEvent, Contact


@dataclass(frozen=True)
class ChronologyEntry:
    occurred_on: date
    category: ChronologyCategory
    title: str
    detail: str | None
    source: str  # "contact" or "manual"
    record_id: str


def chronology(
    session: Session,
    young_person_id: str,
    *,
    categories: set[ChronologyCategory] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[ChronologyEntry]:
    """Significant events in date order, optionally filtered by category and period."""
    entries: list[ChronologyEntry] = []
    for contact in session.scalars(
        select(Contact).where(
            Contact.young_person_id == young_person_id,
            Contact.significant.is_(True),
            Contact.deleted.is_(False),
        )
    ):
        entries.append(
            ChronologyEntry(
                occurred_on=contact.occurred_at.astimezone().date(),
                category=ChronologyCategory.CONTACT,
                title=contact.purpose or contact.contact_type.label,
                detail=contact.narrative,
                source="contact",
                record_id=contact.id,
            )
        )
    for event in session.scalars(
        select(ChronologyEvent).where(
            ChronologyEvent.young_person_id == young_person_id, ChronologyEvent.deleted.is_(False)
        )
    ):
        entries.append(
            ChronologyEntry(
                occurred_on=event.occurred_on,
                category=event.category,
                title=event.title,
                detail=event.detail,
                source="manual",
                record_id=event.id,
            )
        )
    entries = [
        e
        for e in entries
        if (categories is None or e.category in categories)
        and (since is None or e.occurred_on >= since)
        and (until is None or e.occurred_on <= until)
    ]
    entries.sort(key=lambda e: (e.occurred_on, e.source, e.title))
    return entries
