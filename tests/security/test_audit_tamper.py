"""Tampering with the audit trail is found: through `keyworker check` as a user runs it, by
reordering, and in the copy of each laptop's chain that the central store keeps.

Already covered, not repeated: editing an event, rewriting one hash, removing an event in the
middle, the latest events or the first (tests/integration/test_audit_chain.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from keyworker_app.cli import main
from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.security.audit_chain import GENESIS, AuditLink, link_hash, verify_chain
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.server.database import Database
from keyworker_app.server.models import DeviceAudit, ServerAudit
from keyworker_app.store import lifecycle
from keyworker_app.store import unit_of_work as unit_of_work_module
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.integrity import check_store
from keyworker_app.store.models import AuditEvent, YoungPerson
from keyworker_app.store.recording import ContactDetails, add_contact, record_opened
from keyworker_app.sync.client import audit_anchors, sync
from tests.conftest import FAST_KDF
from tests.sync.conftest import Laptop

PASSPHRASE = "audit trail kestrel 12"


def tamper(folder: Path, *statements: str) -> None:
    """What someone holding the data key could do to the file directly."""
    store = lifecycle.unlock_caseload(folder, PASSPHRASE, DeviceSecrets.for_store(folder))
    try:
        with store.write_engine.begin() as connection:
            for sql in statements:
                connection.exec_driver_sql(sql)
    finally:
        store.close()


@pytest.fixture
def caseload(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "caseload"
    store = lifecycle.create_caseload(
        folder, PASSPHRASE, DeviceSecrets.for_store(folder), user_name="asha", kdf=FAST_KDF
    ).store
    try:
        with store.unit_of_work() as uow:
            person = YoungPerson(
                reference="R-1",
                given_name="Test",
                family_name="Person",
                date_of_birth=date(2010, 1, 2),
            )
            uow.add(person)
            uow.commit()
        for n in range(3):
            add_contact(
                store,
                person.id,
                ContactDetails(
                    ContactType.PHONE, f"call {n}", occurred_at=datetime(2026, 1, n + 1, tzinfo=UTC)
                ),
            )
        record_opened(store, person.id)
    finally:
        store.close()
    yield folder


def test_keyworker_check_reports_a_changed_event_and_fails(
    caseload: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEYWORKER_PASSPHRASE", PASSPHRASE)
    assert main(["--data-dir", str(caseload), "check"]) == 0
    assert "The caseload is whole." in capsys.readouterr().out
    tamper(caseload, "UPDATE audit_event SET action = 'export_caseload_csv' WHERE seq = 3")
    assert main(["--data-dir", str(caseload), "check"]) == 1
    out, err = capsys.readouterr()
    assert "FAIL  Audit chain: broken at event 3" in out
    assert "ok    SQLCipher pages" in out  # the file itself is whole: only the chain broke
    assert err.strip().count("\n") == 0 and "restore from a backup" in err


def test_reordering_two_events_is_detected(caseload: Path) -> None:
    tamper(
        caseload,
        "UPDATE audit_event SET seq = -3 WHERE seq = 3",
        "UPDATE audit_event SET seq = 3 WHERE seq = 2",
        "UPDATE audit_event SET seq = 2 WHERE seq = -3",
    )
    store = lifecycle.unlock_caseload(caseload, PASSPHRASE, DeviceSecrets.for_store(caseload))
    try:
        with store.reading() as session:
            assert session.scalar(select(AuditEvent.action).where(AuditEvent.seq == 2))
        finding = next(f for f in check_store(store) if f.check == "Audit chain")
    finally:
        store.close()
    assert not finding.ok and "event 2" in finding.detail


# -- the central store's copy ------------------------------------------------------------------
def central_chain(session, device_id: str) -> list[tuple[AuditLink, str]]:  # type: ignore[no-untyped-def]
    """A laptop's chain as the central store holds it, ready for verify_chain."""
    links = []
    previous = GENESIS
    for row in session.scalars(
        select(DeviceAudit).where(DeviceAudit.device_id == device_id).order_by(DeviceAudit.seq)
    ):
        event = row.event
        link = AuditLink(
            seq=event["seq"],
            occurred_at=event["occurred_at"],
            actor=event["actor"],
            device_id=row.device_id,
            action=event["action"],
            record_type=event["record_type"],
            record_id=event["record_id"],
            young_person_id=event["young_person_id"],
            detail=event["detail"],
            prev_hash=previous,
        )
        links.append((link, event["hash"]))
        previous = event["hash"]
    return links


@pytest.fixture
def whole_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """A clock that ticks in whole seconds (as some platforms' clocks do): the text an event's
    time is hashed as must be the text the central store is sent."""
    moments = iter(
        datetime(2026, 11, 2, 9, 0, tzinfo=UTC) + timedelta(seconds=n) for n in range(10**6)
    )
    monkeypatch.setattr(unit_of_work_module, "utc_now", lambda: next(moments))


