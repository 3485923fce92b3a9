"""Who sees and changes what, cell by cell: role x team x restriction x push/pull.

Each role signs in through the real HTTP API and tries to pull, add a contact to, and change a
field of six young people: in their own team and in another, each unrestricted, restricted to a
list that names them, and restricted to a list that does not. The rule the central store must
enforce on every request: case roles (keyworker, clinician, supervisor) see their own team's young
people; a restricted young person is seen only by the users named; admins see no case data, even
when named.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from keyworker_app.domain.caseload_csv import parse_caseload_csv
from keyworker_app.domain.ids import new_id
from keyworker_app.server.database import Database
from keyworker_app.server.importing import import_central
from keyworker_app.server.models import Record, Restriction, ServerAudit
from tests.sync.conftest import PASSWORD, add_people

ROLES = ("keyworker", "clinician", "supervisor", "admin")
# reference: (team, restriction) where restriction is None, "names me" or "names others"
PEOPLE = {
    "A-OPEN": ("A", None),
    "A-NAMED": ("A", "names me"),
    "A-OTHERS": ("A", "names others"),
    "B-OPEN": ("B", None),
    "B-NAMED": ("B", "names me"),
    "B-OTHERS": ("B", "names others"),
}
ACTORS = {"keyworker": "kw_a", "clinician": "cl_a", "supervisor": "sv_a", "admin": "ad"}


def may_see(role: str, reference: str) -> bool:
    team, restriction = PEOPLE[reference]
    if role == "admin":
        return False
    if restriction is not None:
        return restriction == "names me"
    return team == "A"


@pytest.fixture
def service_with_people(central: Database, service: TestClient) -> TestClient:
    add_people(
        central,
        ("kw_a", "keyworker", "A"),
        ("cl_a", "clinician", "A"),
        ("sv_a", "supervisor", "A"),
        ("ad", "admin", None),
        ("kw_b", "keyworker", "B"),
        ("outsider", "keyworker", "A"),
    )
    rows = "".join(
        f"{ref},Young,Person{i},2008-01-0{i + 1},{team},{'kw_a' if team == 'A' else 'kw_b'},"
        f"Oak High,2024-01-01,other\n"
        for i, (ref, (team, _)) in enumerate(PEOPLE.items())
    )
    csv = (
        "reference,given_name,family_name,date_of_birth,team,keyworker,school,"
        "referral_date,risk_category\n" + rows
    )
    with central.session() as session, session.begin():
        import_central(session, parse_caseload_csv(csv.encode(), today=date(2026, 11, 1)))
        ids = _ids(session)
        for reference, (_, restriction) in PEOPLE.items():
            if restriction == "names me":
                named = list(ACTORS.values())  # every actor, the admin included
            elif restriction == "names others":
                named = ["outsider", "kw_b"]
            else:
                continue
            session.add_all(Restriction(young_person_id=ids[reference], user_name=u) for u in named)
    return service


def _ids(session) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        r.data["reference"]: r.record_id
        for r in session.scalars(select(Record).where(Record.record_type == "young_person"))
    }


def _sign_in(service: TestClient, user: str) -> dict[str, str]:
    response = service.post(
        "/v1/auth/login", json={"user": user, "password": PASSWORD, "device_id": new_id()}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _pulled_people(service: TestClient, headers: dict[str, str]) -> dict[str, str]:
    body = service.post("/v1/sync/pull", json={"cursor": 0, "limit": 2000}, headers=headers).json()
    return {
        c["data"]["reference"]: c["record_id"]
        for c in body["changes"]
        if c["record_type"] == "young_person"
    }


@pytest.mark.parametrize("role", ROLES)
def test_pull_shows_exactly_the_young_people_the_role_may_see(
    role: str, central: Database, service_with_people: TestClient
) -> None:
    headers = _sign_in(service_with_people, ACTORS[role])
    seen = set(_pulled_people(service_with_people, headers))
    assert seen == {ref for ref in PEOPLE if may_see(role, ref)}
    body = service_with_people.post(
        "/v1/sync/pull", json={"cursor": 0, "limit": 2000}, headers=headers
    ).json()
    with central.session() as session:
        ids = _ids(session)
    allowed_ids = {ids[ref] for ref in PEOPLE if may_see(role, ref)}
    for change in body["changes"]:  # nothing about anyone else rides along
        about = change["data"].get("young_person_id")
        assert about is None or about in allowed_ids


@pytest.mark.parametrize("role", ROLES)
def test_push_is_accepted_exactly_for_the_young_people_the_role_may_see(
    role: str, central: Database, service_with_people: TestClient
) -> None:
    user = ACTORS[role]
    headers = _sign_in(service_with_people, user)
    with central.session() as session:
        ids = _ids(session)
        versions = {
            r.record_id: r.version
            for r in session.scalars(select(Record).where(Record.record_type == "young_person"))
        }
    ops, expected = [], {}
    moment = datetime(2026, 11, 2, tzinfo=UTC).isoformat()
    for reference, young_person_id in ids.items():
        contact = {
            "op_id": new_id(),
            "record_type": "contact",
            "record_id": new_id(),
            "operation": "insert",
            "base_version": 0,
            "patch": {
                "young_person_id": young_person_id,
                "contact_type": "phone",
                "narrative": f"note by {user} about {reference}",
                "occurred_at": moment,
                "status": "final",
            },
        }
        change = {
            "op_id": new_id(),
            "record_type": "young_person",
            "record_id": young_person_id,
            "operation": "update",
            "base_version": versions[young_person_id],
            "patch": {"school": f"changed by {user}"},
        }
        ops += [contact, change]
        outcome = "accepted" if may_see(role, reference) else "rejected"
        expected[contact["op_id"]] = expected[change["op_id"]] = (reference, outcome)
    response = service_with_people.post("/v1/sync/push", json={"ops": ops}, headers=headers)
    assert response.status_code == 200, response.text
    got = {r["op_id"]: (expected[r["op_id"]][0], r["status"]) for r in response.json()["results"]}
    assert got == expected
    with central.session() as session:
        rejected = session.scalar(
            select(func.count())
            .select_from(ServerAudit)
            .where(ServerAudit.action == "push_rejected", ServerAudit.actor == user)
        )
        schools = {
            r.data["reference"]: r.data["school"]
            for r in session.scalars(select(Record).where(Record.record_type == "young_person"))
        }
        notes = {
            r.data["narrative"]
            for r in session.scalars(select(Record).where(Record.record_type == "contact"))
        }
    refused = [ref for ref in PEOPLE if not may_see(role, ref)]
    assert rejected == 2 * len(refused)  # every refusal is audited
    for reference in PEOPLE:
        written = schools[reference] == f"changed by {user}"
        assert written == may_see(role, reference)
        assert (f"note by {user} about {reference}" in notes) == may_see(role, reference)


# Every ownership field, pushed by every role onto a record of a young person they may see:
# a record's owner, team and author are never taken from a patch (moving a case is a
# supervisor's operation on the central store), and finalisation is recorded by the store.
OWNERSHIP_ATTEMPTS = {
    "contact young_person_id -> own team's other": ("contact", "young_person_id", "A-OPEN-2"),
    "contact young_person_id -> other team's": ("contact", "young_person_id", "B-OPEN"),
    "contact young_person_id -> restricted": ("contact", "young_person_id", "A-OTHERS"),
    "contact young_person_id -> none": ("contact", "young_person_id", None),
    "contact author": ("contact", "author", "kw_b"),
    "contact finalised_by": ("contact", "finalised_by", "kw_b"),
    "contact finalised_at": ("contact", "finalised_at", "2020-01-01T00:00:00+00:00"),
    "young person team_id": ("young_person", "team_id", "team B"),
    "young person restricted": ("young_person", "restricted", True),
}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
@pytest.mark.parametrize("attempt", list(OWNERSHIP_ATTEMPTS))
def test_no_role_changes_who_a_record_belongs_to_through_a_push(
    role: str, attempt: str, central: Database, service_with_people: TestClient
) -> None:
    record_type, field, target = OWNERSHIP_ATTEMPTS[attempt]
    with central.session() as session, session.begin():
        import_central(
            session,
            parse_caseload_csv(
                b"reference,given_name,family_name,date_of_birth,team\n"
                b"A-OPEN-2,Young,Other,2008-03-03,A\n",
                today=date(2026, 11, 1),
            ),
        )
        ids = _ids(session)
        team_b = session.get(Record, ("young_person", ids["B-OPEN"])).team_id  # type: ignore[union-attr]
    headers = _sign_in(service_with_people, ACTORS[role])
    contact_id = new_id()
    created = service_with_people.post(
        "/v1/sync/push",
        json={
            "ops": [
                {
                    "op_id": new_id(),
                    "record_type": "contact",
                    "record_id": contact_id,
                    "operation": "insert",
                    "base_version": 0,
                    "patch": {
                        "young_person_id": ids["A-OPEN"],
                        "contact_type": "phone",
                        "narrative": "a call",
                        "occurred_at": datetime(2026, 11, 2, tzinfo=UTC).isoformat(),
                    },
                }
            ]
        },
        headers=headers,
    ).json()["results"][0]
    assert created["status"] == "accepted"
    record_id = contact_id if record_type == "contact" else ids["A-OPEN"]
    value = {
        "A-OPEN-2": ids.get("A-OPEN-2"),
        "B-OPEN": ids["B-OPEN"],
        "A-OTHERS": ids["A-OTHERS"],
        "team B": team_b,
    }.get(target, target)  # type: ignore[arg-type]
    with central.session() as session:
        before = dict(session.get(Record, (record_type, record_id)).data)  # type: ignore[union-attr]
        version = session.get(Record, (record_type, record_id)).version  # type: ignore[union-attr]
    [result] = service_with_people.post(
        "/v1/sync/push",
        json={
            "ops": [
                {
                    "op_id": new_id(),
                    "record_type": record_type,
                    "record_id": record_id,
                    "operation": "update",
                    "base_version": version,
                    "patch": {field: value},
                }
            ]
        },
        headers=headers,
    ).json()["results"]
    with central.session() as session:
        stored = session.get(Record, (record_type, record_id))
        assert stored is not None
        after = dict(stored.data)
        owner = (stored.young_person_id, stored.team_id)
    assert after == before, f"{attempt} changed the record"
    assert owner[0] == ids["A-OPEN"]
    if field in ("young_person_id", "team_id", "author", "restricted"):
        assert result["status"] == "rejected", result
