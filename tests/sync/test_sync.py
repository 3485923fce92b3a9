"""Sync between laptops through a real central store, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from keyworker_app.domain.caseload_csv import parse_caseload_csv
from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.server.database import Database
from keyworker_app.server.importing import import_central
from keyworker_app.server.models import AppliedOp, Conflict, Restriction, ServerAudit
from keyworker_app.store.models import Contact, OutboxEntry, Referral, SyncConflict, YoungPerson
from keyworker_app.store.recording import ContactDetails, add_contact, update_young_person
from keyworker_app.sync.client import DeviceWiped, SyncError, resolve_conflict, sync
from tests.sync.conftest import Laptop, add_people

CASES = (
    "reference,given_name,family_name,date_of_birth,team,keyworker,school,referral_date,risk_category\n"
    "A001,Ava,Stone,2008-01-01,A,kwa1,Oak High,2024-01-01,other\n"
    "A002,Ben,Hart,2009-02-02,A,kwa2,Oak High,2024-02-02,other\n"
    "B001,Eve,Moss,2008-05-05,B,kwb1,Ash School,2024-03-03,other\n"
)


@pytest.fixture
def teams(central: Database) -> Database:
    add_people(
        central,
        ("kwa1", "keyworker", "A"),
        ("kwa2", "keyworker", "A"),
        ("sva", "supervisor", "A"),
        ("kwb1", "keyworker", "B"),
        ("admin1", "admin", None),
    )
    with central.session() as session, session.begin():
        import_central(session, parse_caseload_csv(CASES.encode(), today=date(2026, 11, 1)))
    return central


def references(device: Laptop) -> list[str]:
    with device.store.reading() as session:
        return sorted(session.scalars(select(YoungPerson.reference)))


def person(device: Laptop, reference: str) -> YoungPerson:
    with device.store.reading() as session:
        return session.scalars(select(YoungPerson).where(YoungPerson.reference == reference)).one()


def note(device: Laptop, reference: str, text: str) -> None:
    add_contact(
        device.store,
        person(device, reference).id,
        ContactDetails(ContactType.PHONE, text, occurred_at=datetime(2026, 10, 1, tzinfo=UTC)),
        finalise=True,
    )


def notes(device: Laptop) -> set[str]:
    with device.store.reading() as session:
        return set(session.scalars(select(Contact.narrative)))


def run(device: Laptop):  # type: ignore[no-untyped-def]
    return sync(device.store, transport=device.transport)


def test_each_team_sees_only_its_young_people(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    a, b, admin = laptop("kwa1"), laptop("kwb1"), laptop("admin1")
    for device in (a, b, admin):
        run(device)
    assert references(a) == ["A001", "A002"]
    assert references(b) == ["B001"]
    assert references(admin) == []  # admins manage accounts and see no case data


def test_offline_edits_on_two_laptops_keep_every_contact_and_show_the_clash_to_both(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    a1, a2 = laptop("kwa1"), laptop("kwa2")
    run(a1)
    run(a2)
    note(a1, "A001", "alpha visit heron")
    note(a2, "A001", "beta call kestrel")
    update_young_person(a1.store, person(a1, "A001").id, {"school": "Alpha College"})
    update_young_person(
        a2.store, person(a2, "A001").id, {"school": "Beta College", "first_language": "Polish"}
    )
    first = run(a1)
    second = run(a2)
    assert (first.conflicts, second.conflicts) == (0, 1)
    run(a1)
    for device in (a1, a2):
        assert {"alpha visit heron", "beta call kestrel"} <= notes(device)
        with device.store.reading() as session:
            [clash] = session.scalars(select(SyncConflict)).all()
            assert (clash.field, clash.kept_value, clash.other_value) == (
                "school",
                "Alpha College",
                "Beta College",
            )
            assert (clash.kept_by, clash.other_by, clash.status) == ("kwa1", "kwa2", "open")
            assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 0
    # The first accepted value stands; the field nobody else touched merged in.
    assert person(a2, "A001").school == "Alpha College"
    assert person(a1, "A001").first_language == "Polish"
    # kwa2 resolves it in their favour; both laptops then agree and the conflict is closed.
    resolve_conflict(a2.store, clash.id, "mine", transport=a2.transport)
    run(a1)
    for device in (a1, a2):
        assert person(device, "A001").school == "Beta College"
        with device.store.reading() as session:
            assert session.scalars(select(SyncConflict.status)).all() == ["resolved"]


def test_long_text_merges_by_line_and_overlapping_edits_conflict(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    a1, a2 = laptop("kwa1"), laptop("kwa2")
    run(a1)
    with a1.store.unit_of_work() as uow:
        referral = uow.session.scalars(
            select(Referral).where(Referral.young_person_id == person(a1, "A001").id)
        ).one()
        referral.reason = "Line one\nLine two\nLine three\n"
        uow.commit()
    run(a1)
    run(a2)
    for device, old, new in ((a1, "Line one", "Line ONE"), (a2, "Line three", "Line THREE")):
        with device.store.unit_of_work() as uow:
            referral = uow.session.scalars(
                select(Referral).where(Referral.young_person_id == person(device, "A001").id)
            ).one()
            referral.reason = referral.reason.replace(old, new)
            uow.commit()
    run(a1)
    report = run(a2)
    run(a1)
    assert report.conflicts == 0
    for device in (a1, a2):
        with device.store.reading() as session:
            assert (
                session.scalars(
                    select(Referral.reason).where(
                        Referral.young_person_id == person(device, "A001").id
                    )
                ).one()
                == "Line ONE\nLine two\nLine THREE\n"
            )


def test_a_repeated_push_is_applied_once(teams: Database, laptop: Callable[[str], Laptop]) -> None:
    a1 = laptop("kwa1")
    run(a1)
    note(a1, "A001", "once only")
    with a1.store.reading() as session:
        ops = session.scalar(select(func.count()).select_from(OutboxEntry))
    from keyworker_app.sync.client import Connection, SyncReport, _squash, push_outbox
    from keyworker_app.sync.protocol import PushRequest

    connection = Connection(a1.store, transport=a1.transport)
    connection.refresh()
    with a1.store.reading() as session:
        entries = list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))
    request = PushRequest(ops=[op for op, _ in _squash(entries)])
    first = connection.push(request)  # the answer is "lost": the laptop never hears it
    push_outbox(a1.store, connection, SyncReport())  # and retries
    connection.close()
    assert ops and all(r.status == "accepted" for r in first.results)
    with teams.session() as session:
        assert session.scalar(select(func.count()).select_from(AppliedOp)) == len(request.ops)
    a2 = laptop("kwa2")
    run(a2)
    assert sorted(n for n in notes(a2) if n == "once only") == ["once only"]


def test_writing_to_another_teams_young_person_is_refused_and_audited(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    a1, b1 = laptop("kwa1"), laptop("kwb1")
    run(a1)
    run(b1)
    with b1.store.unit_of_work() as uow:  # forge a contact about team A's young person
        uow.add(
            Contact(
                young_person_id=person(b1, "B001").id,
                occurred_at=datetime(2026, 10, 2, tzinfo=UTC),
                contact_type=ContactType.PHONE,
                narrative="fine",
            )
        )
        uow.commit()
    with b1.store.reading() as session:
        entry = session.scalars(select(OutboxEntry)).first()
    assert entry is not None
    with b1.store.unit_of_work(record_outbox=False) as uow:
        uow.session.execute(
            OutboxEntry.__table__.update().values(
                patch={**entry.patch, "young_person_id": person(a1, "A001").id}
            )
        )
        uow.commit()
    report = run(b1)
    assert report.rejected == 1 and "may not see" in report.rejections[0]
    with teams.session() as session:
        assert session.scalars(
            select(ServerAudit.action).where(ServerAudit.action == "push_rejected")
        ).all() == ["push_rejected"]


def test_losing_access_takes_the_young_person_off_the_laptop(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    a1, a2 = laptop("kwa1"), laptop("kwa2")
    run(a1)
    run(a2)
    assert "A001" in references(a2)
    with teams.session() as session, session.begin():
        session.add(Restriction(young_person_id=person(a1, "A001").id, user_name="kwa1"))
    report = run(a2)
    assert report.removed == 1
    assert references(a2) == ["A002"]
    assert references(a1) == ["A001", "A002"]
    with teams.session() as session, session.begin():
        session.query(Restriction).delete()
    run(a2)
    assert references(a2) == ["A001", "A002"]  # given back when the restriction is lifted


def test_a_revoked_laptop_is_wiped_at_its_next_sync(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    from keyworker_app.server import accounts

    a1 = laptop("kwa1")
    run(a1)
    folder = a1.store.data_dir
    with teams.session() as session, session.begin():
        accounts.revoke_device(session, a1.store.device_id)
    with pytest.raises(DeviceWiped, match="wiped"):
        run(a1)
    assert not any(folder.rglob("*.db")) and not (folder / "keys.json").exists()


def test_a_wrong_password_is_refused_and_throttled(
    teams: Database, laptop: Callable[[str], Laptop], service
) -> None:  # type: ignore[no-untyped-def]
    body = {"user": "kwa1", "password": "nope nope nope", "device_id": "d1"}
    codes = [service.post("/v1/auth/login", json=body).status_code for _ in range(7)]
    assert codes[:5] == [401] * 5
    right = service.post("/v1/auth/login", json={**body, "password": "sync test password 1"})
    assert right.status_code == 401 and "Too many" in right.json()["detail"]


def test_sync_without_a_server_keeps_everything(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    a1 = laptop("kwa1")
    run(a1)
    note(a1, "A001", "written offline")
    import httpx

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no network", request=request)

    with pytest.raises(SyncError, match="kept"):
        sync(a1.store, transport=httpx.MockTransport(refuse))
    with a1.store.reading() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) > 0
    run(a1)
    a2 = laptop("kwa2")
    run(a2)
    assert "written offline" in notes(a2)


def test_two_server_processes_serve_one_database(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    """No state lives in a server process: laptops on different servers see one store."""
    from fastapi.testclient import TestClient

    from keyworker_app.server.app import create_app
    from keyworker_app.server.database import open_database

    second = open_database(teams.url) if not teams.url.startswith("sqlite") else teams
    a1, a2 = laptop("kwa1"), laptop("kwa2")
    with TestClient(create_app(second), base_url="https://central.test") as other_server:
        a2.client = other_server
        run(a1)
        run(a2)
        note(a1, "A001", "via server one")
        note(a2, "A002", "via server two")
        run(a1)
        run(a2)
        run(a1)
    assert {"via server one", "via server two"} <= notes(a1)
    assert {"via server one", "via server two"} <= notes(a2)
    if second is not teams:
        second.dispose()


def test_a_lost_answer_then_a_later_edit_of_the_same_field_is_not_a_conflict(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    """The store applied a change but the laptop never heard; the laptop then changes the same
    field again. Its own earlier change is not someone else's: the latest value stands."""
    import httpx

    a1 = laptop("kwa1")
    run(a1)
    update_young_person(a1.store, person(a1, "A001").id, {"school": "First College"})
    calls = 0

    def answer_lost_on_push(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        response = a1.transport.handle_request(request)
        response.read()
        if request.url.path.endswith("/push"):
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    with pytest.raises(SyncError, match="did not answer"):
        sync(a1.store, transport=httpx.MockTransport(answer_lost_on_push))
    update_young_person(a1.store, person(a1, "A001").id, {"school": "Second College"})
    report = run(a1)
    assert report.conflicts == 0 and report.open_conflicts == 0
    a2 = laptop("kwa2")
    run(a2)
    assert person(a2, "A001").school == "Second College"
    with teams.session() as session:
        assert session.scalar(select(func.count()).select_from(Conflict)) == 0


def test_a_lost_refresh_answer_does_not_sign_the_laptop_out(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    import httpx

    a1 = laptop("kwa1")

    def answer_lost_on_refresh(request: httpx.Request) -> httpx.Response:
        a1.transport.handle_request(request).read()
        raise httpx.ReadTimeout("the answer was lost", request=request)

    with pytest.raises(SyncError, match="did not answer"):
        sync(a1.store, transport=httpx.MockTransport(answer_lost_on_refresh))
    assert references(a1) == []
    run(a1)  # the token it still holds works
    assert references(a1) == ["A001", "A002"]


def test_an_access_token_that_runs_out_mid_sync_is_renewed(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    from datetime import timedelta

    from keyworker_app.server.models import Token
    from keyworker_app.sync.client import Connection
    from keyworker_app.sync.protocol import PullRequest

    a1 = laptop("kwa1")
    connection = Connection(a1.store, transport=a1.transport)
    connection.refresh()
    with teams.session() as session, session.begin():
        session.execute(
            Token.__table__.update()
            .where(Token.kind == "access")
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    page = connection.pull(PullRequest(cursor=0, limit=100))
    connection.close()
    assert {c.data.get("reference") for c in page.changes} >= {"A001", "A002"}


def test_a_pull_of_many_pages_brings_everything_in_order(
    teams: Database, laptop: Callable[[str], Laptop], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages are fetched one ahead while the previous one is written; all of them arrive."""
    import keyworker_app.sync.client as client

    a1 = laptop("kwa1")
    run(a1)
    for n in range(7):
        note(a1, "A001" if n % 2 else "A002", f"paged note {n}")
    run(a1)
    monkeypatch.setattr(client, "PAGE", 2)
    a2 = laptop("kwa2")
    run(a2)
    assert {f"paged note {n}" for n in range(7)} <= notes(a2)
    assert references(a2) == ["A001", "A002"]
    with a2.store.reading() as session:
        from keyworker_app.store.models import StoreSetting
        from keyworker_app.sync.replica import CURSOR

        cursor = int(session.get(StoreSetting, CURSOR).value)
    with teams.session() as session:
        from keyworker_app.server.models import ChangeEntry

        assert cursor == session.scalar(select(func.max(ChangeEntry.seq)))


def test_a_clash_names_who_wrote_the_field_not_who_last_touched_the_record(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    """kwa1 changes the school, then the supervisor changes another field of the same young
    person; kwa2, offline since before both, changes the school too. The value that stands was
    written by kwa1, so the clash must say kwa1, not the supervisor who touched the record last."""
    a1, a2, sv = laptop("kwa1"), laptop("kwa2"), laptop("sva")
    for device in (a1, a2, sv):
        run(device)
    update_young_person(a1.store, person(a1, "A001").id, {"school": "Alpha College"})
    run(a1)
    run(sv)
    update_young_person(sv.store, person(sv, "A001").id, {"first_language": "Welsh"})
    run(sv)
    update_young_person(a2.store, person(a2, "A001").id, {"school": "Beta College"})
    assert run(a2).conflicts == 1
    with a2.store.reading() as session:
        [clash] = session.scalars(select(SyncConflict)).all()
    assert (clash.field, clash.kept_value, clash.other_value) == (
        "school",
        "Alpha College",
        "Beta College",
    )
    assert (clash.kept_by, clash.other_by) == ("kwa1", "kwa2")
    assert person(a2, "A001").first_language == "Welsh"


def test_a_new_contact_whose_answer_was_lost_keeps_the_edits_made_after(
    teams: Database, laptop: Callable[[str], Laptop]
) -> None:
    """The store took the new contact but the laptop never heard; the keyworker then finishes
    the note and finalises it. The next push sends the insert again with the later edits in it:
    the store must keep the edits, not answer "already applied" and drop them."""
    import httpx

    from keyworker_app.store.recording import finalise_contact, save_draft

    a1 = laptop("kwa1")
    run(a1)
    draft = ContactDetails(
        ContactType.HOME_VISIT, "first words", occurred_at=datetime(2026, 10, 2, tzinfo=UTC)
    )
    contact = add_contact(a1.store, person(a1, "A001").id, draft)

    def answer_lost_on_push(request: httpx.Request) -> httpx.Response:
        response = a1.transport.handle_request(request)
        response.read()
        if request.url.path.endswith("/push"):
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    with pytest.raises(SyncError, match="did not answer"):
        sync(a1.store, transport=httpx.MockTransport(answer_lost_on_push))
    draft.narrative = "first words, then the whole visit written up"
    save_draft(a1.store, contact.id, draft)
    finalise_contact(a1.store, contact.id)
    run(a1)
    a2 = laptop("kwa2")
    run(a2)
    with a2.store.reading() as session:
        [kept] = session.scalars(select(Contact).where(Contact.id == contact.id)).all()
        assert kept.narrative == "first words, then the whole visit written up"
        assert kept.status.value == "final"
    with a1.store.reading() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 0
