"""The central store's own audit log is hash-chained: sign-ins, refusals, pushes and pulls are
chained in order, concurrent requests leave one unbroken chain, and removing, changing or
reordering any event (the last ones too) is named by `verify_server_audit` and by
`keyworker-server check-audit`. On SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import OperationalError

from keyworker_app.domain.caseload_csv import parse_caseload_csv
from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.security.audit_chain import GENESIS
from keyworker_app.server import accounts, cli
from keyworker_app.server.app import create_app
from keyworker_app.server.audit_log import AuditCheck, audit, event_hash, verify_server_audit
from keyworker_app.server.database import Database
from keyworker_app.server.importing import import_central
from keyworker_app.server.models import Account, ServerAudit, ServerAuditHead
from keyworker_app.store.models import YoungPerson
from keyworker_app.store.recording import ContactDetails, add_contact
from keyworker_app.sync.client import sync
from tests.sync.conftest import PASSWORD, Laptop, add_people

CASES = (
    "reference,given_name,family_name,date_of_birth,team,keyworker,school,referral_date,risk_category\n"
    "A001,Ava,Stone,2008-01-01,A,kwa1,Oak High,2024-01-01,other\n"
    "A002,Ben,Hart,2009-02-02,A,kwa2,Oak High,2024-02-02,other\n"
    "A003,Cai,Rowe,2009-03-03,A,kwa3,Oak High,2024-03-03,other\n"
)
USERS = ("kwa1", "kwa2", "kwa3")
HOLDS = "The central store's audit log holds: {} events, every link holds."


@pytest.fixture
def team(central: Database) -> Database:
    add_people(central, *((user, "keyworker", "A") for user in USERS))
    with central.session() as session, session.begin():
        import_central(session, parse_caseload_csv(CASES.encode(), today=date(2026, 11, 1)))
    return central


def verify(central: Database) -> AuditCheck:
    with central.session() as session:
        return verify_server_audit(session)


def check_audit(central: Database, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(["--database", central.url, "check-audit"])
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def events(central: Database) -> list[ServerAudit]:
    with central.session() as session:
        return list(session.scalars(select(ServerAudit).order_by(ServerAudit.seq)))


def record_and_sync(device: Laptop, note: str, client: TestClient | None = None) -> None:
    with device.store.reading() as session:
        young_person = session.scalars(select(YoungPerson.id)).first()
    assert young_person is not None
    add_contact(
        device.store,
        young_person,
        ContactDetails(ContactType.PHONE, note, occurred_at=datetime(2026, 10, 1, tzinfo=UTC)),
        finalise=True,
    )
    transport = client._transport if client is not None else device.transport
    report = sync(device.store, transport=transport)
    assert report.rejected == 0, report


def test_sign_ins_refusals_pushes_and_pulls_are_chained_in_order(
    team: Database,
    service: TestClient,
    laptop: Callable[[str], Laptop],
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = service.post(
        "/v1/auth/login", json={"user": "kwa1", "password": "not it at all", "device_id": "d1"}
    )
    assert wrong.status_code == 401  # refused, and the refusal is still audited
    device = laptop("kwa1")
    sync(device.store, transport=device.transport)
    record_and_sync(device, "A phone call.")

    chain = events(team)
    assert [event.seq for event in chain] == list(range(1, len(chain) + 1))
    actions = [event.action for event in chain]
    for action in ("add_team", "add_user", "import_csv", "login_failed", "login", "push", "pull"):
        assert action in actions
    assert actions.index("login_failed") < actions.index("login") < actions.index("push")
    previous = GENESIS
    for event in chain:
        assert event.prev_hash == previous
        assert event.hash == event_hash(
            event.seq,
            event.at,
            event.actor,
            event.device_id,
            event.action,
            event.detail,
            event.prev_hash,
        )
        previous = event.hash
    with team.session() as session:
        head = session.get(ServerAuditHead, 1)
        assert head is not None and (head.seq, head.hash) == (chain[-1].seq, chain[-1].hash)

    assert verify(team) == AuditCheck(len(chain), None)
    assert check_audit(team, capsys) == (0, HOLDS.format(len(chain)), "")


def test_a_rolled_back_transaction_leaves_no_event_and_no_gap(team: Database) -> None:
    before = len(events(team))
    with team.session() as session:
        with session.begin():
            audit(session, "admin", "restrict", young_person="yp1", allow=("kwa1",))
            session.rollback()
        with session.begin():
            audit(session, "admin", "restrict", young_person="yp1", allow=("kwa1",))
    chain = events(team)
    assert [event.seq for event in chain] == list(range(1, before + 2))
    assert chain[-1].detail == {"young_person": "yp1", "allow": ["kwa1"]}
    assert verify(team).holds


def test_a_transaction_with_many_events_chains_them_all(team: Database) -> None:
    """A push refusing many changes audits each: more than one statement's worth of events."""
    before = len(events(team))
    with team.session() as session, session.begin():
        for n in range(1200):
            audit(session, "kwa1", "push_rejected", "d1", record_id=f"r{n}", reason="refused")
    chain = events(team)
    assert [event.seq for event in chain] == list(range(1, before + 1201))
    assert chain[-1].detail == {"record_id": "r1199", "reason": "refused"}
    assert verify(team) == AuditCheck(before + 1200, None)


