"""The audit chain shows any change to past events: edits, removals, reordering."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.integrity import Finding, check_store
from keyworker_app.store.models import YoungPerson
from keyworker_app.store.recording import ContactDetails, add_contact, record_opened


@pytest.fixture
def audited(store: Store, young_person: YoungPerson) -> Store:
    for n in range(4):
        add_contact(
            store,
            young_person.id,
            ContactDetails(
                ContactType.PHONE, f"call {n}", occurred_at=datetime(2026, 1, n + 1, tzinfo=UTC)
            ),
        )
    record_opened(store, young_person.id)
    return store


def chain(store: Store) -> Finding:
    return next(f for f in check_store(store) if f.check == "Audit chain")


def tamper(store: Store, sql: str) -> None:
    with store.write_engine.begin() as connection:
        connection.exec_driver_sql(sql)


def test_an_untouched_chain_holds(audited: Store) -> None:
    finding = chain(audited)
    assert finding.ok, finding.detail
    assert all(f.ok for f in check_store(audited))


def test_editing_an_event_is_detected(audited: Store) -> None:
    tamper(audited, "UPDATE audit_event SET actor = 'someone.else' WHERE seq = 4")
    finding = chain(audited)
    assert not finding.ok
    assert "event 4" in finding.detail and "no longer matches" in finding.detail


def test_rewriting_an_event_and_its_hash_breaks_the_next_link(audited: Store) -> None:
    tamper(audited, "UPDATE audit_event SET hash = '" + "a" * 64 + "' WHERE seq = 3")
    finding = chain(audited)
    assert not finding.ok and "event 3" in finding.detail


def test_removing_an_event_in_the_middle_is_detected(audited: Store) -> None:
    tamper(audited, "DELETE FROM audit_event WHERE seq = 3")
    finding = chain(audited)
    assert not finding.ok and "event 3 is missing" in finding.detail


def test_removing_the_latest_events_is_detected(audited: Store) -> None:
    tamper(audited, "DELETE FROM audit_event WHERE seq >= (SELECT max(seq) - 1 FROM audit_event)")
    finding = chain(audited)
    assert not finding.ok and "removed" in finding.detail


def test_removing_the_first_event_is_detected(audited: Store) -> None:
    tamper(audited, "DELETE FROM audit_event WHERE seq = 1")
    assert not chain(audited).ok
