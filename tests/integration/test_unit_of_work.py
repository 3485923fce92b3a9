"""The one write path: rows, outbox, audit chain and search index move together."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from keyworker_app.domain.vocabulary import ContactType, RecordStatus, ScoreStage
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.integrity import check_store
from keyworker_app.store.models import (
    AuditEvent,
    Contact,
    Goal,
    GoalScore,
    OutboxEntry,
    YoungPerson,
)
from keyworker_app.store.recording import (
    ContactDetails,
    add_addendum,
    add_contact,
    finalise_contact,
    record_opened,
    save_draft,
    score_goal,
)
from keyworker_app.store.search import search
from keyworker_app.store.unit_of_work import RecordLocked


def outbox(store: Store) -> list[OutboxEntry]:
    with store.reading() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))


def audit(store: Store) -> list[AuditEvent]:
    with store.reading() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def details(text: str = "Met at the library; talked about college.") -> ContactDetails:
    return ContactDetails(
        contact_type=ContactType.FACE_TO_FACE,
        narrative=text,
        occurred_at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
    )


def test_every_write_leaves_an_outbox_patch_and_an_audit_event(
    store: Store, young_person: YoungPerson
) -> None:
    before_outbox, before_audit = len(outbox(store)), len(audit(store))
    contact = add_contact(store, young_person.id, details())
    entries = outbox(store)[before_outbox:]
    assert [(e.record_type, e.operation, e.base_version) for e in entries] == [
        ("contact", "insert", 0)
    ]
    assert entries[0].record_id == contact.id
    assert entries[0].patch["narrative"] == "Met at the library; talked about college."
    assert entries[0].patch["status"] == "draft"
    assert entries[0].patch["present"] == []

    save_draft(store, contact.id, details("Met at the library; talked about college and football."))
    update = outbox(store)[-1]
    assert (update.operation, update.base_version) == ("update", 1)
    assert update.patch == {"narrative": "Met at the library; talked about college and football."}
    assert len({e.op_id for e in outbox(store)}) == len(outbox(store))

    events = audit(store)[before_audit:]
    assert [(e.action, e.record_type) for e in events] == [
        ("create", "contact"),
        ("update", "contact"),
    ]
    assert events[1].detail == {"fields": ["narrative"]}
    assert all(e.actor == "tester" and e.young_person_id == young_person.id for e in events)
    with store.reading() as session:
        assert session.get(Contact, contact.id).version == 2  # type: ignore[union-attr]


def test_an_unchanged_save_writes_nothing(store: Store, young_person: YoungPerson) -> None:
    contact = add_contact(store, young_person.id, details())
    count = len(outbox(store))
    save_draft(store, contact.id, details())
    assert len(outbox(store)) == count


def test_finalised_contacts_take_addenda_never_edits(
    store: Store, young_person: YoungPerson
) -> None:
    contact = add_contact(store, young_person.id, details())
    finalise_contact(store, contact.id)
    with pytest.raises(RecordLocked, match="add an addendum"):
        save_draft(store, contact.id, details("rewritten"))
    with store.unit_of_work() as uow:
        loaded = uow.get(Contact, contact.id)
        assert loaded is not None
        loaded.narrative = "sneaky edit"
        with pytest.raises(RecordLocked, match="finalised"):
            uow.commit()
    addendum = add_addendum(
        store, contact.id, "Correction: it was the town library, not the school one."
    )
    with store.reading() as session:
        kept = session.get(Contact, contact.id)
        assert kept is not None and kept.narrative.startswith("Met at the library")
        assert kept.status == RecordStatus.FINAL and kept.finalised_by == "tester"
    assert addendum.author == "tester" and addendum.written_at is not None
    with store.unit_of_work() as uow:
        loaded_addendum = uow.session.merge(addendum)
        loaded_addendum.text = "changed"
        with pytest.raises(RecordLocked, match="cannot be changed"):
            uow.commit()


def test_addenda_go_only_on_finalised_contacts(store: Store, young_person: YoungPerson) -> None:
    contact = add_contact(store, young_person.id, details())
    with pytest.raises(RecordLocked, match="still a draft"):
        add_addendum(store, contact.id, "extra")


def test_goal_scores_are_append_only_events(store: Store, young_person: YoungPerson) -> None:
    with store.unit_of_work() as uow:
        goal = Goal(
            young_person_id=young_person.id,
            description="Go to college three days a week",
            set_on=date(2026, 1, 5),
        )
        uow.add(goal)
        uow.commit()
    score_goal(store, goal.id, 2, ScoreStage.START, date(2026, 1, 5))
    score_goal(store, goal.id, 6, ScoreStage.REVIEW, date(2026, 3, 5))
    with pytest.raises(ValueError, match="0 to 10"):
        score_goal(store, goal.id, 11, ScoreStage.REVIEW, date(2026, 3, 6))
    with store.reading() as session:
        scores = [s.score for s in session.scalars(select(GoalScore).order_by(GoalScore.scored_on))]
    assert scores == [2, 6]


def test_records_are_tombstoned_never_deleted(store: Store, young_person: YoungPerson) -> None:
    contact = add_contact(store, young_person.id, details("zanzibar marmalade"))
    with store.unit_of_work() as uow:
        loaded = uow.get(Contact, contact.id)
        uow.session.delete(loaded)
        with pytest.raises(RecordLocked, match="never deleted"):
            uow.commit()
    with store.unit_of_work() as uow:
        loaded = uow.get(Contact, contact.id)
        assert loaded is not None
        uow.tombstone(loaded)
        uow.commit()
    last = outbox(store)[-1]
    assert (last.operation, last.patch) == ("delete", {"deleted": True})
    with store.reading() as session:
        assert session.get(Contact, contact.id) is not None
        assert search(session, "zanzibar") == []


def test_a_failed_unit_of_work_leaves_no_trace(store: Store, young_person: YoungPerson) -> None:
    counts_before = (len(outbox(store)), len(audit(store)))
    with pytest.raises(ZeroDivisionError), store.unit_of_work() as uow:
        uow.add(
            Contact(
                young_person_id=young_person.id,
                occurred_at=datetime.now(UTC),
                contact_type=ContactType.PHONE,
                narrative="lost",
            )
        )
        uow.session.flush()
        _ = 1 / 0
    assert (len(outbox(store)), len(audit(store))) == counts_before
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_opening_a_record_is_audited_without_an_outbox_entry(
    store: Store, young_person: YoungPerson
) -> None:
    count = len(outbox(store))
    record_opened(store, young_person.id)
    assert len(outbox(store)) == count
    last = audit(store)[-1]
    assert (last.action, last.record_id, last.young_person_id) == (
        "open_record",
        young_person.id,
        young_person.id,
    )


def test_contacts_in_the_future_are_refused(store: Store, young_person: YoungPerson) -> None:
    later = details()
    later.occurred_at = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(ValueError, match="future"):
        add_contact(store, young_person.id, later)


def test_sync_pull_writes_are_audited_but_not_echoed(store: Store) -> None:
    with store.unit_of_work(record_outbox=False) as uow:
        uow.add(
            YoungPerson(
                reference="FROM-SERVER",
                given_name="Noor",
                family_name="Rahimi",
                date_of_birth=date(2010, 1, 1),
            )
        )
        uow.commit()
    assert outbox(store) == []
    assert [e.action for e in audit(store)] == ["create"]
    assert all(f.ok for f in check_store(store))


def test_bulk_inserts_get_the_same_bookkeeping_as_single_ones(
    store: Store, young_person: YoungPerson
) -> None:
    before_outbox, before_audit = len(outbox(store)), len(audit(store))
    with store.unit_of_work() as uow:
        ids = uow.insert_many(
            Contact,
            [
                {
                    "young_person_id": young_person.id,
                    "occurred_at": datetime(2026, 1, d, tzinfo=UTC),
                    "contact_type": ContactType.PHONE,
                    "narrative": f"bulk note about otters {d}",
                }
                for d in (1, 2, 3)
            ],
        )
        uow.commit()
    entries = outbox(store)[before_outbox:]
    assert [(e.record_id, e.operation, e.base_version) for e in entries] == [
        (i, "insert", 0) for i in ids
    ]
    assert entries[0].patch["status"] == "draft" and entries[0].patch["significant"] is False
    assert [e.record_id for e in audit(store)[before_audit:]] == ids
    with store.reading() as session:
        stored = session.get(Contact, ids[0])
        assert stored is not None and stored.version == 1 and stored.updated_by == "tester"
        assert stored.device_id == store.device_id and stored.present == []
        assert len(search(session, "otters")) == 3
    assert all(f.ok for f in check_store(store))


def test_a_reading_session_cannot_write(store: Store, young_person: YoungPerson) -> None:
    """Writes go through the unit of work only: a reading session is refused by SQLite itself,
    whether it runs SQL or flushes an object."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    with store.reading() as session, pytest.raises(OperationalError, match="readonly"):
        session.execute(text("UPDATE young_person SET given_name = 'Changed'"))
    with store.reading() as session:
        person = session.get(YoungPerson, young_person.id)
        assert person is not None
        person.given_name = "Changed"
        with pytest.raises(OperationalError, match="readonly"):
            session.flush()
    with store.reading() as session:
        assert session.get(YoungPerson, young_person.id).given_name == "Amani"  # type: ignore[union-attr]