def _delete(seqs: list[int]) -> Callable[[Database], None]:
    def tamper(central: Database) -> None:
        with central.session() as session, session.begin():
            session.execute(delete(ServerAudit).where(ServerAudit.seq.in_(seqs)))

    return tamper


def _edit_detail(central: Database) -> None:
    with central.session() as session, session.begin():
        session.execute(
            update(ServerAudit).where(ServerAudit.seq == 3).values(detail={"user": "someone"})
        )


def _edit_and_rehash_one(central: Database) -> None:
    with central.session() as session, session.begin():
        event = session.get(ServerAudit, 3)
        assert event is not None
        event.actor = "someone else"
        event.hash = event_hash(
            3, event.at, event.actor, event.device_id, event.action, event.detail, event.prev_hash
        )


def _swap(central: Database) -> None:
    """Two events change places (each keeps its content, hashes and links)."""
    with central.session() as session, session.begin():
        session.execute(update(ServerAudit).where(ServerAudit.seq == 3).values(seq=-3))
        session.execute(update(ServerAudit).where(ServerAudit.seq == 4).values(seq=3))
        session.execute(update(ServerAudit).where(ServerAudit.seq == -3).values(seq=4))


def _rechain(central: Database, *, renumber: bool) -> None:
    """Remove event 3 and re-hash every later event, as someone with the database would, but
    leave the head row alone."""
    with central.session() as session, session.begin():
        session.execute(delete(ServerAudit).where(ServerAudit.seq == 3))
        previous = GENESIS
        for event in session.scalars(select(ServerAudit).order_by(ServerAudit.seq)).all():
            seq = event.seq - 1 if renumber and event.seq > 3 else event.seq
            digest = event_hash(
                seq, event.at, event.actor, event.device_id, event.action, event.detail, previous
            )
            session.execute(
                update(ServerAudit)
                .where(ServerAudit.seq == event.seq)
                .values(seq=seq, prev_hash=previous, hash=digest)
            )
            previous = digest


def _drop_head(central: Database) -> None:
    with central.session() as session, session.begin():
        session.execute(delete(ServerAuditHead))


TAMPERING: dict[str, tuple[Callable[[Database], None], str]] = {
    "a middle event deleted": (_delete([4]), "event 4 is missing"),
    "several middle events deleted": (_delete([3, 4, 5]), "events 3 to 5 are missing"),
    "the first event deleted": (_delete([1]), "event 1 is missing"),
    "an event's detail edited": (_edit_detail, "event 3 no longer matches its hash"),
    "an event edited and re-hashed": (
        _edit_and_rehash_one,
        "event 4 does not follow the event before it",
    ),
    "two events swapped": (_swap, "event 3 does not follow the event before it"),
    "the last two events deleted": (_delete([9, 10]), "events 9 to 10 have been removed"),
    "the last event deleted": (_delete([10]), "event 10 has been removed"),
    "an event deleted and the rest re-hashed": (
        lambda central: _rechain(central, renumber=False),
        "event 3 is missing",
    ),
    "an event deleted, the rest renumbered and re-hashed": (
        lambda central: _rechain(central, renumber=True),
        "event 10 has been removed",
    ),
    "the head row deleted": (_drop_head, "its head record"),
}


