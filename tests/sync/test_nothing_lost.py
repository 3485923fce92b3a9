"""A busy team with laptops offline: finalising races an edit, the central store refuses work,
a bad record arrives, two laptops make the same reference, a laptop was used before signing in.
Whatever happens, nothing saved is lost and nobody's sync stops.

Real SQLCipher laptops through the real HTTP app, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from keyworker_app.domain.caseload_csv import parse_caseload_csv
from keyworker_app.domain.ids import new_id
from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.server.database import Database
from keyworker_app.server.importing import import_central
from keyworker_app.server.models import Record, ServerAudit
from keyworker_app.server.records import write_record
from keyworker_app.store import lifecycle
from keyworker_app.store.importing import import_caseload
from keyworker_app.store.models import (
    Addendum,
    Contact,
    FormResponse,
    OutboxEntry,
    SetAsideChange,
    Staff,
    SyncConflict,
    Team,
    YoungPerson,
)
from keyworker_app.store.recording import (
    ContactDetails,
    add_contact,
    finalise_contact,
    save_draft,
)
from keyworker_app.sync.client import login, resolve_conflict, sync
from keyworker_app.sync.refused import discard, export_refused, refused_changes, resend
from tests.conftest import FAST_KDF
from tests.sync.conftest import PASSWORD, Laptop, add_people
from tests.sync.test_sync import CASES, notes, person, references, run

WHEN = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def team(central: Database) -> Database:
    add_people(
        central,
        ("kwa1", "keyworker", "A"),
        ("kwa2", "keyworker", "A"),
        ("kwa3", "keyworker", "A"),
        ("kwb1", "keyworker", "B"),
    )
    with central.session() as session, session.begin():
        import_central(session, parse_caseload_csv(CASES.encode(), today=date(2026, 11, 1)))
    return central


def draft(device: Laptop, reference: str, text: str) -> str:
    return add_contact(
        device.store,
        person(device, reference).id,
        ContactDetails(ContactType.HOME_VISIT, text, occurred_at=WHEN),
    ).id


def contact(device: Laptop, contact_id: str) -> Contact:
    with device.store.reading() as session:
        found = session.get(Contact, contact_id)
        assert found is not None
        return found


def edit(device: Laptop, contact_id: str, text: str) -> None:
    save_draft(device.store, contact_id, ContactDetails(ContactType.HOME_VISIT, text, WHEN))


def conflicts(device: Laptop) -> list[SyncConflict]:
    with device.store.reading() as session:
        return list(session.scalars(select(SyncConflict).order_by(SyncConflict.field)))


@pytest.mark.parametrize("finaliser_first", [True, False])
def test_finalising_while_another_laptop_edits_keeps_the_final_note_and_the_edit(
    finaliser_first: bool, team: Database, laptop: Callable[[str], Laptop]
) -> None:
    a1, a2, a3 = laptop("kwa1"), laptop("kwa2"), laptop("kwa3")
    for device in (a1, a2, a3):
        run(device)
    contact_id = draft(a1, "A001", "Visited at home.\nAva was calm.\n")
    run(a1)
    run(a2)
    # Offline: kwa1 finalises what they wrote; kwa2 adds a line to the same draft.
    finalise_contact(a1.store, contact_id)
    edit(a2, contact_id, "Visited at home.\nAva was calm.\nMum mentioned rent arrears.\n")
    order = (a1, a2) if finaliser_first else (a2, a1)
    for device in order:
        run(device)
    for device in (a1, a2, a3):
        run(device)
    for device in (a1, a2, a3):
        final = contact(device, contact_id)
        # Final as its finaliser saw it: the edit was neither merged in nor lost.
        assert (final.status, final.narrative) == ("final", "Visited at home.\nAva was calm.\n")
        assert final.finalised_by == "kwa1"
        [proposal] = conflicts(device)
        assert (proposal.kind, proposal.field, proposal.other_by) == (
            "proposal",
            "narrative",
            "kwa2",
        )
        assert "rent arrears" in proposal.other_value
    # kwa2 adds their line as an addendum; every laptop then has it, the note unchanged.
    resolve_conflict(a2.store, conflicts(a2)[0].id, "addendum", transport=a2.transport)
    for device in (a1, a3):
        run(device)
    for device in (a1, a2, a3):
        assert contact(device, contact_id).narrative == "Visited at home.\nAva was calm.\n"
        with device.store.reading() as session:
            [addendum] = session.scalars(select(Addendum)).all()
        assert addendum.contact_id == contact_id and addendum.author == "kwa2"
        assert "Mum mentioned rent arrears." in addendum.text
        assert "Ava was calm" not in addendum.text  # only what kwa2 added
        assert [c.status for c in conflicts(device)] == ["resolved"]


def test_a_refused_young_person_and_their_notes_stay_on_the_laptop_until_dealt_with(
    team: Database, laptop: Callable[[str], Laptop], tmp_path: Path
) -> None:
    a1 = laptop("kwa1")
    run(a1)
    # A spreadsheet with a typo in the team's name: the laptop makes a team "Team Aa".
    sheet = (
        "reference,given_name,family_name,date_of_birth,team,keyworker\n"
        "A050,Nia,Reed,2009-04-04,Team Aa,kwa1\n"
    )
    import_caseload(a1.store, parse_caseload_csv(sheet.encode()))
    new_person = person(a1, "A050").id
    add_contact(
        a1.store,
        new_person,
        ContactDetails(ContactType.HOME_VISIT, "First visit to Nia.", occurred_at=WHEN),
        finalise=True,
    )
    report = run(a1)
    run(a1)
    assert report.rejected >= 2 and report.not_accepted >= 2
    # Nothing was taken off the laptop: the young person and the finalised note are there.
    assert "A050" in references(a1)
    assert "First visit to Nia." in notes(a1)
    waiting = refused_changes(a1.store)
    about = {(item.record_type, item.reference) for item in waiting}
    assert {("young_person", "A050"), ("contact", "A050")} <= about
    assert all(item.reason for item in waiting)
    # Exported (for whoever sorts it out), then resent once the team is put right.
    out = tmp_path / "refused.json"
    assert export_refused(a1.store, out) == len(waiting)
    exported = json.loads(out.read_text("utf-8"))["refused_changes"]
    assert any(item["sent"].get("narrative") == "First visit to Nia." for item in exported)
    assert out.stat().st_mode & 0o777 == 0o600
    with a1.store.unit_of_work() as uow:
        local_team = uow.session.scalars(select(Team).where(Team.name == "Team Aa")).one()
        central_team = uow.session.scalars(select(Team).where(Team.name == "A")).one()
        nia = uow.session.get(YoungPerson, new_person)
        assert nia is not None
        nia.team_id = central_team.id
        uow.commit()
    assert local_team is not None
    [young_person] = [item for item in waiting if item.record_type == "young_person"]
    assert resend(a1.store, [young_person.number]) >= 2  # their note goes along
    report = run(a1)
    assert report.not_accepted == 1  # only the laptop's own team "Team Aa" is still refused
    a2 = laptop("kwa2")
    run(a2)
    assert "A050" in references(a2) and "First visit to Nia." in notes(a2)
    [team_item] = refused_changes(a1.store)
    assert team_item.record_type == "team"
    assert discard(a1.store, [team_item.number]) == 1
    assert refused_changes(a1.store) == []


def test_a_team_form_reaches_the_team(team: Database, laptop: Callable[[str], Laptop]) -> None:
    from keyworker_app.forms.library import load_library
    from keyworker_app.paths import forms_dir
    from keyworker_app.store.form_responses import start_response

    a1, a2, b1 = laptop("kwa1"), laptop("kwa2"), laptop("kwb1")
    for device in (a1, a2, b1):
        run(device)
    with a1.store.reading() as session:
        me = session.scalars(select(Staff).where(Staff.user_name == "kwa1")).one()
    definition = load_library([forms_dir()]).get("supervision_record", 1)
    assert definition is not None
    form = start_response(a1.store, definition, team_id=me.team_id, answers={"notes": "Team"})
    report = run(a1)
    assert report.rejected == 0 and report.not_accepted == 0
    run(a2)
    run(b1)
    for device, expected in ((a2, True), (b1, False)):
        with device.store.reading() as session:
            assert (session.get(FormResponse, form.id) is not None) is expected


def test_a_record_a_laptop_cannot_apply_is_set_aside_and_the_rest_applies(
    team: Database, laptop: Callable[[str], Laptop]
) -> None:
    a1 = laptop("kwa1")
    run(a1)
    with team.session() as session, session.begin():
        a001 = next(
            r.record_id
            for r in session.scalars(select(Record).where(Record.record_type == "young_person"))
            if r.data["reference"] == "A001"
        )
        # Written on the central store before it checked pushes: a note with a broken date.
        bad_id = new_id()
        write_record(
            session,
            "contact",
            bad_id,
            {
                "young_person_id": a001,
                "occurred_at": "not a date",
                "contact_type": "phone",
                "narrative": "broken",
            },
            actor="kwa2",
        )
        write_record(
            session,
            "contact",
            new_id(),
            {
                "young_person_id": a001,
                "occurred_at": WHEN.isoformat(),
                "contact_type": "phone",
                "narrative": "fine after the broken one",
                "status": "final",
            },
            actor="kwa2",
        )
    report = run(a1)
    assert report.set_aside == 1
    assert "fine after the broken one" in notes(a1)
    with a1.store.reading() as session:
        [aside] = session.scalars(select(SetAsideChange)).all()
    assert aside.record_id == bad_id and "date and time" in aside.reason
    assert aside.reported  # the central store's log was told
    with team.session() as session:
        logged = session.scalars(
            select(ServerAudit).where(ServerAudit.action == "pull_set_aside")
        ).all()
    assert [event.detail["record_id"] for event in logged] == [bad_id]
    assert "broken" not in json.dumps([event.detail for event in logged])
    # A new laptop's first sync goes through too.
    a2 = laptop("kwa2")
    assert run(a2).set_aside == 1 and "fine after the broken one" in notes(a2)


def test_the_same_reference_made_on_two_laptops_stops_nobody_and_is_renamed(
    team: Database, laptop: Callable[[str], Laptop]
) -> None:
    a1, a2, a3 = laptop("kwa1"), laptop("kwa2"), laptop("kwa3")
    for device in (a1, a2, a3):
        run(device)
    sheet = "reference,given_name,family_name,date_of_birth,team\n{ref},{given},Ali,2009-03-03,A\n"
    import_caseload(a1.store, parse_caseload_csv(sheet.format(ref="N100", given="Noor").encode()))
    import_caseload(a2.store, parse_caseload_csv(sheet.format(ref="N100", given="Nadia").encode()))
    add_contact(
        a2.store,
        person(a2, "N100").id,
        ContactDetails(ContactType.PHONE, "Nadia's first call.", occurred_at=WHEN),
        finalise=True,
    )
    run(a1)
    report = run(a2)
    run(a3)
    assert report.rejected >= 1
    assert "N100" in references(a3)
    [arrival] = [i for i in refused_changes(a2.store) if i.record_type == "young_person"]
    assert arrival.code == "duplicate_reference"
    # kwa2's laptop kept Nadia and her note; the central Noor is set aside there meanwhile.
    assert person(a2, "N100").given_name == "Nadia"
    assert "Nadia's first call." in notes(a2)
    resend(a2.store, [arrival.number], {"reference": "N101"})
    run(a2)
    run(a2)
    for device in (a1, a2, a3):
        run(device)
        assert {"N100", "N101"} <= set(references(device))
        assert person(device, "N101").given_name == "Nadia"
        assert person(device, "N100").given_name == "Noor"
    assert "Nadia's first call." in notes(a3)
    with a2.store.reading() as session:
        assert session.scalar(select(func.count()).select_from(SetAsideChange)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 0
    assert refused_changes(a2.store) == []


def test_a_laptop_used_before_signing_in_joins_its_team(
    team: Database,
    service,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    folder = tmp_path / "offline-first"
    store = lifecycle.create_caseload(
        folder, "laptop passphrase words", DeviceSecrets.for_store(folder), kdf=FAST_KDF
    ).store
    try:
        sheet = (
            "reference,given_name,family_name,date_of_birth,team,keyworker\n"
            "A077,Rui,Sousa,2008-07-07,A,kwa1\n"
        )
        import_caseload(store, parse_caseload_csv(sheet.encode()))
        add_contact(
            store,
            _only_person(store),
            ContactDetails(ContactType.PHONE, "Before signing in.", occurred_at=WHEN),
            finalise=True,
        )
        transport = service._transport
        login(store, "https://central.test", "kwa1", PASSWORD, transport=transport)
        report = sync(store, transport=transport)
        assert report.rejected == 0, report.rejections
        with store.reading() as session:
            assert sorted(session.scalars(select(Team.name))) == ["A", "B"]
            [me] = session.scalars(select(Staff).where(Staff.user_name == "kwa1")).all()
            rui = session.scalars(select(YoungPerson).where(YoungPerson.reference == "A077")).one()
            assert (rui.team_id, rui.keyworker_id) == (me.team_id, me.id)
        assert refused_changes(store) == []
        with team.session() as session:
            narratives = {
                r.data.get("narrative")
                for r in session.scalars(select(Record).where(Record.record_type == "contact"))
            }
        assert "Before signing in." in narratives
    finally:
        store.close()


def _only_person(store) -> str:  # type: ignore[no-untyped-def]
    with store.reading() as session:
        return session.scalars(select(YoungPerson.id)).one()


def test_a_contact_from_a_laptop_with_a_fast_clock_waits_to_be_corrected(
    team: Database, laptop: Callable[[str], Laptop]
) -> None:
    a1 = laptop("kwa1")
    run(a1)
    future = datetime.now(UTC) + timedelta(minutes=4)  # within the laptop's own grace
    contact_id = add_contact(
        a1.store,
        person(a1, "A001").id,
        ContactDetails(ContactType.PHONE, "Called Ava.", occurred_at=future),
        finalise=True,
    ).id
    # The central store's clock is behind by days (as if the laptop were days fast).
    with a1.store.unit_of_work() as uow:
        found = uow.session.get(Contact, contact_id)
        assert found is not None
        uow.allow_correction(found)
        found.occurred_at = future + timedelta(days=3)
        uow.commit()
    run(a1)
    [item] = refused_changes(a1.store)
    assert item.code == "clock" and "clock" in item.reason
    resend(a1.store, [item.number], {"occurred_at": WHEN.isoformat()})
    assert run(a1).rejected == 0
    assert refused_changes(a1.store) == []
    assert contact(a1, contact_id).occurred_at == WHEN


def test_the_command_line_shows_what_was_not_accepted_and_deals_with_it(
    team: Database,
    laptop: Callable[[str], Laptop],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from keyworker_app.cli import main

    a1 = laptop("kwa1")
    run(a1)
    future = datetime.now(UTC) + timedelta(days=3)
    contact_id = draft(a1, "A001", "Written on a laptop three days fast.")
    with a1.store.unit_of_work() as uow:
        found = uow.session.get(Contact, contact_id)
        assert found is not None
        found.occurred_at = future
        uow.commit()
    run(a1)
    monkeypatch.setenv("KEYWORKER_PASSPHRASE", "laptop passphrase words")
    folder = str(a1.store.data_dir)
    capsys.readouterr()
    assert main(["--data-dir", folder, "refused"]) == 0
    listing = capsys.readouterr().out
    assert "new contact for A001" in listing and "clock" in listing
    assert "1 change not accepted by the central store" in listing
    assert main(["--data-dir", folder, "refused", "--json"]) == 0
    [item] = json.loads(capsys.readouterr().out)["refused"]
    assert (item["code"], item["young_person"]) == ("clock", "A001")
    out = tmp_path / "refused.json"
    assert main(["--data-dir", folder, "refused", "export", str(out)]) == 0
    assert "Written on a laptop three days fast." in out.read_text("utf-8")
    # A wrong field is one sentence and exit 1; a correct one puts it back in the outbox.
    assert main(["--data-dir", folder, "refused", "resend", "1", "--set", "author=x"]) == 1
    assert "cannot be corrected" in capsys.readouterr().err
    number = str(item["number"])
    when = WHEN.isoformat()
    assert (
        main(["--data-dir", folder, "refused", "resend", number, "--set", f"occurred_at={when}"])
        == 0
    )
    assert "1 change will be sent" in capsys.readouterr().out
    assert run(a1).rejected == 0
    assert contact(a1, contact_id).occurred_at == WHEN
    assert main(["--data-dir", folder, "refused", "discard", "99"]) == 1
    assert "no refused change number 99" in capsys.readouterr().err


class MeasuredNetwork(httpx.BaseTransport):
    """The real HTTP app; the size of every push on the way."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.push_sizes: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/sync/push":
            self.push_sizes.append(len(request.read()))
        return self.inner.handle_request(request)


