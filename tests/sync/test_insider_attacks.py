"""An insider with the API and a script: a signed-in keyworker of one team pushing by hand what
the app would never send. Each attack here got through before the central store checked every
push against the declared schema; now each is refused with a reason and changes nothing.

Runs on SQLite and on a real PostgreSQL (the ``central`` fixture).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from keyworker_app.domain.caseload_csv import parse_caseload_csv
from keyworker_app.domain.ids import new_id
from keyworker_app.forms.library import load_library
from keyworker_app.paths import forms_dir
from keyworker_app.server.database import Database
from keyworker_app.server.importing import import_central
from keyworker_app.server.models import Record, Restriction, ServerAudit
from tests.sync.conftest import PASSWORD, add_people

CASES = (
    "reference,given_name,family_name,date_of_birth,team,keyworker,school,referral_date,"
    "risk_category\n"
    "A001,Ava,Stone,2008-01-01,A,kwa1,Oak High,2024-01-01,other\n"
    "A002,Ben,Hart,2009-02-02,A,kwa2,Oak High,2024-02-02,other\n"
    "B001,Eve,Moss,2008-05-05,B,kwb1,Ash School,2024-03-03,other\n"
    "B002,Kit,Lane,2008-06-06,B,kwb1,Ash School,2024-03-03,other\n"
)
MOMENT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC).isoformat()


@pytest.fixture
def api(central: Database, service: TestClient) -> TestClient:
    add_people(
        central,
        ("kwa1", "keyworker", "A"),
        ("kwa2", "keyworker", "A"),
        ("sva", "supervisor", "A"),
        ("kwb1", "keyworker", "B"),
    )
    with central.session() as session, session.begin():
        import_central(session, parse_caseload_csv(CASES.encode(), today=date(2026, 11, 1)))
        session.add(Restriction(young_person_id=_id(session, "B002"), user_name="kwb1"))
    return service


def _id(session: Any, reference: str) -> str:
    for record in session.scalars(select(Record).where(Record.record_type == "young_person")):
        if record.data["reference"] == reference:
            return record.record_id
    raise AssertionError(reference)


def ids(central: Database) -> dict[str, str]:
    with central.session() as session:
        return {ref: _id(session, ref) for ref in ("A001", "A002", "B001", "B002")}


def sign_in(api: TestClient, user: str) -> dict[str, str]:
    response = api.post(
        "/v1/auth/login", json={"user": user, "password": PASSWORD, "device_id": new_id()}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def push(api: TestClient, headers: dict[str, str], *ops: dict[str, Any]) -> list[dict[str, Any]]:
    response = api.post("/v1/sync/push", json={"ops": list(ops)}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def op(
    record_type: str,
    record_id: str,
    patch: dict[str, Any],
    *,
    operation: str = "insert",
    base_version: int = 0,
) -> dict[str, Any]:
    return {
        "op_id": new_id(),
        "record_type": record_type,
        "record_id": record_id,
        "operation": operation,
        "base_version": base_version,
        "patch": patch,
    }


def pulled(api: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = api.post("/v1/sync/pull", json={"cursor": 0, "limit": 2000}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["changes"]


def record(central: Database, record_type: str, record_id: str) -> dict[str, Any]:
    with central.session() as session:
        found = session.get(Record, (record_type, record_id))
        assert found is not None
        return dict(found.data)


def an_action(api: TestClient, headers: dict[str, str], young_person_id: str, text: str) -> str:
    action_id = new_id()
    [result] = push(
        api,
        headers,
        op(
            "action",
            action_id,
            {
                "young_person_id": young_person_id,
                "source": "manual",
                "description": text,
                "status": "open",
            },
        ),
    )
    assert result["status"] == "accepted", result
    return action_id


@pytest.mark.parametrize(
    "target",
    ["another team's young person", "a restricted young person", "no young person"],
)
def test_a_record_cannot_be_moved_to_another_young_person_or_team(
    target: str, central: Database, api: TestClient
) -> None:
    people = ids(central)
    amir = sign_in(api, "kwa1")
    action_id = an_action(api, amir, people["A001"], "Worker to follow up disclosed worry")
    moved_to = {
        "another team's young person": people["B001"],
        "a restricted young person": people["B002"],
        "no young person": None,
    }[target]
    [result] = push(
        api,
        amir,
        op(
            "action",
            action_id,
            {"young_person_id": moved_to, "description": "INJECTED BY AMIR INTO TEAM B"},
            operation="update",
            base_version=1,
        ),
    )
    assert result["status"] == "rejected"
    assert "cannot be moved" in result["reason"]
    assert result["current"]["data"]["young_person_id"] == people["A001"]  # put back as it is
    stored = record(central, "action", action_id)
    assert stored["young_person_id"] == people["A001"]
    assert stored["description"] == "Worker to follow up disclosed worry"
    bob = sign_in(api, "kwb1")
    assert all("INJECTED" not in str(c["data"]) for c in pulled(api, bob))
    assert action_id not in {c["record_id"] for c in pulled(api, bob)}


def test_a_case_cannot_be_moved_to_another_team_by_a_push(
    central: Database, api: TestClient
) -> None:
    people = ids(central)
    amir = sign_in(api, "kwa1")
    with central.session() as session:
        team_b = session.get(Record, ("young_person", people["B001"])).team_id  # type: ignore[union-attr]
    [result] = push(
        api,
        amir,
        op("young_person", people["A001"], {"team_id": team_b}, operation="update", base_version=1),
    )
    assert result["status"] == "rejected"
    assert "moves to another team only through a supervisor" in result["reason"]
    bob = sign_in(api, "kwb1")
    assert people["A001"] not in {c["record_id"] for c in pulled(api, bob)}


def test_a_new_record_takes_its_author_and_finalisation_from_the_session(
    central: Database, api: TestClient
) -> None:
    people = ids(central)
    amir = sign_in(api, "kwa1")
    contact_id = new_id()
    [result] = push(
        api,
        amir,
        op(
            "contact",
            contact_id,
            {
                "young_person_id": people["A001"],
                "occurred_at": MOMENT,
                "contact_type": "phone",
                "narrative": "A call about school.",
                "status": "final",
                "author": "sva",
                "finalised_by": "sva",
                "finalised_at": "2020-01-01T00:00:00+00:00",
            },
        ),
    )
    assert result["status"] == "accepted"
    stored = record(central, "contact", contact_id)
    assert (stored["author"], stored["finalised_by"]) == ("kwa1", "kwa1")
    finalised = datetime.fromisoformat(stored["finalised_at"])
    assert abs(finalised - datetime.now(UTC)) < timedelta(minutes=5)  # the central store's time


def test_a_finalised_contact_cannot_be_rewritten_through_the_api(
    central: Database, api: TestClient
) -> None:
    people = ids(central)
    amir, ben = sign_in(api, "kwa1"), sign_in(api, "kwa2")
    contact_id = new_id()
    push(
        api,
        amir,
        op(
            "contact",
            contact_id,
            {
                "young_person_id": people["A001"],
                "occurred_at": MOMENT,
                "contact_type": "home_visit",
                "narrative": "What Amir wrote.",
                "status": "final",
            },
        ),
    )
    # Author and finaliser cannot be changed at all; the note becomes a proposal, not an edit.
    [author] = push(
        api,
        ben,
        op("contact", contact_id, {"author": "kwa2"}, operation="update", base_version=1),
    )
    assert author["status"] == "rejected" and "author" in author["reason"]
    [rewrite] = push(
        api,
        ben,
        op(
            "contact",
            contact_id,
            {"narrative": "What Ben says happened.", "finalised_by": "kwa2", "status": "draft"},
            operation="update",
            base_version=1,
        ),
    )
    assert rewrite["status"] == "conflict"
    stored = record(central, "contact", contact_id)
    assert stored["narrative"] == "What Amir wrote."
    assert (stored["status"], stored["author"], stored["finalised_by"]) == ("final", "kwa1", "kwa1")
    body = api.post("/v1/sync/pull", json={"cursor": 0, "limit": 2000}, headers=ben).json()
    proposals = [c for c in body["conflicts"] if c["record_id"] == contact_id]
    assert {(c["kind"], c["field"], c["other_value"], c["other_by"]) for c in proposals} >= {
        ("proposal", "narrative", "What Ben says happened.", "kwa2")
    }


def test_only_named_roles_publish_a_template_and_a_published_version_never_changes(
    central: Database, api: TestClient
) -> None:
    library = load_library([forms_dir()])
    shipped = library.templates[("safety_plan", 1)].definition.as_json()
    planted = {**shipped, "title": "Planted plan", "version": 1}
    bob = sign_in(api, "kwb1")
    [refused] = push(
        api,
        bob,
        op(
            "form_template",
            new_id(),
            {
                "template_id": "safety_plan",
                "template_version": 1,
                "title": "Planted plan",
                "definition": planted,
            },
        ),
    )
    assert refused["status"] == "rejected"
    assert "publish" in refused["reason"]
    # The template as Keyworker ships it is accepted from anyone.
    [accepted] = push(
        api,
        bob,
        op(
            "form_template",
            new_id(),
            {
                "template_id": "safety_plan",
                "template_version": 1,
                "title": shipped["title"],
                "definition": shipped,
            },
        ),
    )
    assert accepted["status"] == "accepted"
    # Once published, even a supervisor cannot change that version.
    [changed] = push(
        api,
        sign_in(api, "sva"),
        op(
            "form_template",
            new_id(),
            {
                "template_id": "safety_plan",
                "template_version": 1,
                "title": "Planted plan",
                "definition": planted,
            },
        ),
    )
    assert changed["status"] == "rejected" and "new version" in changed["reason"]
    templates = [
        c for c in pulled(api, sign_in(api, "kwa1")) if c["record_type"] == "form_template"
    ]
    assert [t["data"]["title"] for t in templates] == [shipped["title"]]


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"occurred_at": "not a date"}, "time of the contact must be a date and time"),
        ({"contact_type": "seance"}, "is not a known contact type"),
        ({"occurred_at": None}, "time of the contact"),
        ({"worries": ["self_harm", "gossip"]}, "is not a known entry"),
        ({"narrative": 12}, "must be text"),
        ({"narrative": "x" * 1_000_001}, "longer than"),
        ({"duration_minutes": 99999}, "must be from"),
        ({"unknown_field": 1}, "has no field"),
    ],
)
def test_a_record_that_does_not_fit_its_schema_is_refused_and_the_rest_applies(
    patch: dict[str, Any], reason: str, central: Database, api: TestClient
) -> None:
    people = ids(central)
    amir = sign_in(api, "kwa1")
    good = {
        "young_person_id": people["A001"],
        "occurred_at": MOMENT,
        "contact_type": "phone",
        "narrative": "fine",
    }
    bad_id, fine_id = new_id(), new_id()
    bad, fine = push(
        api, amir, op("contact", bad_id, {**good, **patch}), op("contact", fine_id, good)
    )
    assert bad["status"] == "rejected" and reason in bad["reason"], bad
    assert fine["status"] == "accepted"
    changes = {c["record_id"] for c in pulled(api, sign_in(api, "kwa2"))}
    assert fine_id in changes and bad_id not in changes
    with central.session() as session:
        assert session.get(Record, ("contact", bad_id)) is None
        logged = session.scalars(
            select(ServerAudit).where(ServerAudit.action == "push_rejected")
        ).all()
        assert [event.detail["record_id"] for event in logged] == [bad_id]


def test_an_action_owner_must_be_a_worker_on_the_central_store(
    central: Database, api: TestClient
) -> None:
    people = ids(central)
    [result] = push(
        api,
        sign_in(api, "kwa1"),
        op(
            "action",
            new_id(),
            {
                "young_person_id": people["A001"],
                "source": "manual",
                "description": "Phone school",
                "owner_id": new_id(),
            },
        ),
    )
    assert result["status"] == "rejected"
    assert "not a worker on the central store" in result["reason"]


def test_a_contact_dated_after_the_central_stores_clock_is_refused_naming_the_clock(
    central: Database, api: TestClient
) -> None:
    people = ids(central)
    ahead = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    [result] = push(
        api,
        sign_in(api, "kwa1"),
        op(
            "contact",
            new_id(),
            {
                "young_person_id": people["A001"],
                "occurred_at": ahead,
                "contact_type": "phone",
                "narrative": "From a laptop three days fast.",
            },
        ),
    )
    assert result["status"] == "rejected" and result["code"] == "clock"
    assert "3 days after the central store's time" in result["reason"]
    assert "laptop's clock" in result["reason"]


@pytest.mark.parametrize("reference", ["A\u202e900", "A9\u0000", "A\u200b901", "A\u2066902\u2069"])
def test_a_reference_with_hidden_characters_is_refused(
    reference: str, central: Database, api: TestClient
) -> None:
    [result] = push(
        api,
        sign_in(api, "kwa1"),
        op(
            "young_person",
            new_id(),
            {
                "reference": reference,
                "given_name": "Ava",
                "family_name": "Stone",
                "date_of_birth": "2008-01-01",
            },
        ),
    )
    assert result["status"] == "rejected"
    assert "reference holds" in result["reason"]


def test_a_reference_is_claimed_once_on_the_central_store(
    central: Database, api: TestClient
) -> None:
    amir, bob = sign_in(api, "kwa1"), sign_in(api, "kwb1")
    person = {"given_name": "Noor", "family_name": "Ali", "date_of_birth": "2009-03-03"}
    first, second = new_id(), new_id()
    [accepted] = push(api, amir, op("young_person", first, {"reference": "N100", **person}))
    [refused] = push(api, bob, op("young_person", second, {"reference": "n100 ", **person}))
    assert accepted["status"] == "accepted"
    assert refused["status"] == "rejected" and refused["code"] == "duplicate_reference"
    # A rename onto a claimed reference is refused too; a free one is taken.
    [renamed] = push(
        api,
        amir,
        op("young_person", first, {"reference": "A001"}, operation="update", base_version=1),
    )
    assert renamed["code"] == "duplicate_reference"
    [free] = push(api, bob, op("young_person", second, {"reference": "N101", **person}))
    assert free["status"] == "accepted"


def test_a_team_form_is_accepted_for_the_team_and_seen_only_by_it(
    central: Database, api: TestClient
) -> None:
    amir = sign_in(api, "kwa1")
    library = load_library([forms_dir()])
    definition = library.templates[("supervision_record", 1)].definition
    push(
        api,
        amir,
        op(
            "form_template",
            new_id(),
            {
                "template_id": definition.id,
                "template_version": definition.version,
                "title": definition.title,
                "definition": definition.as_json(),
            },
        ),
    )
    form_id = new_id()
    [result] = push(
        api,
        amir,
        op(
            "form_response",
            form_id,
            {
                "template_id": definition.id,
                "template_version": definition.version,
                "answers": {"discussion": "Team supervision notes"},
                "status": "draft",
            },
        ),
    )
    assert result["status"] == "accepted", result
    assert form_id in {c["record_id"] for c in pulled(api, sign_in(api, "kwa2"))}
    assert form_id not in {c["record_id"] for c in pulled(api, sign_in(api, "kwb1"))}


def test_the_organisation_names_who_publishes_templates(central: Database) -> None:
    from keyworker_app.server.app import create_app
    from keyworker_app.server.cli import build_parser

    add_people(central, ("kwa1", "keyworker", "A"), ("sva", "supervisor", "A"))
    shipped = load_library([forms_dir()]).templates[("safety_plan", 1)].definition.as_json()

    def custom(template_id: str, title: str) -> dict[str, Any]:
        definition = {**shipped, "id": template_id, "title": title}
        return {
            "template_id": template_id,
            "template_version": 1,
            "title": title,
            "definition": definition,
        }

    with TestClient(
        create_app(central, template_publishers=frozenset({"keyworker"})),
        base_url="https://central.test",
    ) as api:
        keyworker, supervisor = sign_in(api, "kwa1"), sign_in(api, "sva")
        [by_keyworker] = push(
            api, keyworker, op("form_template", new_id(), custom("team_huddle", "Team huddle"))
        )
        [by_supervisor] = push(
            api, supervisor, op("form_template", new_id(), custom("other", "Other"))
        )
        broken = custom("broken", "Broken")
        broken["definition"] = {**broken["definition"], "sections": "not a list"}
        [invalid] = push(api, keyworker, op("form_template", new_id(), broken))
        [mismatched] = push(
            api,
            keyworker,
            op("form_template", new_id(), {**custom("third", "Third"), "title": "Else"}),
        )
    assert by_keyworker["status"] == "accepted"
    assert by_supervisor["status"] == "rejected" and "only keyworker" in by_supervisor["reason"]
    assert invalid["status"] == "rejected" and "not valid (sections" in invalid["reason"]
    assert mismatched["status"] == "rejected" and "differ" in mismatched["reason"]
    parser = build_parser()
    assert parser.parse_args(
        ["serve", "--template-publishers", "supervisor,clinician"]
    ).template_publishers == frozenset({"supervisor", "clinician"})
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--template-publishers", "admin"])


def test_a_finalised_form_cannot_be_rewritten_through_the_api(
    central: Database, api: TestClient
) -> None:
    people = ids(central)
    amir, ben = sign_in(api, "kwa1"), sign_in(api, "kwa2")
    definition = load_library([forms_dir()]).templates[("safety_plan", 1)].definition
    form_id = new_id()
    template, form = push(
        api,
        amir,
        op(
            "form_template",
            new_id(),
            {
                "template_id": definition.id,
                "template_version": definition.version,
                "title": definition.title,
                "definition": definition.as_json(),
            },
        ),
        op(
            "form_response",
            form_id,
            {
                "young_person_id": people["A001"],
                "template_id": definition.id,
                "template_version": definition.version,
                "answers": {"triggers": "Arguments at home"},
                "status": "final",
                "finalised_by": "kwa2",
            },
        ),
    )
    assert (template["status"], form["status"]) == ("accepted", "accepted")
    stored = record(central, "form_response", form_id)
    assert (stored["author"], stored["finalised_by"]) == ("kwa1", "kwa1")
    [rewrite] = push(
        api,
        ben,
        op(
            "form_response",
            form_id,
            {"answers": {"triggers": "Rewritten by Ben"}, "status": "draft"},
            operation="update",
            base_version=1,
        ),
    )
    assert rewrite["status"] == "conflict"
    after = record(central, "form_response", form_id)
    assert (after["answers"], after["status"]) == ({"triggers": "Arguments at home"}, "final")
    [moved] = push(
        api,
        ben,
        op(
            "form_response",
            form_id,
            {"template_version": 2},
            operation="update",
            base_version=1,
        ),
    )
    assert moved["status"] == "rejected" and "cannot be changed" in moved["reason"]
