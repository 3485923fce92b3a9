"""Tokens and sign-in throttling at the central store, with the clock moved instead of waiting.

Already covered elsewhere, not repeated here: an access token running out in the middle of a
sync (tests/sync/test_sync.py::test_an_access_token_that_runs_out_mid_sync_is_renewed), a lost
refresh answer (::test_a_lost_refresh_answer_does_not_sign_the_laptop_out), a revoked laptop wiped
at its next sync (::test_a_revoked_laptop_is_wiped_at_its_next_sync), five wrong passwords then
the right one refused (::test_a_wrong_password_is_refused_and_throttled), and the local
passphrase back-off
(tests/integration/test_keys.py::test_repeated_wrong_passphrases_are_slowed_down).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import keyring
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from keyworker_app.cli import _sentence, main
from keyworker_app.domain.ids import new_id
from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.security.keys import KeyFile
from keyworker_app.server import accounts
from keyworker_app.server.database import Database
from keyworker_app.server.models import Account, Device, ServerAudit, Token
from keyworker_app.store import lifecycle
from keyworker_app.store.models import Contact, OutboxEntry, YoungPerson
from keyworker_app.store.recording import ContactDetails, add_contact
from keyworker_app.sync.client import SERVICE as SYNC_SERVICE
from keyworker_app.sync.client import Connection, SyncError, login, sync
from keyworker_app.sync.protocol import PullRequest
from tests.conftest import FAST_KDF
from tests.security.conftest import Clock
from tests.sync.conftest import PASSWORD, Laptop

WRONG = "not the password at all"


# -- helpers -----------------------------------------------------------------------------------
def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(
    service: TestClient, user: str, device_id: str, password: str = PASSWORD
) -> httpx.Response:
    return service.post(
        "/v1/auth/login", json={"user": user, "password": password, "device_id": device_id}
    )


def refresh(service: TestClient, token: str, device_id: str) -> httpx.Response:
    return service.post("/v1/auth/refresh", json={"refresh_token": token, "device_id": device_id})


def pull(service: TestClient, access: str) -> httpx.Response:
    return service.post("/v1/sync/pull", json={"cursor": 0, "limit": 100}, headers=bearer(access))


def one_sentence(message: str) -> bool:
    body = message.replace("`keyworker login`", "keyworker-login")
    return "\n" not in message and body.endswith(".") and ". " not in body and "?" not in body


def pending(device: Laptop) -> int:
    with device.store.reading() as session:
        return session.scalar(select(func.count()).select_from(OutboxEntry)) or 0


def notes(device: Laptop) -> set[str]:
    with device.store.reading() as session:
        return set(session.scalars(select(Contact.narrative)))


def write_note(device: Laptop, reference: str, text: str) -> None:
    with device.store.reading() as session:
        person = session.scalars(
            select(YoungPerson).where(YoungPerson.reference == reference)
        ).one()
    add_contact(
        device.store,
        person.id,
        ContactDetails(ContactType.PHONE, text, occurred_at=datetime(2026, 10, 1, tzinfo=UTC)),
        finalise=True,
    )


def run(device: Laptop):  # type: ignore[no-untyped-def]
    return sync(device.store, transport=device.transport)


# -- access tokens -----------------------------------------------------------------------------
def test_an_expired_access_token_is_refused_and_the_client_renews_it(
    teams: Database, laptop: Callable[[str], Laptop], service: TestClient, clock: Clock
) -> None:
    kw1 = laptop("kw1")
    connection = Connection(kw1.store, transport=kw1.transport)
    connection.refresh()
    first = connection.access
    assert first is not None
    clock.travel(minutes=14, seconds=50)
    assert pull(service, first).status_code == 200
    clock.travel(seconds=20)  # 15 minutes 10 seconds after it was given
    refused = pull(service, first)
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]

    # The laptop meets the 401, renews with its refresh token and carries on.
    page = connection.pull(PullRequest(cursor=0, limit=100))
    connection.close()
    assert {c.data.get("reference") for c in page.changes} >= {"A001", "A002"}
    assert connection.access not in (None, first)
    assert pull(service, connection.access).status_code == 200  # type: ignore[arg-type]
    assert pull(service, first).status_code == 401  # the old one stays refused


def test_a_made_up_or_missing_token_is_refused(teams: Database, service: TestClient) -> None:
    assert service.post("/v1/sync/pull", json={"cursor": 0}).status_code == 401
    assert pull(service, "made-up-token").status_code == 401
    with teams.session() as session:  # only hashes are stored: the database grants nothing
        hashes = set(session.scalars(select(Token.token_hash)))
    tokens = sign_in(service, "kw1", new_id()).json()
    with teams.session() as session:
        stored = set(session.scalars(select(Token.token_hash))) - hashes
    assert tokens["access_token"] not in stored and tokens["refresh_token"] not in stored
    assert hashlib.sha256(tokens["access_token"].encode()).hexdigest() in stored
    for digest in stored:
        assert pull(service, digest).status_code == 401


# -- refresh tokens ----------------------------------------------------------------------------
def test_a_refresh_token_is_spent_once_its_successor_has_been_used(
    teams: Database, service: TestClient
) -> None:
    device = new_id()
    t0 = sign_in(service, "kw1", device).json()["refresh_token"]
    t1 = refresh(service, t0, device).json()["refresh_token"]
    t2 = refresh(service, t1, device).json()["refresh_token"]
    # t1 was used: t0 is spent for good, however often it is tried. (Presenting t0 again
    # *before* t1 is used still works, so a lost answer does not sign the laptop out:
    # tests/sync/test_sync.py::test_a_lost_refresh_answer_does_not_sign_the_laptop_out.)
    for _ in range(2):
        replay = refresh(service, t0, device)
        assert replay.status_code == 401 and "sign in again" in replay.json()["detail"]
    # A refused replay signs nobody out: the rightful holder of t2 carries on.
    t3 = refresh(service, t2, device)
    assert t3.status_code == 200
    assert pull(service, t3.json()["access_token"]).status_code == 200
    assert refresh(service, t1, device).status_code == 401  # t2 was used: t1 is spent too


def test_a_stolen_copy_of_a_refresh_token_cannot_keep_a_second_chain_alive(
    teams: Database, service: TestClient, clock: Clock
) -> None:
    device = new_id()
    t0 = sign_in(service, "kw1", device).json()["refresh_token"]
    stolen = refresh(service, t0, device).json()["refresh_token"]  # a copy of t0 used first
    clock.travel(minutes=5)
    mine = refresh(service, t0, device)  # the laptop refreshes later with the t0 it holds
    assert mine.status_code == 200
    # The copy's successor was issued minutes before: it goes, the laptop's chain goes on.
    assert refresh(service, stolen, device).status_code == 401
    assert refresh(service, mine.json()["refresh_token"], device).status_code == 200


def test_a_duplicated_refresh_leaves_both_successors_usable(
    teams: Database, service: TestClient
) -> None:
    """A request repeated on the way (a flaky network) issues two successors at once; the
    laptop keeps whichever answer reached it, so neither may be revoked by the other."""
    device = new_id()
    t0 = sign_in(service, "kw1", device).json()["refresh_token"]
    first = refresh(service, t0, device).json()["refresh_token"]
    second = refresh(service, t0, device).json()["refresh_token"]
    assert refresh(service, first, device).status_code == 200  # the repeat did not revoke it
    assert refresh(service, second, device).status_code == 200  # nor the first use this one


def test_tokens_that_ran_out_are_cleared_when_the_device_gets_new_ones(
    teams: Database, service: TestClient, clock: Clock
) -> None:
    from sqlalchemy import func, select

    from keyworker_app.server.models import Token

    device = new_id()
    sign_in(service, "kw1", device)
    clock.travel(days=31)  # both tokens have run out
    assert sign_in(service, "kw1", device).status_code == 200
    with teams.session() as session:
        left = session.scalar(
            select(func.count()).select_from(Token).where(Token.device_id == device)
        )
    assert left == 2  # the new access and refresh tokens only


def test_each_token_does_only_its_own_job_for_its_own_device(
    teams: Database, service: TestClient
) -> None:
    device, other = new_id(), new_id()
    tokens = sign_in(service, "kw1", device).json()
    sign_in(service, "kw2", other)
    assert refresh(service, tokens["access_token"], device).status_code == 401  # not a refresh
    assert pull(service, tokens["refresh_token"]).status_code == 401  # not an access token
    assert refresh(service, tokens["refresh_token"], other).status_code == 401  # not its device
    assert refresh(service, tokens["refresh_token"], device).status_code == 200


def test_an_expired_refresh_token_asks_for_sign_in_in_one_sentence_and_keeps_local_work(
    teams: Database, laptop: Callable[[str], Laptop], clock: Clock
) -> None:
    kw1 = laptop("kw1")
    run(kw1)
    write_note(kw1, "A001", "written the day the sign-in ran out")
    waiting = pending(kw1)
    assert waiting > 0
    clock.travel(days=29, hours=23)
    run(kw1)  # still within 30 days: fine, and the rotated token starts a new 30 days
    write_note(kw1, "A002", "written a month later")
    waiting = pending(kw1)
    clock.travel(days=30, minutes=1)
    with pytest.raises(SyncError) as raised:
        run(kw1)
    message = str(raised.value)
    assert one_sentence(message), message
    assert "sign in again" in message and "keyworker login" in message
    assert _sentence(raised.value) == message  # what `keyworker sync` prints, as it is
    assert pending(kw1) == waiting
    assert {"written the day the sign-in ran out", "written a month later"} <= notes(kw1)

    # Signing in again sends everything that waited.
    login(kw1.store, "https://central.test", "kw1", PASSWORD, transport=kw1.transport)
    report = run(kw1)
    assert report.rejected == 0 and pending(kw1) == 0
    kw2 = laptop("kw2")
    run(kw2)
    assert "written a month later" in notes(kw2)


def test_a_superseded_refresh_token_asks_for_sign_in_and_keeps_local_work(
    teams: Database, laptop: Callable[[str], Laptop], service: TestClient
) -> None:
    kw1 = laptop("kw1")
    run(kw1)
    device = kw1.store.device_id
    held = keyring.get_password(SYNC_SERVICE, device)
    assert held is not None
    # A copy of the laptop's refresh token is used twice elsewhere: the laptop's own is spent.
    successor = refresh(service, held, device).json()["refresh_token"]
    assert refresh(service, successor, device).status_code == 200
    write_note(kw1, "A001", "written on the laptop meanwhile")
    waiting = pending(kw1)
    with pytest.raises(SyncError) as raised:
        run(kw1)
    assert one_sentence(str(raised.value)) and "keyworker login" in str(raised.value)
    assert pending(kw1) == waiting and "written on the laptop meanwhile" in notes(kw1)
    # The keyring lost the token altogether (reset, or another account): the same advice.
    keyring.delete_password(SYNC_SERVICE, device)
    with pytest.raises(SyncError) as missing:
        run(kw1)
    assert one_sentence(str(missing.value)) and "keyworker login" in str(missing.value)
    assert pending(kw1) == waiting


# -- revoked devices ---------------------------------------------------------------------------
def test_a_revoked_devices_tokens_and_sign_in_are_refused_but_the_users_other_laptop_works(
    teams: Database, laptop: Callable[[str], Laptop], service: TestClient
) -> None:
    device = new_id()
    tokens = sign_in(service, "kw1", device).json()
    other_laptop = laptop("kw1")
    assert pull(service, tokens["access_token"]).status_code == 200
    with teams.session() as session, session.begin():
        accounts.revoke_device(session, device)
    # Revoking deleted the device's tokens, so its access token is unknown (401); the laptop
    # then tries its refresh token and is told it was revoked (403), which wipes it.
    assert pull(service, tokens["access_token"]).status_code == 401
    revoked = refresh(service, tokens["refresh_token"], device)
    assert revoked.status_code == 403 and revoked.json()["code"] == "device_revoked"
    # Presented with another device's id, the revoked device's token is simply unknown.
    other = other_laptop.store.device_id
    assert refresh(service, tokens["refresh_token"], other).status_code == 401
    # The right password does not bring the device back.
    again = sign_in(service, "kw1", device)
    assert again.status_code == 403 and again.json()["code"] == "device_revoked"
    with teams.session() as session:
        assert session.scalars(select(Token).where(Token.device_id == device)).all() == []
        assert session.get(Device, device).revoked  # type: ignore[union-attr]
        actions = set(session.scalars(select(ServerAudit.action)))
    assert {"revoke_device", "login_revoked_device"} <= actions
    assert run(other_laptop).rejected == 0  # revocation is per device, not per user


def test_a_device_marked_revoked_is_refused_even_with_a_live_access_token(
    teams: Database, service: TestClient
) -> None:
    """Revocation is checked on every request, not only by deleting the device's tokens."""
    device = new_id()
    tokens = sign_in(service, "kw1", device).json()
    with teams.session() as session, session.begin():
        session.get(Device, device).revoked = True  # type: ignore[union-attr]
    assert pull(service, tokens["access_token"]).status_code == 403
    assert refresh(service, tokens["refresh_token"], device).status_code == 403