@pytest.mark.parametrize("tampering", list(TAMPERING))
def test_tampering_is_named_by_verify_and_by_check_audit(
    central: Database, capsys: pytest.CaptureFixture[str], tampering: str
) -> None:
    with central.session() as session, session.begin():
        for n in range(10):
            audit(session, f"user{n}", "login", f"device-{n}", attempt=n, note="café ✓")
    assert verify(central) == AuditCheck(10, None)
    tamper, finding = TAMPERING[tampering]
    tamper(central)

    check = verify(central)
    assert check.problem is not None and finding in check.problem
    code, out, err = check_audit(central, capsys)
    assert code == 1 and out == ""
    assert err.startswith("The central store's audit log does not hold: ")
    assert finding in err and len(err.splitlines()) == 1


def test_concurrent_syncs_and_writers_leave_one_unbroken_chain(
    team: Database, laptop: Callable[[str], Laptop]
) -> None:
    devices = [laptop(user) for user in USERS]
    for device in devices:
        sync(device.store, transport=device.transport)
    failures: list[BaseException] = []
    start = threading.Barrier(len(devices) + 2)

    def syncing(device: Laptop) -> None:
        # Each thread its own client (the test client's event loop is not shared across
        # threads); all of them serve the one central store.
        try:
            with TestClient(create_app(team), base_url="https://central.test") as client:
                start.wait(timeout=300)  # one that failed must not hang the rest
                for n in range(4):
                    record_and_sync(device, f"Visit {n}.", client)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)

    def auditing(name: str) -> None:
        # Several events per transaction, from sessions committing alongside the requests.
        try:
            start.wait(timeout=300)  # one that failed must not hang the rest
            for n in range(15):
                with team.session() as session, session.begin():
                    for k in range(3):
                        audit(session, name, "restrict", young_person=f"{n}-{k}")
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=syncing, args=(device,)) for device in devices]
    threads += [threading.Thread(target=auditing, args=(f"admin{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []

    chain = events(team)
    assert [event.seq for event in chain] == list(range(1, len(chain) + 1))
    assert len({event.prev_hash for event in chain}) == len(chain)  # no fork
    assert sum(event.action == "restrict" for event in chain) == 2 * 15 * 3
    assert sum(event.action == "push" for event in chain) >= len(USERS) * 4
    assert verify(team) == AuditCheck(len(chain), None)


def test_only_a_transaction_that_audits_waits_for_the_chain(team: Database) -> None:
    """While another transaction holds the chain's head, a request that audits nothing still
    commits; one that audits waits (here: gives up at the lock timeout)."""
    if not team.url.startswith("postgresql"):
        pytest.skip("SQLite serialises every writer at BEGIN IMMEDIATE")
    with team.session() as holder, holder.begin():
        holder.execute(select(ServerAuditHead).with_for_update())
        with team.session() as quiet, quiet.begin():
            quiet.execute(text("SET LOCAL lock_timeout = '5s'"))
            account = quiet.get(Account, "kwa1")
            assert account is not None
            account.display_name = "Renamed"
        with (
            pytest.raises(OperationalError, match="lock timeout"),
            team.session() as noisy,
            noisy.begin(),
        ):
            noisy.execute(text("SET LOCAL lock_timeout = '200ms'"))
            accounts.audit(noisy, "kwa1", "login", "d1")
    assert verify(team).holds


def test_sign_in_refused_after_the_commit_hook_keeps_its_event(
    team: Database, service: TestClient
) -> None:
    for _ in range(accounts.FREE_FAILURES):
        service.post(
            "/v1/auth/login", json={"user": "kwa2", "password": "wrong one!", "device_id": "d2"}
        )
    throttled = service.post(
        "/v1/auth/login", json={"user": "kwa2", "password": PASSWORD, "device_id": "d2"}
    )
    assert throttled.status_code == 401
    actions = [event.action for event in events(team) if event.actor == "kwa2"]
    assert actions[-1] == "login_throttled"
    assert actions.count("login_failed") == accounts.FREE_FAILURES
    assert verify(team).holds
