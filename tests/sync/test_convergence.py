"""Three laptops edit offline and sync in any order over a bad network; nothing is lost.

A hypothesis state machine drives three devices against a real central store (SQLite and
PostgreSQL). Each step is an offline edit (a new finalised contact, a change to a young
person's field, a new draft, a line added to a draft, finalising a draft while others may be
editing it, a contact the central store refuses) or a sync whose HTTP requests may be dropped
before reaching the store, have their answer lost after the store applied them, or be sent
twice. Afterwards every device is synced on a good network and must agree with the central
store: every contact ever saved is present, every value anyone saved for a field is either the
value that stands, one side of an open conflict, or was knowingly replaced by someone who had it
in front of them, and every line anyone wrote in a note is in a note, an addendum, a proposal
kept for its author, or the author's own list of changes the central store did not accept.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from sqlalchemy import select

from keyworker_app.domain.caseload_csv import parse_caseload_csv
from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.server.app import create_app
from keyworker_app.server.database import Database, open_database
from keyworker_app.server.importing import import_central
from keyworker_app.server.models import Conflict, Record
from keyworker_app.store import lifecycle
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import (
    Contact,
    OutboxEntry,
    RefusedChange,
    SyncConflict,
    YoungPerson,
)
from keyworker_app.store.recording import (
    ContactDetails,
    add_contact,
    finalise_contact,
    save_draft,
    update_young_person,
)
from keyworker_app.sync.client import SyncError, login, sync
from tests.conftest import FAST_KDF
from tests.sync.conftest import PASSWORD, _fresh_pg_database, add_people

USERS = ("kwa1", "kwa2", "kwa3")
REFERENCES = ("A001", "A002")
FIELDS = ("school", "first_language")
CASES = (
    "reference,given_name,family_name,date_of_birth,team,keyworker,school,referral_date,risk_category\n"
    "A001,Ava,Stone,2008-01-01,A,kwa1,Oak High,2024-01-01,other\n"
    "A002,Ben,Hart,2009-02-02,A,kwa2,Oak High,2024-02-02,other\n"
)
FAULTS = ("ok", "ok", "drop_request", "drop_answer", "duplicate")
MOMENT = datetime(2026, 10, 1, tzinfo=UTC)


class FlakyNetwork(httpx.BaseTransport):
    """The real HTTP app behind a network that misbehaves as the test tells it to."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.plan: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.plan.pop(0) if self.plan else "ok"
        if fault == "drop_request":
            raise httpx.ConnectError("dropped on the way", request=request)
        if fault == "duplicate":
            request.read()
            self.inner.handle_request(request).read()
        response = self.inner.handle_request(request)
        response.read()
        if fault == "drop_answer":
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


