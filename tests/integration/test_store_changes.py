"""The store's one change event: every commit that changes something says what (which young
people, which kinds of record), local writes and pulled pages alike, so screens refresh what
they show instead of being reloaded by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.changes import StoreChange
from keyworker_app.store.models import Contact, YoungPerson
from keyworker_app.store.recording import (
    ContactDetails,
    add_contact,
    record_opened,
    update_young_person,
)
from keyworker_app.sync.protocol import Change
from keyworker_app.sync.replica import apply_page

WHEN = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def heard(store: Store) -> list[StoreChange]:
    changes: list[StoreChange] = []
    store.changes.subscribe(changes.append)
    return changes


def test_a_local_write_announces_the_young_person_and_the_kinds_it_changed(
    store: Store, young_person: YoungPerson
) -> None:
    changes = heard(store)
    add_contact(store, young_person.id, ContactDetails(ContactType.PHONE, "A call.", WHEN))
    update_young_person(store, young_person.id, {"school": "Oak High"})
    record_opened(store, young_person.id)  # audited, changes nothing: no announcement
    assert [(c.young_people, c.kinds, c.sync) for c in changes] == [
        (frozenset({young_person.id}), frozenset({"contact"}), False),
        (frozenset({young_person.id}), frozenset({"young_person"}), False),
    ]
    assert changes[0].touches(young_person.id) and changes[0].about("contact", "addendum")


def test_a_pulled_page_announces_what_arrived_from_the_central_store(
    store: Store, young_person: YoungPerson
) -> None:
    changes = heard(store)
    arrived = Change(
        record_type="contact",
        record_id="c-from-central",
        version=1,
        deleted=False,
        data={
            "young_person_id": young_person.id,
            "occurred_at": WHEN.isoformat(),
            "contact_type": "phone",
            "narrative": "Written on another laptop.",
            "status": "final",
        },
        updated_at=WHEN,
        updated_by="colleague",
    )
    apply_page(store, [arrived], [], [], cursor=7)
    [change] = changes
    assert change.sync and change.touches(young_person.id) and change.about("contact")
    with store.reading() as session:
        assert session.scalars(select(Contact.narrative)).all() == ["Written on another laptop."]


def test_a_listener_that_fails_stops_neither_the_others_nor_the_write(
    store: Store, young_person: YoungPerson, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_: StoreChange) -> None:
        raise RuntimeError("Amani's note")  # a name must never reach the log

    store.changes.subscribe(broken)
    changes = heard(store)
    add_contact(store, young_person.id, ContactDetails(ContactType.PHONE, "Saved.", WHEN))
    assert len(changes) == 1
    assert "RuntimeError" in caplog.text and "Amani" not in caplog.text
    unsubscribe = store.changes.subscribe(changes.append)
    unsubscribe()
    update_young_person(store, young_person.id, {"school": "Elm"})
    assert len(changes) == 2  # the first subscription still hears; the second is gone
    with store.reading() as session:
        assert session.scalars(select(Contact.narrative)).all() == ["Saved."]
