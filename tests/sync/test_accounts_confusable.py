"""Accounts that cannot be confused (issue 15, item 6), on SQLite and PostgreSQL.

Found by an insider: the central store took "ALICE" beside "alice", "аdmin" (Cyrillic а) beside
"admin" and names with invisible characters; `restrict --allow` gave a worker of another team a
case with no warning; and signing in with another worker's device id took the laptop over.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from keyworker_app.domain.ids import new_id
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.server import accounts
from keyworker_app.server.cli import main
from keyworker_app.server.database import Database
from keyworker_app.server.models import Account, Device, Record, Restriction, ServerAudit, Token
from keyworker_app.store import lifecycle
from keyworker_app.sync.client import SyncError, keep_sign_in, login, request_sign_in, sync
from tests.conftest import FAST_KDF
from tests.sync.conftest import PASSWORD, add_people

CASES = (
    "reference,given_name,family_name,date_of_birth,team,keyworker\n"
    "A001,Ava,Stone,2008-01-01,A,kw_a\n"
)


def one_sentence(message: str) -> bool:
    body = message.replace("e.g.", "eg")
    return "\n" not in message and body.endswith(".") and ". " not in body


def add(central: Database, user_name: str, team: str | None = "A") -> Account:
    with central.session() as session, session.begin():
        return accounts.add_user(session, user_name, PASSWORD, role="keyworker", team=team)


def refused(central: Database, user_name: str) -> str:
    with pytest.raises(accounts.AccountError) as raised:
        add(central, user_name)
    message = str(raised.value)
    assert one_sentence(message), message
    return message


def stored_names(central: Database) -> set[str]:
    with central.session() as session:
        return set(session.scalars(select(Account.user_name)))


def sign_in(service: TestClient, user: str, device_id: str):  # type: ignore[no-untyped-def]
    return service.post(
        "/v1/auth/login", json={"user": user, "password": PASSWORD, "device_id": device_id}
    )


def pull(service: TestClient, access: str):  # type: ignore[no-untyped-def]
    return service.post(
        "/v1/sync/pull",
        json={"cursor": 0, "limit": 100},
        headers={"Authorization": f"Bearer {access}"},
    )


# -- user names ------------------------------------------------------------------------------
def test_a_name_differing_only_in_case_is_refused_and_signs_in_as_the_stored_account(
    central: Database, service: TestClient
) -> None:
    add_people(central, ("alice", "keyworker", "A"))
    assert "already a user called alice" in refused(central, "ALICE")
    assert "already a user called alice" in refused(central, "ａｌｉｃｅ")  # fullwidth letters
    assert stored_names(central) == {"alice"}

    answer = sign_in(service, "ALICE", new_id())
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"]["user_name"] == "alice"

    # Stored normalised, shown as typed.
    added = add(central, "Bob.Smith")
    assert added.user_name == "bob.smith" and added.display_name == "Bob.Smith"
    assert sign_in(service, "BOB.SMITH", new_id()).status_code == 200


def test_look_alike_and_hidden_names_are_refused_in_one_sentence(central: Database) -> None:
    add_people(central, ("admin", "admin", None), ("alice", "keyworker", "A"))
    add(central, "bob")
    add(central, "scope")
    before = stored_names(central)

    assert "looks like the existing user admin" in refused(central, "\u0430dmin")  # Cyrillic а
    assert "looks like the existing user alice" in refused(central, "a1ice")
    assert "looks like the existing user scope" in refused(central, "ѕсоре")  # all Cyrillic
    assert "zero-width" in refused(central, "bob\u200b")
    assert "direction of the text" in refused(central, "ali\u202ece")
    assert "direction of the text" in refused(central, "\u2066carol\u2069")
    assert "invisible, control or unassigned" in refused(central, "car\u00adol")  # soft hyphen
    assert "mixes Cyrillic and Latin" in refused(central, "v\u0430sya")  # no one like it yet
    assert "spaces" in refused(central, "carol\u00a0smith")
    assert stored_names(central) == before

    # Names in one script of their own, and ordinary punctuation, are welcome.
    for name in ("иван", "josé", "mary-jane.o_neill", "山田はなこ"):
        add(central, name)
    assert stored_names(central) == before | {"иван", "josé", "mary-jane.o_neill", "山田はなこ"}


def test_an_account_added_before_names_were_normalised_keeps_working(
    central: Database, service: TestClient
) -> None:
    add_people(central, ("kw_a", "keyworker", "A"))
    with central.session() as session, session.begin():
        legacy = session.get(Account, "kw_a")
        assert legacy is not None
        session.add(
            Account(
                user_name="Legacy.User",
                display_name="Legacy User",
                role="keyworker",
                team_id=legacy.team_id,
                staff_id=None,
                password_hash=legacy.password_hash,
                active=True,
                failed_logins=0,
            )
        )
    answer = sign_in(service, "Legacy.User", new_id())
    assert answer.status_code == 200 and answer.json()["user"]["user_name"] == "Legacy.User"
    assert "already a user called Legacy.User" in refused(central, "legacy.user")


# -- devices ---------------------------------------------------------------------------------
def test_signing_in_with_another_workers_device_id_is_refused_and_the_device_stays_theirs(
    central: Database, service: TestClient
) -> None:
    add_people(central, ("kw_a", "keyworker", "A"), ("kw_b", "keyworker", "B"))
    device = new_id()
    first = sign_in(service, "kw_a", device)
    assert first.status_code == 200

    taken = sign_in(service, "kw_b", device)
    assert taken.status_code == 401
    message = taken.json()["detail"]
    assert one_sentence(message) and "enrolled for another worker" in message
    with central.session() as session:
        assert session.get(Device, device).user_name == "kw_a"  # type: ignore[union-attr]
        assert session.scalars(select(Token).where(Token.user_name == "kw_b")).all() == []
        foreign = session.scalars(
            select(ServerAudit).where(ServerAudit.action == "login_foreign_device")
        ).one()
    assert foreign.actor == "kw_b" and foreign.device_id == device
    assert foreign.detail == {"enrolled_for": "kw_a"}

    # The laptop's own worker carries on, and signs in again on it as before.
    assert pull(service, first.json()["access_token"]).status_code == 200
    assert sign_in(service, "KW_A", device).status_code == 200


def test_a_token_left_from_a_device_that_changed_hands_is_refused(
    central: Database, service: TestClient
) -> None:
    """Before this fix a sign-in moved the device to the new user and left the first user's
    tokens in place; those no longer let anyone in through a device that is not theirs."""
    add_people(central, ("kw_a", "keyworker", "A"), ("kw_b", "keyworker", "B"))
    device = new_id()
    tokens = sign_in(service, "kw_a", device).json()
    with central.session() as session, session.begin():
        session.get(Device, device).user_name = "kw_b"  # type: ignore[union-attr]
    assert pull(service, tokens["access_token"]).status_code == 401
    again = service.post(
        "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"], "device_id": device}
    )
    assert again.status_code == 401 and "enrolled for another worker" in again.json()["detail"]


def test_a_new_laptop_signs_in_before_its_caseload_exists_and_stays_its_workers(
    central: Database, service: TestClient, tmp_path: Path
) -> None:
    """The desktop's first run: sign in with a new device id, then create the caseload with
    that id and keep the sign-in; the same worker signs in again later; another cannot."""
    add_people(central, ("kw_a", "keyworker", "A"), ("kw_b", "keyworker", "B"))
    transport = service._transport
    device = new_id()
    tokens = request_sign_in("https://central.test", "KW_A", PASSWORD, device, transport=transport)
    store = lifecycle.create_caseload(
        tmp_path / "laptop",
        "laptop passphrase words",
        DeviceSecrets.for_store(tmp_path / "laptop"),
        user_name=tokens.user.user_name,
        device_id=device,
        kdf=FAST_KDF,
    ).store
    try:
        keep_sign_in(store, "https://central.test", tokens)
        assert store.user_name == "kw_a"
        assert sync(store, transport=transport).rejected == 0
        login(store, "https://central.test", "kw_a", PASSWORD, transport=transport)
        with pytest.raises(SyncError, match="enrolled for another worker"):
            login(store, "https://central.test", "kw_b", PASSWORD, transport=transport)
        assert store.user_name == "kw_a"
        assert sync(store, transport=transport).rejected == 0
    finally:
        store.close()


# -- restrict --allow ------------------------------------------------------------------------
class Terminal(io.StringIO):
    """Typed answers, from what looks like a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def case_in_team_a(central: Database, tmp_path: Path) -> Database:
    add_people(central, ("kw_a", "keyworker", "A"), ("kw_b", "keyworker", "B"))
    cases = tmp_path / "cases.csv"
    cases.write_text(CASES)
    assert server(central, "import-csv", str(cases)) == 0
    return central


