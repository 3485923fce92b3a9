from __future__ import annotations

from datetime import UTC, date, datetime

from keyworker_app.domain.vocabulary import ChronologyCategory, ContactType
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.chronology import chronology
from keyworker_app.store.models import YoungPerson
from keyworker_app.store.recording import ContactDetails, add_chronology_event, add_contact


def test_chronology_is_significant_contacts_plus_manual_events(
    store: Store, young_person: YoungPerson
) -> None:
    significant = ContactDetails(
        ContactType.HOME_VISIT,
        "Disclosed exploitation concerns.",
        occurred_at=datetime(2026, 2, 10, 12, tzinfo=UTC),
    )
    significant.significant = True
    significant.purpose = "Disclosure"
    add_contact(store, young_person.id, significant)
    add_contact(
        store,
        young_person.id,
        ContactDetails(
            ContactType.PHONE, "Routine call.", occurred_at=datetime(2026, 2, 11, 12, tzinfo=UTC)
        ),
    )
    add_chronology_event(
        store,
        young_person.id,
        date(2026, 1, 5),
        ChronologyCategory.LEGAL,
        "Interim care order granted",
    )
    add_chronology_event(
        store,
        young_person.id,
        date(2026, 3, 1),
        ChronologyCategory.PLACEMENT,
        "Moved to kinship placement",
    )

    with store.reading() as session:
        entries = chronology(session, young_person.id)
        assert [(e.occurred_on, e.title, e.source) for e in entries] == [
            (date(2026, 1, 5), "Interim care order granted", "manual"),
            (date(2026, 2, 10), "Disclosure", "contact"),
            (date(2026, 3, 1), "Moved to kinship placement", "manual"),
        ]
        legal = chronology(session, young_person.id, categories={ChronologyCategory.LEGAL})
        assert [e.title for e in legal] == ["Interim care order granted"]
        recent = chronology(
            session, young_person.id, since=date(2026, 2, 1), until=date(2026, 2, 28)
        )
        assert [e.title for e in recent] == ["Disclosure"]