def test_the_central_copy_of_a_laptops_chain_verifies_and_shows_tampering(
    teams: Database, laptop: Callable[[str], Laptop], whole_seconds: None
) -> None:
    kw1 = laptop("kw1")
    sync(kw1.store, transport=kw1.transport)
    with kw1.store.reading() as session:
        ava = session.scalars(select(YoungPerson).where(YoungPerson.reference == "A001")).one()
    for n in range(3):
        add_contact(
            kw1.store,
            ava.id,
            ContactDetails(
                ContactType.PHONE, f"note {n}", occurred_at=datetime(2026, 10, 1, tzinfo=UTC)
            ),
            finalise=True,
        )
    record_opened(kw1.store, ava.id)
    sync(kw1.store, transport=kw1.transport)
    store: Store = kw1.store
    with store.reading() as session:
        local = [
            (e.seq, e.hash) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
        ]
    device = store.device_id
    with teams.session() as session:
        chain = central_chain(session, device)
    # Every event pushed, as it was hashed (the last sync's own pull is sent at the next one).
    assert len(chain) >= len(local) - 1 >= 8
    assert [(link.seq, stored) for link, stored in chain] == local[: len(chain)]
    assert verify_chain(chain) is None, verify_chain(chain)

    # Someone with access to the central database edits what a laptop recorded.
    victim = local[len(local) // 2][0]
    with teams.session() as session, session.begin():
        row = session.get(DeviceAudit, (device, victim))
        assert row is not None
        session.execute(
            update(DeviceAudit)
            .where(DeviceAudit.device_id == device, DeviceAudit.seq == victim)
            .values(event={**row.event, "actor": "someone.else"})
        )
    with teams.session() as session:
        broken = verify_chain(central_chain(session, device))
    assert broken is not None and broken.seq == victim
    assert all(f.ok for f in check_store(store))  # the laptop's own chain is untouched


# -- anchored at the central store -----------------------------------------------------------
def _rewrite_and_rehash(store: Store, seq: int) -> None:
    """What someone with the data key does to hide an edit: change event ``seq`` and re-hash
    every event from it on, so the chain verifies again on the laptop."""
    with store.write_engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE audit_event SET actor = 'someone.else' WHERE seq = {seq}"
        )
        rows = connection.exec_driver_sql(
            "SELECT seq, occurred_at, actor, device_id, action, record_type, record_id, "
            f"young_person_id, detail, prev_hash FROM audit_event WHERE seq >= {seq} ORDER BY seq"
        ).fetchall()
        previous = rows[0][9]
        for row in rows:
            link = AuditLink(*row[:8], json.loads(row[8]) if row[8] else {}, previous)
            previous = link_hash(link)
            connection.exec_driver_sql(
                "UPDATE audit_event SET prev_hash = ?, hash = ? WHERE seq = ?",
                (link.prev_hash, previous, row[0]),
            )


@pytest.mark.parametrize("where", ["the last events", "an event changed, the rest re-hashed"])
def test_check_against_the_central_store_finds_events_removed_by_the_key_holder(
    where: str, teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    kw1 = laptop("kw1")
    sync(kw1.store, transport=kw1.transport)
    with kw1.store.reading() as session:
        ava = session.scalars(select(YoungPerson).where(YoungPerson.reference == "A001")).one()
    for _ in range(4):
        record_opened(kw1.store, ava.id)
    sync(kw1.store, transport=kw1.transport)
    anchors = audit_anchors(kw1.store, transport=kw1.transport)
    assert [a.source for a in anchors] == ["last sync", "central store"]
    findings = check_store(kw1.store, anchors)
    assert all(f.ok for f in findings), findings
    head = anchors[-1].seq
    if where == "the last events":  # opening Ava's record four times, gone
        with kw1.store.write_engine.begin() as connection:
            connection.exec_driver_sql(f"DELETE FROM audit_event WHERE seq > {head - 4}")
            connection.exec_driver_sql(
                f"UPDATE sqlite_sequence SET seq = {head - 4} WHERE name = 'audit_event'"
            )
    else:
        _rewrite_and_rehash(kw1.store, head - 2)
    findings = {
        f.check: f
        for f in check_store(kw1.store, audit_anchors(kw1.store, transport=kw1.transport))
    }
    assert findings["Audit chain"].ok  # the laptop's own chain holds: only the anchor shows it
    central = findings["Audit anchor (central store)"]
    assert not central.ok
    assert ("are missing here" if where == "the last events" else f"event {head}") in central.detail
    if where != "the last events":
        # The next push carries re-hashed events the central store already holds: logged.
        record_opened(kw1.store, ava.id)
        sync(kw1.store, transport=kw1.transport)
        with teams.session() as session:
            broken = session.scalars(
                select(ServerAudit).where(ServerAudit.action == "device_chain_broken")
            ).all()
        assert broken and broken[0].device_id == kw1.store.device_id


def test_check_says_when_the_central_store_cannot_be_reached(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    kw1 = laptop("kw1")
    sync(kw1.store, transport=kw1.transport)
    findings = {f.check: f for f in check_store(kw1.store, audit_anchors(kw1.store))}
    assert findings["Audit anchor (last sync)"].ok
    unreached = findings["Audit anchor (central store)"]
    assert unreached.ok and unreached.detail.startswith("not checked: ")
