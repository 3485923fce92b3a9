"""A young person's chronology: contacts flagged significant plus events entered by hand."""

from __future__ import annotations

from collections.abc import Iterable
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
    contacts = session.scalars(
        select(Contact).where(
            Contact.young_person_id == young_person_id,
            Contact.significant.is_(True),
            Contact.deleted.is_(False),
        )
    )
    events = session.scalars(
        select(ChronologyEvent).where(
            ChronologyEvent.young_person_id == young_person_id, ChronologyEvent.deleted.is_(False)
        )
    )
    return merge_chronology(contacts, events, categories=categories, since=since, until=until)


def merge_chronology(
    contacts: Iterable[Contact],
    events: Iterable[ChronologyEvent],
    *,
    categories: set[ChronologyCategory] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[ChronologyEntry]:
    """The chronology from already-loaded records: significant contacts plus manual events."""
    entries = [
        ChronologyEntry(
            occurred_on=contact.occurred_at.astimezone().date(),
            category=ChronologyCategory.CONTACT,
            title=contact.purpose or contact.contact_type.label,
            detail=contact.narrative,
            source="contact",
            record_id=contact.id,
        )
        for contact in contacts
        if contact.significant and not contact.deleted
    ]
    entries += [
        ChronologyEntry(
            occurred_on=event.occurred_on,
            category=event.category,
            title=event.title,
            detail=event.detail,
            source="manual",
            record_id=event.id,
        )
        for event in events
        if not event.deleted
    ]
    entries = [
        e
        for e in entries
        if (categories is None or e.category in categories)
        and (since is None or e.occurred_on >= since)
        and (until is None or e.occurred_on <= until)
    ]
    entries.sort(key=lambda e: (e.occurred_on, e.source, e.title))
    return entries
