"""The central store's API against its own OpenAPI schema (schemathesis): for every operation,
generated requests, valid and invalid, signed in and not, never get a server error, and every
answer matches the schema the desktop app is built against."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.openapi import from_asgi

from keyworker_app.domain.caseload_csv import parse_caseload_csv
from keyworker_app.domain.ids import new_id
from keyworker_app.server.app import create_app
from keyworker_app.server.database import Database, open_database
from keyworker_app.server.importing import import_central
from tests.sync.conftest import PASSWORD, add_people

CASES = (
    "reference,given_name,family_name,date_of_birth,team,keyworker,school,referral_date,risk_category\n"
    "A001,Ava,Stone,2008-01-01,A,kwa1,Oak High,2024-01-01,other\n"
)


@pytest.fixture(scope="module")
def central_for_fuzzing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = open_database(data_dir=Path(tmp_path_factory.mktemp("fuzz")) / "central")
    add_people(database, ("kwa1", "keyworker", "A"), ("sva", "supervisor", "A"))
    with database.session() as session, session.begin():
        import_central(session, parse_caseload_csv(CASES.encode(), today=date(2026, 11, 1)))
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def api(central_for_fuzzing: Database):  # type: ignore[no-untyped-def]
    return from_asgi("/openapi.json", create_app(central_for_fuzzing))


@pytest.fixture(scope="module")
def signed_in(api) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A supervisor's bearer token, so generated requests reach past sign-in."""
    from fastapi.testclient import TestClient

    with TestClient(api.app) as client:
        response = client.post(
            "/v1/auth/login",
            json={"user": "sva", "password": PASSWORD, "device_id": new_id()},
        )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _operations() -> list[str]:
    database = open_database("sqlite://")
    try:
        return [
            op.ok().label
            for op in from_asgi("/openapi.json", create_app(database)).get_all_operations()
        ]
    finally:
        database.dispose()


@pytest.mark.parametrize("label", _operations())
def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    label: str,
    api,
    signed_in: dict[str, str],  # type: ignore[no-untyped-def]
) -> None:
    [operation] = [op.ok() for op in api.get_all_operations() if op.ok().label == label]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def requests_of_every_shape(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=signed_in)
        case.call_and_validate()  # and the same request without signing in

    requests_of_every_shape()
