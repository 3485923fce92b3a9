"""Sync under faults, on a real network: laptops reach a real ``keyworker-server serve`` process
through a proxy on loopback (fault_proxy.py) that delays requests, loses answers after the
server applied them, repeats requests and resets connections; and the server is killed in the
middle of a push and started again on the same database. Whatever fails, once everyone syncs
on a good connection all parties agree: every contact and addendum anyone saved is on the
central store and on every laptop entitled to it, once; every value anyone saved for a field
stands, is one side of a conflict, or was replaced by someone who had it in front of them; and
the central store's database is whole.

It found three faults, fixed in keyworker_app/server: a repeated token refresh, answered with
the first answer, signed the laptop out (accounts.refresh); a change to a record whose insert
had been applied but not answered was dropped when the insert went again squashed with it
(sync_service._apply), losing a draft's edit on the store and then on the laptop; and a clash
after a retried push was shown as between one worker and themself (sync_service._writer_of).

Short by default (make test); ``pytest --long-drills`` or KEYWORKER_LONG_DRILLS=1 runs it long.
"""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text

from keyworker_app.domain.vocabulary import ContactType, RecordStatus
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.server import accounts, cli
from keyworker_app.server.access import Viewer, visible_young_people
from keyworker_app.server.database import Database, open_database
from keyworker_app.server.models import (
    Account,
    ChangeEntry,
    Conflict,
    Record,
    RecordVersion,
    SequenceCounter,
    ServerAudit,
)
from keyworker_app.store import lifecycle
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.integrity import check_store
from keyworker_app.store.models import (
    SYNCABLE_MODELS,
    Addendum,
    Contact,
    OutboxEntry,
    SyncConflict,
    YoungPerson,
)
from keyworker_app.store.recording import (
    ContactDetails,
    add_addendum,
    add_contact,
    finalise_contact,
    save_draft,
    update_young_person,
)
from keyworker_app.sync.client import SyncError, SyncReport, login, sync
from tests.conftest import FAST_KDF
from tests.drills.fault_proxy import Fault, FaultProxy
from tests.sync.conftest import _fresh_pg_database, postgres_url  # noqa: F401 - a fixture

SERVER = Path(sys.executable).with_name("keyworker-server")
PASSWORD = "drill password for the central store"
SEED = 20261101
PEOPLE = (("kwa1", "keyworker", "A"), ("sva", "supervisor", "A"), ("kwb1", "keyworker", "B"))
CASES = (
    "reference,given_name,family_name,date_of_birth,team,keyworker,school,referral_date,"
    "risk_category\n"
    "A001,Ava,Stone,2008-01-01,A,kwa1,Oak High,2024-01-01,other\n"
    "A002,Ben,Hart,2009-02-02,A,kwa1,Oak High,2024-02-02,other\n"
    "B001,Eve,Moss,2008-05-05,B,kwb1,Ash School,2024-03-03,other\n"
    "B002,Kit,Lane,2010-06-06,B,kwb1,Ash School,2024-04-04,other\n"
)
# B002 is seen only by their keyworker and team A's supervisor, so the supervisor works on
# both teams' young people (a supervisor otherwise sees only their own team).
RESTRICTED = ("B002", ("kwb1", "sva"))
SEES = {"kwa1": {"A001", "A002"}, "sva": {"A001", "A002", "B002"}, "kwb1": {"B001", "B002"}}
FIELDS = ("school", "first_language")
# All a bad network or a dead server may make a sync say; anything else is a product fault.
NETWORK_TROUBLE = ("did not answer", "is busy")
SETTLE_PASSES = 8


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CentralProcess:
    """``keyworker-server serve`` in its own process, on a database that outlives it."""

    def __init__(self, where: list[str], log: Path) -> None:
        self.where = where  # ["--data-dir", DIR] or ["--database", URL]
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def admin(self, *commands: list[str]) -> None:
        """An administrator's ``keyworker-server`` commands, run here on the database."""
        parser = cli.build_parser()
        database = self.open()
        try:
            for command in commands:
                args = parser.parse_args([*self.where, *command])
                assert args.run(database, args) == 0, f"keyworker-server {command} failed"
        finally:
            database.dispose()

    def start(self) -> int:
        """Serve on a new port; returns it once the server answers."""
        for _ in range(3):  # another program may take the free port first; then try another
            port = free_port()
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    [str(SERVER), *self.where, "serve", "--port", str(port)],
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            if self._answers(self.process, port):
                return port
        pytest.fail(f"the central store did not start: {self.log.read_text()[-2000:]}")

    @staticmethod
    def _answers(process: subprocess.Popen[bytes], port: int) -> bool:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=1) as client:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    if client.get("/v1/health").status_code == 200:
                        return True
                except httpx.HTTPError:
                    time.sleep(0.05)
        process.kill()
        process.wait(timeout=30)
        return False

    def kill(self) -> None:
        """SIGKILL: no shutdown, no chance to finish a transaction or an answer."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

    def open(self) -> Database:
        """The central store's database, read directly for the checks."""
        kind, location = self.where
        if kind == "--data-dir":
            return open_database(data_dir=Path(location))
        return open_database(location)