def test_a_deactivated_account_is_refused_with_live_tokens(
    teams: Database, service: TestClient
) -> None:
    device = new_id()
    tokens = sign_in(service, "kw1", device).json()
    with teams.session() as session, session.begin():
        session.get(Account, "kw1").active = False  # type: ignore[union-attr]
    assert pull(service, tokens["access_token"]).status_code == 401
    assert refresh(service, tokens["refresh_token"], device).status_code == 401
    assert sign_in(service, "kw1", device).status_code == 401


# -- sign-in throttling ------------------------------------------------------------------------
def test_wrong_passwords_lock_the_account_for_a_while_then_the_right_one_works(
    teams: Database, service: TestClient, clock: Clock
) -> None:
    device = new_id()
    for _ in range(accounts.FREE_FAILURES):
        wrong = sign_in(service, "kw1", device, WRONG)
        assert wrong.status_code == 401 and "wrong" in wrong.json()["detail"]
    locked = sign_in(service, "kw1", device)  # the right password, not even checked now
    assert locked.status_code == 401 and "Too many wrong passwords" in locked.json()["detail"]
    clock.travel(seconds=29)
    assert sign_in(service, "kw1", device).status_code == 401
    clock.travel(seconds=2)
    assert sign_in(service, "kw1", device).status_code == 200
    # A success clears the count: four more wrong ones do not lock.
    for _ in range(accounts.FREE_FAILURES - 1):
        assert sign_in(service, "kw1", device, WRONG).status_code == 401
    assert sign_in(service, "kw1", device).status_code == 200
    with teams.session() as session:
        counted = {
            action: session.scalar(
                select(func.count())
                .select_from(ServerAudit)
                .where(ServerAudit.actor == "kw1", ServerAudit.action == action)
            )
            for action in ("login_failed", "login_throttled", "login")
        }
    assert counted == {"login_failed": 9, "login_throttled": 2, "login": 2}