class Laptops(RuleBasedStateMachine):
    backend = "sqlite"
    postgres_url: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="kw-converge-"))
        if self.backend == "sqlite":
            self.central: Database = open_database(data_dir=self.folder / "central")
        else:
            assert self.postgres_url is not None
            self.central = open_database(_fresh_pg_database(self.postgres_url))
        add_people(self.central, *((user, "keyworker", "A") for user in USERS))
        with self.central.session() as session, session.begin():
            import_central(session, parse_caseload_csv(CASES.encode(), today=date(2026, 11, 1)))
        self.client = TestClient(create_app(self.central), base_url="https://central.test")
        self.client.__enter__()
        self.network = FlakyNetwork(self.client._transport)
        self.stores: list[Store] = []
        self.numbers = count()
        self.contacts: set[str] = set()  # every contact ever saved, on any laptop
        self.written: set[tuple[str, str, str]] = set()  # (reference, field, value)
        self.replaced: set[tuple[str, str, str]] = set()  # values someone saw and changed
        self.lines: dict[str, int] = {}  # each line written in a draft -> the device that wrote it

    @initialize()
    def sign_in_three_laptops(self) -> None:
        for user in USERS:
            folder = self.folder / user
            store = lifecycle.create_caseload(
                folder,
                "laptop passphrase words",
                DeviceSecrets.for_store(folder),
                user_name=user,
                kdf=FAST_KDF,
            ).store
            login(store, "https://central.test", user, PASSWORD, transport=self.network)
            sync(store, transport=self.network)
            self.stores.append(store)

    def _person(self, store: Store, reference: str) -> YoungPerson:
        with store.reading() as session:
            return session.scalars(
                select(YoungPerson).where(YoungPerson.reference == reference)
            ).one()

    @rule(device=st.integers(0, 2), reference=st.sampled_from(REFERENCES))
    def record_a_contact(self, device: int, reference: str) -> None:
        text = f"contact {next(self.numbers)} by {USERS[device]}"
        add_contact(
            self.stores[device],
            self._person(self.stores[device], reference).id,
            ContactDetails(ContactType.PHONE, text, occurred_at=datetime(2026, 10, 1, tzinfo=UTC)),
            finalise=True,
        )
        self.contacts.add(text)

    @rule(
        device=st.integers(0, 2),
        reference=st.sampled_from(REFERENCES),
        field=st.sampled_from(FIELDS),
    )
    def change_a_field(self, device: int, reference: str, field: str) -> None:
        store = self.stores[device]
        person = self._person(store, reference)
        self.replaced.add((reference, field, getattr(person, field) or ""))
        value = f"{field} {next(self.numbers)} by {USERS[device]}"
        update_young_person(store, person.id, {field: value})
        self.written.add((reference, field, value))

    def _drafts(self, store: Store) -> list[Contact]:
        with store.reading() as session:
            return list(
                session.scalars(
                    select(Contact).where(Contact.status == "draft").order_by(Contact.id)
                )
            )

    @rule(device=st.integers(0, 2), reference=st.sampled_from(REFERENCES))
    def start_a_draft(self, device: int, reference: str) -> None:
        line = f"draft line {next(self.numbers)} by {USERS[device]}"
        add_contact(
            self.stores[device],
            self._person(self.stores[device], reference).id,
            ContactDetails(ContactType.HOME_VISIT, line + "\n", occurred_at=MOMENT),
        )
        self.lines[line] = device

    @rule(device=st.integers(0, 2), pick=st.integers(0, 5))
    def add_a_line_to_a_draft(self, device: int, pick: int) -> None:
        drafts = self._drafts(self.stores[device])
        if not drafts:
            return
        draft = drafts[pick % len(drafts)]
        line = f"added line {next(self.numbers)} by {USERS[device]}"
        save_draft(
            self.stores[device],
            draft.id,
            ContactDetails(ContactType.HOME_VISIT, draft.narrative + line + "\n", MOMENT),
        )
        self.lines[line] = device

    @rule(device=st.integers(0, 2), pick=st.integers(0, 5))
    def finalise_a_draft(self, device: int, pick: int) -> None:
        drafts = self._drafts(self.stores[device])
        if drafts:
            finalise_contact(self.stores[device], drafts[pick % len(drafts)].id)

    @rule(device=st.integers(0, 2), reference=st.sampled_from(REFERENCES))
    def record_a_contact_the_central_store_refuses(self, device: int, reference: str) -> None:
        # A laptop whose clock is days fast: the central store refuses the contact.
        store = self.stores[device]
        line = f"refused line {next(self.numbers)} by {USERS[device]}"
        contact = add_contact(
            store,
            self._person(store, reference).id,
            ContactDetails(ContactType.PHONE, line + "\n", occurred_at=MOMENT),
        )
        with store.unit_of_work() as uow:
            found = uow.session.get(Contact, contact.id)
            assert found is not None
            found.occurred_at = datetime.now(UTC) + timedelta(days=3)
            uow.commit()
        self.lines[line] = device

    @rule(device=st.integers(0, 2), plan=st.lists(st.sampled_from(FAULTS), max_size=6))
    def sync_over_a_bad_network(self, device: int, plan: list[str]) -> None:
        self.network.plan = list(plan)
        try:
            sync(self.stores[device], transport=self.network)
        except SyncError as error:
            assert "did not answer" in str(error)  # only the network failed, never the sync
        finally:
            self.network.plan = []

    def teardown(self) -> None:
        try:
            if len(self.stores) == len(USERS):
                for _ in range(2):  # a good network: everyone pushes, then everyone pulls
                    for store in self.stores:
                        sync(store, transport=self.network)
                self._check_everyone_agrees()
        finally:
            for store in self.stores:
                store.close()
            self.client.__exit__(None, None, None)
            self.central.dispose()

    def _check_everyone_agrees(self) -> None:
        with self.central.session() as session:
            records = list(session.scalars(select(Record)))
            central_contacts = {r.data["narrative"] for r in records if r.record_type == "contact"}
            kept_text = "\n".join(
                [str(r.data.get("narrative") or "") for r in records if r.record_type == "contact"]
                + [str(r.data.get("text") or "") for r in records if r.record_type == "addendum"]
                + [
                    str(value or "")
                    for c in session.scalars(select(Conflict))
                    for value in (c.kept_value, c.other_value)
                ]
            )
            central_people = {
                r.data["reference"]: {f: r.data.get(f) for f in FIELDS}
                for r in records
                if r.record_type == "young_person"
            }
            people_by_id = {
                r.record_id: r.data["reference"] for r in records if r.record_type == "young_person"
            }
            central_conflicts = {
                (
                    people_by_id.get(c.record_id, c.record_id),
                    c.field,
                    str(c.kept_value),
                    str(c.other_value),
                    c.status,
                )
                for c in session.scalars(select(Conflict))
            }
            # A clash is between two people; a device never conflicts with its own changes.
            assert all(c.kept_by != c.other_by for c in session.scalars(select(Conflict)))
        assert self.contacts <= central_contacts
        assert all(c[4] == "open" for c in central_conflicts)
        refused_text = {
            device: "\n".join(str(row.patch.get("narrative") or "") for row in _refused_rows(store))
            for device, store in enumerate(self.stores)
        }
        lost_lines = [
            line
            for line, device in self.lines.items()
            if line not in kept_text and line not in refused_text[device]
        ]
        assert not lost_lines, f"lines written in notes and lost: {lost_lines}"
        for store in self.stores:
            with store.reading() as session:
                assert self.contacts <= set(session.scalars(select(Contact.narrative)))
                assert set(session.scalars(select(Contact.narrative))) <= central_contacts | {
                    str(row.patch.get("narrative")) for row in _refused_rows(store)
                }
                assert not session.scalars(select(OutboxEntry)).first()
                people = {
                    p.reference: {f: getattr(p, f) for f in FIELDS}
                    for p in session.scalars(select(YoungPerson))
                }
                ids = {p.id: p.reference for p in session.scalars(select(YoungPerson))}
                conflicts = {
                    (
                        ids.get(c.record_id, c.record_id),
                        c.field,
                        str(c.kept_value),
                        str(c.other_value),
                        c.status,
                    )
                    for c in session.scalars(select(SyncConflict))
                }
            assert people == central_people
            assert conflicts == central_conflicts
        in_conflict = {(c[0], c[1], v) for c in central_conflicts for v in (c[2], c[3])}
        standing = {
            (ref, f, v) for ref, values in central_people.items() for f, v in values.items()
        }
        lost = self.written - standing - in_conflict - self.replaced
        assert not lost, f"values overwritten without a conflict: {sorted(lost)}"


def _refused_rows(store: Store) -> list[RefusedChange]:
    with store.reading() as session:
        return list(session.scalars(select(RefusedChange)))


def _run(machine: type[Laptops], examples: int) -> None:
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=14,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


def test_three_laptops_converge_on_sqlite() -> None:
    _run(Laptops, 40)


def test_three_laptops_converge_on_postgresql(postgres_url: str) -> None:
    class OnPostgres(Laptops):
        backend = "postgresql"

    OnPostgres.postgres_url = postgres_url
    _run(OnPostgres, 15)