def test_pushes_are_split_to_fit_the_central_stores_limit_and_an_oversized_change_is_kept(
    team: Database, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from keyworker_app.server.app import create_app

    limit = 256 * 1024
    with TestClient(
        create_app(team, max_body_bytes=limit), base_url="https://central.test"
    ) as client:
        transport = MeasuredNetwork(client._transport)
        sizes = transport.push_sizes
        folder = tmp_path / "laptop"
        store = lifecycle.create_caseload(
            folder, "laptop passphrase words", DeviceSecrets.for_store(folder), kdf=FAST_KDF
        ).store
        try:
            login(store, "https://central.test", "kwa1", PASSWORD, transport=transport)
            sync(store, transport=transport)
            with store.reading() as session:
                ava = session.scalars(
                    select(YoungPerson).where(YoungPerson.reference == "A001")
                ).one()
            page = "A long visit note line.\n" * 1500  # about 36 KB each
            for n in range(20):
                add_contact(
                    store,
                    ava.id,
                    ContactDetails(ContactType.HOME_VISIT, f"Visit {n}\n{page}", occurred_at=WHEN),
                    finalise=True,
                )
            huge = "An enormous note.\n" * 20000  # about 360 KB: over the limit on its own
            add_contact(
                store,
                ava.id,
                ContactDetails(ContactType.PHONE, huge, occurred_at=WHEN),
                finalise=True,
            )
            report = sync(store, transport=transport)
            assert report.accepted >= 20 and report.rejected == 1
            assert len(sizes) >= 3 and max(sizes) <= limit
            [kept] = refused_changes(store)
            assert kept.code == "too_large" and "too large to send" in kept.reason
            with store.reading() as session:
                assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 0
            with team.session() as session:
                sent = session.scalars(select(Record).where(Record.record_type == "contact")).all()
            assert len({r.data["narrative"].split("\n")[0] for r in sent}) == 20
        finally:
            store.close()


def test_an_administrator_merges_two_records_of_one_young_person(
    team: Database,
    laptop: Callable[[str], Laptop],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from keyworker_app.server import cli as server_cli

    sheet = (
        "reference,given_name,family_name,date_of_birth,team\n{ref},Noor,Ali,2009-03-03,{team}\n"
    )
    with team.session() as session, session.begin():
        for ref, team_name in (("N100", "A"), ("N100-B", "A"), ("N200", "B")):
            import_central(
                session, parse_caseload_csv(sheet.format(ref=ref, team=team_name).encode())
            )
    a1, a2 = laptop("kwa1"), laptop("kwa2")
    run(a1)
    run(a2)
    add_contact(
        a1.store,
        person(a1, "N100-B").id,
        ContactDetails(ContactType.PHONE, "Noor's call, on the duplicate.", occurred_at=WHEN),
        finalise=True,
    )
    run(a1)
    where = (
        ["--database", team.url]
        if team.url.startswith("postgresql")
        else [
            "--data-dir",
            str(Path(team.url.removeprefix("sqlite:///")).parent),
        ]
    )
    capsys.readouterr()
    assert server_cli.main([*where, "merge", "N100", "N200"]) == 1
    assert "different teams" in capsys.readouterr().err
    assert server_cli.main([*where, "merge", "N100", "N100-B"]) == 0
    assert "Merged N100-B into N100: 1 record moved" in capsys.readouterr().out
    for device in (a1, a2):
        run(device)
        with device.store.reading() as session:
            people = {p.reference: p for p in session.scalars(select(YoungPerson)) if not p.deleted}
            [call] = session.scalars(
                select(Contact).where(Contact.narrative == "Noor's call, on the duplicate.")
            ).all()
        assert "N100-B" not in people and call.young_person_id == people["N100"].id
    # The duplicate's reference is free again on the central store.
    with team.session() as session, session.begin():
        again = import_central(
            session, parse_caseload_csv(sheet.format(ref="N100-B", team="A").encode())
        )
    assert again.created == 1