def test_the_lock_doubles_with_each_further_failure_up_to_fifteen_minutes(
    teams: Database, service: TestClient, clock: Clock
) -> None:
    device = new_id()
    for _ in range(accounts.FREE_FAILURES):
        sign_in(service, "kw1", device, WRONG)
    for seconds in (30, 60, 120, 240, 480, 900, 900):
        clock.travel(seconds=seconds - 1)
        assert sign_in(service, "kw1", device).status_code == 401, f"open before {seconds} s"
        clock.travel(seconds=2)
        assert "wrong" in sign_in(service, "kw1", device, WRONG).json()["detail"]
    clock.travel(minutes=15, seconds=1)
    assert sign_in(service, "kw1", device).status_code == 200


def test_failures_count_per_account_whichever_device_they_come_from(
    teams: Database, service: TestClient
) -> None:
    for _ in range(accounts.FREE_FAILURES):
        sign_in(service, "kw1", new_id(), WRONG)
    assert "Too many" in sign_in(service, "kw1", new_id()).json()["detail"]
    assert sign_in(service, "kw2", new_id()).status_code == 200  # others are not locked out
    # A name that does not exist is refused in the same words as a wrong password.
    unknown = sign_in(service, "nobody.here", new_id(), WRONG)
    known = sign_in(service, "kw2", new_id(), WRONG)
    assert unknown.status_code == known.status_code == 401
    assert unknown.json() == known.json()


def test_wrong_passphrases_are_counted_outside_the_data_folder_and_survive_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "caseload"
    passphrase = "lantern meadow quartz 9"
    lifecycle.create_caseload(
        folder, passphrase, DeviceSecrets.for_store(folder), kdf=FAST_KDF
    ).store.close()
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    state = lifecycle.default_throttle().state_file
    assert state.is_relative_to(tmp_path / "xdg" / "xdg_state_home")
    store_id = KeyFile.read(folder).store_id
    # Three runs of `keyworker`, each a new process as far as the count is concerned.
    monkeypatch.setenv("KEYWORKER_PASSPHRASE", "lantern meadow quartz 8")
    for attempt in (1, 2, 3):
        assert main(["--data-dir", str(folder), "caseload"]) == 1
        assert json.loads(state.read_text())[store_id]["failures"] == attempt
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    monkeypatch.setenv("KEYWORKER_PASSPHRASE", passphrase)
    assert main(["--data-dir", str(folder), "caseload"]) == 0
    assert store_id not in json.loads(state.read_text())