def server(central: Database, *args: str) -> int:
    return main(["--database", central.url, *args])


def restrictions(central: Database) -> set[str]:
    with central.session() as session:
        return set(session.scalars(select(Restriction.user_name)))


def restricted(central: Database) -> bool:
    with central.session() as session:
        record = session.scalars(select(Record).where(Record.record_type == "young_person")).one()
        return bool(record.data.get("restricted"))


def test_restrict_refuses_a_worker_of_another_team_unless_told(
    case_in_team_a: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    central = case_in_team_a
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: nobody to ask
    capsys.readouterr()
    assert server(central, "restrict", "A001", "--allow", "kw_a", "KW_B") == 1
    error = capsys.readouterr().err.strip()
    assert error == (
        "kw_b is in team B, not A001's team A; "
        "add --allow-other-team to let them see this case anyway."
    )
    assert restrictions(central) == set() and not restricted(central)
    assert "no case worker called kw_c" in _refusal(central, capsys, "kw_c")

    assert server(central, "restrict", "A001", "--allow", "KW_A", "kw_b", "--allow-other-team") == 0
    said = capsys.readouterr().out
    assert "A001 (team A) is now seen only by kw_a (team A), kw_b (team B)." in said
    assert restrictions(central) == {"kw_a", "kw_b"} and restricted(central)
    with central.session() as session:
        event = session.scalars(select(ServerAudit).where(ServerAudit.action == "restrict")).one()
    assert event.detail["allow"] == ["kw_a", "kw_b"] and event.detail["other_team"] == ["kw_b"]


def _refusal(central: Database, capsys: pytest.CaptureFixture[str], user: str) -> str:
    assert server(central, "restrict", "A001", "--allow", user) == 1
    return capsys.readouterr().err


def test_restrict_asks_in_a_terminal(
    case_in_team_a: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    central = case_in_team_a
    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    assert server(central, "restrict", "A001", "--allow", "kw_a", "kw_b") == 1
    out, err = capsys.readouterr()
    assert "Let kw_b (team B) see A001 (team A)? [y/N]" in out
    assert one_sentence(err.strip()) and "Nothing was changed" in err
    assert restrictions(central) == set()

    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    assert server(central, "restrict", "A001", "--allow", "kw_a", "kw_b") == 0
    assert "now seen only by kw_a (team A), kw_b (team B)" in capsys.readouterr().out
    assert restrictions(central) == {"kw_a", "kw_b"}

    # Only workers of the case's own team: nothing to ask.
    monkeypatch.setattr(sys, "stdin", Terminal(""))
    assert server(central, "restrict", "A001", "--allow", "kw_a") == 0
    assert "[y/N]" not in capsys.readouterr().out
    assert restrictions(central) == {"kw_a"}