@pytest.fixture(params=["sqlite", "postgresql"])
def central_server(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CentralProcess]:
    """A central store with two teams, a restricted young person, and no process running yet:
    the embedded SQLite default, or a fresh PostgreSQL database."""
    # A cheap password hash, as FAST_KDF for the laptops: the hash says how it was made, so the
    # server process checks it as cheaply at sign-in. Passwords are not this drill's subject.
    monkeypatch.setattr(
        accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    if request.param == "sqlite":
        where = ["--data-dir", str(tmp_path / "central")]
    else:
        where = ["--database", _fresh_pg_database(request.getfixturevalue("postgres_url"))]
    central = CentralProcess(where, tmp_path / "server.log")
    cases = tmp_path / "cases.csv"
    cases.write_text(CASES)
    reference, allowed = RESTRICTED
    monkeypatch.setenv(cli.PASSWORD_ENV, PASSWORD)
    central.admin(
        *(["add-team", team] for team in sorted({team for _, _, team in PEOPLE})),
        *(["add-user", user, "--role", role, "--team", team] for user, role, team in PEOPLE),
        ["import-csv", str(cases)],
        ["restrict", reference, "--allow", *allowed, "--allow-other-team"],
    )
    yield central
    central.stop()


@dataclass
class Laptop:
    user: str
    store: Store
    drafts: list[tuple[str, str]] = field(default_factory=list)  # (contact id, reference)
    troubles: list[str] = field(default_factory=list)  # what failed syncs said


def new_laptop(folder: Path, user: str, address: str) -> Laptop:
    store = lifecycle.create_caseload(
        folder,
        "laptop passphrase words",
        DeviceSecrets.for_store(folder),
        user_name=user,
        kdf=FAST_KDF,
    ).store
    login(store, address, user, PASSWORD)
    return Laptop(user, store)


@dataclass
class Ledger:
    """Everything anyone saved, to be found wherever it belongs at the end."""

    contacts: dict[str, tuple[str, str]] = field(default_factory=dict)  # id: (reference, text)
    addenda: dict[str, tuple[str, str]] = field(default_factory=dict)
    written: set[tuple[str, str, str]] = field(default_factory=set)  # (reference, field, value)
    replaced: set[tuple[str, str, str]] = field(default_factory=set)  # values seen, then changed
    numbers: count[int] = field(default_factory=count)


def details(narrative: str) -> ContactDetails:
    return ContactDetails(
        ContactType.PHONE, narrative, occurred_at=datetime(2026, 10, 1, tzinfo=UTC)
    )


def work_offline(laptop: Laptop, ledger: Ledger, rng: random.Random, steps: list[str]) -> None:
    """What a worker does between syncs: contacts (finalised, or drafts edited and finalised
    later), addenda to finalised contacts, and changes to a young person's details."""
    store = laptop.store
    with store.reading() as session:
        people = {p.reference: p.id for p in session.scalars(select(YoungPerson))}
        finals = list(
            session.execute(
                select(Contact.id, Contact.young_person_id).where(
                    Contact.status == RecordStatus.FINAL
                )
            )
        )
    references = {young_person_id: reference for reference, young_person_id in people.items()}
    for step in steps:
        reference = rng.choice(sorted(people))
        number = next(ledger.numbers)
        if step in ("contact", "draft"):
            narrative = f"{laptop.user} note {number}"
            contact = add_contact(
                store, people[reference], details(narrative), finalise=step == "contact"
            )
            ledger.contacts[contact.id] = (reference, narrative)
            if step == "draft":
                laptop.drafts.append((contact.id, reference))
        elif step == "edit" and laptop.drafts:
            contact_id, reference = rng.choice(laptop.drafts)
            narrative = f"{laptop.user} note {number}, edited"
            save_draft(store, contact_id, details(narrative))
            ledger.contacts[contact_id] = (reference, narrative)
        elif step == "finalise" and laptop.drafts:
            contact_id, _ = laptop.drafts.pop(rng.randrange(len(laptop.drafts)))
            finalise_contact(store, contact_id)
        elif step == "addendum" and finals:
            contact_id, young_person_id = rng.choice(finals)
            words = f"{laptop.user} addendum {number}"
            addendum = add_addendum(store, contact_id, words)
            ledger.addenda[addendum.id] = (references[young_person_id], words)
        elif step == "field":
            name = rng.choice(FIELDS)
            with store.reading() as session:
                person = session.get(YoungPerson, people[reference])
                assert person is not None
                ledger.replaced.add((reference, name, getattr(person, name) or ""))
            value = f"{name} {number} by {laptop.user}"
            update_young_person(store, people[reference], {name: value})
            ledger.written.add((reference, name, value))


def try_sync(laptop: Laptop) -> SyncReport | None:
    """One press of Sync; a failure is noted, as the worker would see it, and not raised."""
    try:
        report = sync(laptop.store)
    except SyncError as error:
        laptop.troubles.append(str(error))
        return None
    assert report.rejected == 0, f"{laptop.user}: the central store refused {report.rejections}"
    return report


def sync_together(laptops: list[Laptop]) -> None:
    """Everyone presses Sync at the same moment."""
    with ThreadPoolExecutor(len(laptops), thread_name_prefix="laptop") as pool:
        for done in [pool.submit(try_sync, laptop) for laptop in laptops]:
            done.result()


def settle(laptops: list[Laptop]) -> None:
    """On a good network, everyone syncs until a whole round sends and receives nothing."""
    for _ in range(SETTLE_PASSES):
        quiet = True
        for laptop in laptops:
            report = sync(laptop.store)  # no faults now: any SyncError is a failure
            assert report.rejected == 0, f"{laptop.user}: refused {report.rejections}"
            quiet = quiet and report.pushed == 0 and report.pulled == 0
        if quiet:
            return
    pytest.fail(f"the laptops were still exchanging changes after {SETTLE_PASSES} rounds")


def assert_only_network_trouble(laptops: list[Laptop]) -> None:
    for laptop in laptops:
        odd = [t for t in laptop.troubles if not any(n in t for n in NETWORK_TROUBLE)]
        assert not odd, f"{laptop.user}: a sync failed for a reason other than the network: {odd}"


def local_records(store: Store) -> dict[tuple[str, str], int]:
    """(record type, id): version of every synced record on a laptop."""
    with store.reading() as session:
        return {
            (model.__tablename__, record_id): version
            for model in SYNCABLE_MODELS
            for record_id, version in session.execute(select(model.id, model.version))
        }


def check_central_is_whole(central: Database) -> None:
    """Each record has every version up to its own, the newest equal to it; the change feed is
    numbered without gaps and names every record and conflict; SQLite's own checks pass."""
    with central.session() as session:
        versions: dict[tuple[str, str], dict[int, dict]] = defaultdict(dict)
        for row in session.scalars(select(RecordVersion)):
            versions[(row.record_type, row.record_id)][row.version] = row.data
        records = list(session.scalars(select(Record)))
        for record in records:
            key = (record.record_type, record.record_id)
            assert sorted(versions[key]) == list(range(1, record.version + 1)), (
                f"{key} is at version {record.version} but has versions {sorted(versions[key])}"
            )
            assert versions[key][record.version] == record.data, f"{key} differs from its version"
        feed = list(
            session.execute(select(ChangeEntry.seq, ChangeEntry.kind, ChangeEntry.record_id))
        )
        counter = session.scalar(
            select(SequenceCounter.value).where(SequenceCounter.name == "change")
        )
        assert sorted(seq for seq, _, _ in feed) == list(range(1, (counter or 0) + 1)), (
            "the change feed has gaps or numbers past its counter"
        )
        fed = {record_id for _, kind, record_id in feed if kind == "record"}
        assert not {r.record_id for r in records} - fed, "a record is missing from the change feed"
        conflicts = set(session.scalars(select(Conflict.id)))
        assert conflicts <= {record_id for _, kind, record_id in feed if kind == "conflict"}
        if central.url.startswith("sqlite"):
            connection = session.connection()
            assert connection.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []


def check_everyone_agrees(central: Database, laptops: list[Laptop], ledger: Ledger) -> None:
    check_central_is_whole(central)
    with central.session() as session:
        records = list(session.scalars(select(Record)))
        references = {
            r.record_id: r.data["reference"] for r in records if r.record_type == "young_person"
        }
        on_central = {
            kind: {
                r.record_id: r.data["narrative" if kind == "contact" else "text"]
                for r in records
                if r.record_type == kind
            }
            for kind in ("contact", "addendum")
        }
        standing = {
            (r.data["reference"], name, r.data.get(name) or "")
            for r in records
            if r.record_type == "young_person"
            for name in FIELDS
        }
        conflicts = list(session.scalars(select(Conflict)))
        entitled: dict[str, tuple[dict[tuple[str, str], int], dict[str, str]]] = {}
        for laptop in laptops:
            account = session.get(Account, laptop.user)
            assert account is not None
            visible = visible_young_people(
                session, Viewer(account.user_name, account.role, account.team_id)
            )
            assert {references[y] for y in visible} == SEES[laptop.user]
            entitled[laptop.user] = (
                {
                    (r.record_type, r.record_id): r.version
                    for r in records
                    if r.young_person_id is None or r.young_person_id in visible
                },
                {c.id: c.status for c in conflicts if c.young_person_id in visible},
            )
    # Every contact and addendum saved is on the central store, once, with its latest text.
    for kind, saved in (("contact", ledger.contacts), ("addendum", ledger.addenda)):
        expected = {record_id: words for record_id, (_, words) in saved.items()}
        missing = {i: w for i, w in expected.items() if on_central[kind].get(i) != w}
        assert not missing, f"{len(missing)} {kind}s lost or stale on the central store: {missing}"
        extra = set(on_central[kind]) - set(expected)
        assert not extra, f"{kind}s on the central store that nobody saved: {extra}"
        texts = list(on_central[kind].values())
        assert len(texts) == len(set(texts)), f"a {kind} was saved twice on the central store"
    # Conflicts are kept for people to settle, never between a laptop and itself, and no value
    # anyone saved vanished without a conflict or someone deliberately replacing it.
    odd = [
        (c.field, c.kept_value, c.kept_by, c.other_value, c.other_by, c.status)
        for c in conflicts
        if c.status != "open" or c.kept_by == c.other_by
    ]
    assert not odd, f"conflicts settled by nobody, or between a worker and themself: {odd}"
    in_conflict = {
        (references[c.record_id], c.field, value or "")
        for c in conflicts
        for value in (c.kept_value, c.other_value)
    }
    lost = ledger.written - standing - in_conflict - ledger.replaced
    assert not lost, f"values overwritten without a conflict: {sorted(lost)}"
    # Every laptop holds exactly what it may see, at the central store's versions.
    held: dict[str, dict[tuple[str, str], int]] = {}
    for laptop in laptops:
        expected_records, expected_conflicts = entitled[laptop.user]
        held[laptop.user] = local_records(laptop.store)
        with laptop.store.reading() as session:
            pending = session.scalars(select(OutboxEntry.record_id)).all()
            contacts = {k: v for k, v in session.execute(select(Contact.id, Contact.narrative))}
            addenda = {k: v for k, v in session.execute(select(Addendum.id, Addendum.text))}
            local_conflicts = {
                k: v for k, v in session.execute(select(SyncConflict.id, SyncConflict.status))
            }
        assert not pending, f"{laptop.user} still has {len(pending)} changes unsent"
        for kind, saved, found in (
            ("contact", ledger.contacts, contacts),
            ("addendum", ledger.addenda, addenda),
        ):
            expected = {i: w for i, (ref, w) in saved.items() if ref in SEES[laptop.user]}
            assert found == expected, (
                f"{laptop.user}'s {kind}s differ: missing {set(expected) - set(found)}, "
                f"unexpected {set(found) - set(expected)}, "
                f"stale {[i for i in found.keys() & expected.keys() if found[i] != expected[i]]}"
            )
        difference = set(held[laptop.user].items()) ^ set(expected_records.items())
        assert not difference, (
            f"{laptop.user}'s records differ from the central store: {difference}"
        )
        assert local_conflicts == expected_conflicts, f"{laptop.user}'s conflicts differ"
        problems = [f for f in check_store(laptop.store) if not f.ok]
        assert not problems, f"{laptop.user}'s store is damaged: {problems}"
    # Laptops agree on every record they both hold (the same team's records, identical).
    for one in laptops:
        for other in laptops:
            shared = held[one.user].keys() & held[other.user].keys()
            assert all(held[one.user][k] == held[other.user][k] for k in shared)


def repeated_ops(central: Database) -> int:
    """Operations the central store recognised as already applied (from its audit of pushes)."""
    with central.session() as session:
        return sum(
            int(a.detail.get("repeated", 0))
            for a in session.scalars(select(ServerAudit).where(ServerAudit.action == "push"))
        )


def test_laptops_syncing_through_a_bad_network_converge_and_lose_nothing(
    central_server: CentralProcess, tmp_path: Path, drill_rounds: Callable[[int, int], int]
) -> None:
    rounds = drill_rounds(6, 60)
    rng = random.Random(SEED)
    port = central_server.start()
    ledger = Ledger()
    with FaultProxy(port, seed=SEED, faulty=False) as proxy:
        laptops = [new_laptop(tmp_path / user, user, proxy.address) for user, _, _ in PEOPLE]
        try:
            for laptop in laptops:
                assert try_sync(laptop) is not None
            proxy.faulty = True
            # Whatever chance brings, each kind of loss meets a push that carries changes: the
            # first push's answer is lost after it was applied, and its laptop then edits the
            # draft it carried (the insert goes again, squashed with the edit).
            proxy.queue("/v1/sync/push", Fault.RESET, Fault.DUPLICATE, Fault.DROP)
            proxy.queue("/v1/auth/refresh", Fault.DUPLICATE, Fault.DROP)
            for number in range(rounds):
                for laptop in laptops:
                    steps = rng.choices(
                        ("contact", "draft", "edit", "finalise", "addendum", "field"),
                        weights=(4, 2, 2, 2, 2, 3),
                        k=rng.randint(1, 4),
                    )
                    if number == 0:
                        steps = ["contact", "draft", "field"]
                    elif number == 1:
                        steps = ["edit", *steps]
                    work_offline(laptop, ledger, rng, steps)
                sync_together(laptops)
            proxy.faulty = False
            assert_only_network_trouble(laptops)
            failed = sum(len(laptop.troubles) for laptop in laptops)
            assert failed > 0, "no sync failed: the network was not bad enough to test anything"
            settle(laptops)
            central = central_server.open()
            try:
                check_everyone_agrees(central, laptops, ledger)
                repeated = repeated_ops(central)
            finally:
                central.dispose()
            assert repeated > 0, "no push was ever repeated: deduplication was not tested"
            faults = {f"{path} {fault}": n for (path, fault), n in sorted(proxy.tally.items())}
            print(f"{rounds} rounds: {failed} syncs failed, {repeated} ops repeated; {faults}")
        finally:
            for laptop in laptops:
                laptop.store.close()


def signal_push(pushed: threading.Event) -> Callable[[str], None]:
    def seen(path: str) -> None:
        if path == "/v1/sync/push":
            pushed.set()

    return seen


def test_a_server_killed_in_the_middle_of_a_push_loses_and_doubles_nothing(
    central_server: CentralProcess, tmp_path: Path, drill_rounds: Callable[[int, int], int]
) -> None:
    kills = drill_rounds(2, 6)
    batch = drill_rounds(150, 2200)  # two outbox entries each: 3 pushes of 2,000 at most
    rng = random.Random(SEED + 1)
    port = central_server.start()
    ledger = Ledger()
    outcomes: list[str] = []
    with (
        FaultProxy(port, seed=SEED, faulty=False) as proxy,
        ThreadPoolExecutor(1, thread_name_prefix="sync") as background,
    ):
        writer = new_laptop(tmp_path / "kwa1", "kwa1", proxy.address)
        reader = new_laptop(tmp_path / "sva", "sva", proxy.address)
        laptops = [writer, reader]
        try:
            for laptop in laptops:
                sync(laptop.store)
            for kill in range(kills):
                work_offline(writer, ledger, rng, ["contact"] * batch + ["field", "draft"])
                work_offline(reader, ledger, rng, ["contact", "field", "addendum"])
                with writer.store.reading() as session:
                    sending = set(
                        session.scalars(
                            select(OutboxEntry.record_id).where(
                                OutboxEntry.record_type == "contact"
                            )
                        )
                    )
                pushed = threading.Event()
                proxy.on_forward = signal_push(pushed)
                attempt = background.submit(try_sync, writer)
                assert pushed.wait(60), "the push never reached the central store"
                # While the store applies the push, or a moment after it answered: each kill
                # in its own slice of a window about as long as the push takes here.
                window = 0.002 * batch
                time.sleep(window * (kill + rng.random()) / kills)
                central_server.kill()
                proxy.on_forward = None
                finished = attempt.result(timeout=300) is not None
                proxy.upstream_port = central_server.start()
                central = central_server.open()
                try:
                    check_central_is_whole(central)  # straight after the crash
                    with central.session() as session:
                        stored = set(
                            session.scalars(
                                select(Record.record_id).where(Record.record_type == "contact")
                            )
                        )
                    arrived = len(sending & stored)
                    outcomes.append(
                        f"{arrived}/{len(sending)} applied, the sync "
                        + ("finished" if finished else "failed")
                    )
                    settle(laptops)
                    check_everyone_agrees(central, laptops, ledger)
                finally:
                    central.dispose()
            assert_only_network_trouble(laptops)
            print(f"killed {kills} times: {outcomes}")
        finally:
            for laptop in laptops:
                laptop.store.close()
