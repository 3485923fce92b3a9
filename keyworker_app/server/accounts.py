"""Accounts, devices and tokens: Argon2id password hashes, throttled sign-in, short-lived access
tokens and longer refresh tokens (both stored hashed), and device revocation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from keyworker_app.domain.ids import new_id
from keyworker_app.server import user_names
from keyworker_app.server.audit_log import audit  # still importable from here
from keyworker_app.server.models import Account, Device, Record, Token
from keyworker_app.server.records import now, write_record

ROLES = ("keyworker", "clinician", "supervisor", "admin")
ACCESS_LIFETIME = timedelta(minutes=15)
REFRESH_LIFETIME = timedelta(days=30)
# How long the successors of one refresh token may live side by side (see ``refresh``).
SIBLING_WINDOW = timedelta(minutes=2)
FREE_FAILURES = 5
MAX_LOCK = timedelta(minutes=15)
MIN_PASSWORD = 10
FOREIGN_DEVICE = (
    "This laptop is enrolled for another worker; sign in with that worker's account, "
    "or ask IT to set up a caseload of your own on it."
)
hasher = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal which names exist.
_DUMMY_HASH = hasher.hash("not a real password at all")


class AccountError(Exception):
    """A problem an administrator or user can put right; the message says how."""


class SignInRefused(AccountError):
    pass


class DeviceRevoked(AccountError):
    pass


def _team_record(session: Session, name: str) -> Record | None:
    for record in session.scalars(select(Record).where(Record.record_type == "team")):
        if str(record.data.get("name", "")).casefold() == name.casefold() and not record.deleted:
            return record
    return None


def add_team(session: Session, name: str, *, actor: str = "admin") -> Record:
    name = name.strip()
    if not name:
        raise AccountError("A team needs a name.")
    if _team_record(session, name) is not None:
        raise AccountError(f"There is already a team called {name}.")
    record = write_record(
        session,
        "team",
        new_id(),
        {"name": name, "visiting_standard_days": 7, "caseload_cap": 12, "deleted": False},
        actor=actor,
    )
    audit(session, actor, "add_team", team=name)
    return record


def team_by_name(session: Session, name: str) -> Record:
    record = _team_record(session, name)
    if record is None:
        raise AccountError(
            f"There is no team called {name}; add it with `keyworker-server add-team`."
        )
    return record


def add_user(
    session: Session,
    user_name: str,
    password: str,
    *,
    role: str,
    team: str | None,
    display_name: str | None = None,
    actor: str = "admin",
) -> Account:
    """Add an account under the normalised ``user_name`` (see ``server/user_names.py``).
    Raises AccountError when the name hides characters, mixes scripts or could be taken for an
    existing account's, and for a bad role, a short password or a missing team."""
    problem = user_names.refusal(user_name, session.scalars(select(Account.user_name)))
    if problem is not None:
        raise AccountError(problem)
    given, user_name = user_name.strip(), user_names.normalise(user_name)
    if role not in ROLES:
        raise AccountError(f"'{role}' is not a role; use one of: {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"The password is too short: use at least {MIN_PASSWORD} characters.")
    if role != "admin" and not team:
        raise AccountError("Case workers belong to a team; give --team TEAM.")
    team_record = team_by_name(session, team) if team else None
    staff_id = None
    if role != "admin":
        staff_id = new_id()
        write_record(
            session,
            "staff",
            staff_id,
            {
                "user_name": user_name,
                "display_name": display_name or given,
                "role": role,
                "team_id": team_record.record_id if team_record else None,
                "active": True,
                "deleted": False,
            },
            actor=actor,
        )
    account = Account(
        user_name=user_name,
        display_name=display_name or given,
        role=role,
        team_id=team_record.record_id if team_record else None,
        staff_id=staff_id,
        password_hash=hasher.hash(password),
        active=True,
        failed_logins=0,
    )
    session.add(account)
    audit(session, actor, "add_user", user=user_name, role=role)
    session.flush()
    return account


def find_account(session: Session, user_name: str) -> Account | None:
    """The account a person means by ``user_name``: the stored name exactly (accounts added
    before names were normalised keep theirs), else the normalised name ("ALICE" is alice)."""
    account = session.get(Account, user_name)
    if account is None:
        normalised = user_names.normalise(user_name)
        if normalised != user_name:
            account = session.get(Account, normalised)
    return account


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(session: Session, kind: str, user_name: str, device_id: str, lifetime: timedelta) -> str:
    # Tokens that ran out are of no use to anyone: cleared whenever this device gets new ones.
    session.execute(
        delete(Token).where(Token.device_id == device_id, Token.expires_at <= now()),
        execution_options={"synchronize_session": False},  # none of them is in use here
    )
    token = secrets.token_urlsafe(32)
    session.add(
        Token(
            token_hash=_digest(token),
            kind=kind,
            user_name=user_name,
            device_id=device_id,
            expires_at=now() + lifetime,
        )
    )
    return token


def sign_in(
    session: Session, user_name: str, password: str, device_id: str, device_name: str
) -> tuple[Account, str, str]:
    """Check the password (throttled after repeated failures); register the device; return
    (account, access token, refresh token). Raises SignInRefused or DeviceRevoked.

    A device belongs to the user who enrolled it: signing in with another user's device id is
    refused (it used to hand the device, its tokens' history and its pull position over)."""
    account = find_account(session, user_name)
    if account is not None:
        user_name = account.user_name  # as stored: tokens and devices refer to it
    moment = now()
    if (
        account is not None
        and account.locked_until is not None
        and _aware(account.locked_until) > moment
    ):
        audit(session, user_name, "login_throttled", device_id)
        raise SignInRefused("Too many wrong passwords; wait a few minutes and try again.")
    try:
        hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
        ok = account is not None and account.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        if account is not None:
            account.failed_logins += 1
            if account.failed_logins >= FREE_FAILURES:
                account.locked_until = moment + min(
                    MAX_LOCK, timedelta(seconds=30 * 2 ** (account.failed_logins - FREE_FAILURES))
                )
        audit(session, user_name, "login_failed", device_id)
        raise SignInRefused("The user name or password is wrong.")
    assert account is not None
    account.failed_logins = 0
    account.locked_until = None
    device = session.get(Device, device_id)
    if device is None:
        device = Device(
            id=device_id,
            user_name=user_name,
            name=device_name,
            revoked=False,
            registered_at=moment,
            pending=0,
        )
        session.add(device)
    elif device.revoked:
        audit(session, user_name, "login_revoked_device", device_id)
        raise DeviceRevoked("This laptop has been revoked; its caseload will be wiped.")
    elif device.user_name != user_name:
        audit(session, user_name, "login_foreign_device", device_id, enrolled_for=device.user_name)
        raise SignInRefused(FOREIGN_DEVICE)
    session.flush()
    access = _issue(session, "access", user_name, device_id, ACCESS_LIFETIME)
    refresh = _issue(session, "refresh", user_name, device_id, REFRESH_LIFETIME)
    audit(session, user_name, "login", device_id)
    return account, access, refresh


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def refresh(session: Session, token: str, device_id: str) -> tuple[Account, str, str]:
    """A new access token (and a rotated refresh token) for a valid refresh token."""
    revoked = session.get(Device, device_id)
    if revoked is not None and revoked.revoked:  # before the token: revoking deleted it
        raise DeviceRevoked("This laptop has been revoked; its caseload will be wiped.")
    stored = session.get(Token, _digest(token))
    if (
        stored is None
        or stored.kind != "refresh"
        or _aware(stored.expires_at) <= now()
        or stored.device_id != device_id
    ):
        raise SignInRefused("Your sign-in has expired; sign in again with `keyworker login`.")
    device = session.get(Device, device_id)
    if device is None or device.revoked:
        raise DeviceRevoked("This laptop has been revoked; its caseload will be wiped.")
    if device.user_name != stored.user_name:  # a token from when devices could change hands
        raise SignInRefused(FOREIGN_DEVICE)
    account = session.get(Account, stored.user_name)
    if account is None or not account.active:
        raise SignInRefused("This account is no longer active.")
    # Rotate, but keep the token just presented until its successor is used: if the answer is
    # lost on the way (a dropped or repeated request), the laptop can still refresh with the
    # token it holds instead of being signed out. Tokens issued before this one go (all have
    # the same lifetime, so expiry orders them). Successors issued in the last couple of
    # minutes stay: a repeated request issues one per copy and the laptop may hold any of them
    # (a duplicated refresh used to sign the laptop out; found by
    # tests/drills/test_sync_faults.py). Older unused successors go, so a stolen copy of a
    # token cannot keep a second chain of tokens alive beside the laptop's for long.
    recent = now() + REFRESH_LIFETIME - SIBLING_WINDOW
    for other in session.scalars(
        select(Token).where(
            Token.device_id == device_id,
            Token.kind == "refresh",
            Token.token_hash != stored.token_hash,
            or_(Token.expires_at < stored.expires_at, Token.expires_at < recent),
        )
    ):
        session.delete(other)
    access = _issue(session, "access", account.user_name, device_id, ACCESS_LIFETIME)
    new_refresh = _issue(session, "refresh", account.user_name, device_id, REFRESH_LIFETIME)
    return account, access, new_refresh


def authenticate(session: Session, token: str) -> tuple[Account, Device]:
    stored = session.get(Token, _digest(token))
    if stored is None or stored.kind != "access" or _aware(stored.expires_at) <= now():
        raise SignInRefused("Your sign-in has expired; sign in again.")
    device = session.get(Device, stored.device_id)
    if device is None or device.revoked:
        raise DeviceRevoked("This laptop has been revoked; its caseload will be wiped.")
    if device.user_name != stored.user_name:  # a token from when devices could change hands
        raise SignInRefused(FOREIGN_DEVICE)
    account = session.get(Account, stored.user_name)
    if account is None or not account.active:
        raise SignInRefused("This account is no longer active.")
    return account, device


def revoke_device(session: Session, device_id: str, *, actor: str = "admin") -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise AccountError(f"No device has the id {device_id}; see `keyworker-server devices`.")
    device.revoked = True
    for token in session.scalars(select(Token).where(Token.device_id == device_id)):
        session.delete(token)
    audit(session, actor, "revoke_device", device_id, user=device.user_name)
    return device
