"""Security checks: the central store fixtures of tests/sync on SQLite only (fast), a team with a
few cases, and a clock the central store's accounts read, so tokens and locks can be aged
without sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from keyworker_app.domain.caseload_csv import parse_caseload_csv
from keyworker_app.server import accounts
from keyworker_app.server.database import Database, open_database
from keyworker_app.server.importing import import_central
from tests.sync.conftest import add_people

# The central store fixtures of tests/sync, re-exported for the checks here (on `central` below).
from tests.sync.conftest import laptop as laptop
from tests.sync.conftest import service as service

CASES = (
    "reference,given_name,family_name,date_of_birth,team,keyworker,school,referral_date,"
    "risk_category\n"
    "A001,Ava,Stone,2008-01-01,A,kw1,Oak High,2024-01-01,other\n"
    "A002,Ben,Hart,2009-02-02,A,kw2,Oak High,2024-02-02,other\n"
    "B001,Eve,Moss,2008-05-05,B,kwb,Ash School,2024-03-03,other\n"
)


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its cheapest for the accounts made here: the throttling checks sign in dozens
    of times, and the hash's cost is not what they check (each hash carries its parameters)."""
    monkeypatch.setattr(
        accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Database]:
    """An empty central store (SQLite: these checks are about accounts, not the backend)."""
    database = open_database(data_dir=tmp_path / "central")
    yield database
    database.dispose()


@pytest.fixture
def teams(central: Database) -> Database:
    add_people(
        central,
        ("kw1", "keyworker", "A"),
        ("kw2", "keyworker", "A"),
        ("kwb", "keyworker", "B"),
    )
    with central.session() as session, session.begin():
        import_central(session, parse_caseload_csv(CASES.encode(), today=date(2026, 11, 1)))
    return central


@dataclass
class Clock:
    """The central store's idea of now: the real time moved by ``travel``."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def travel(self, **amount: float) -> None:
        self.offset += timedelta(**amount)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """accounts.py reads the time through its ``now`` (from server.records): move that one."""
    moved = Clock()
    monkeypatch.setattr(accounts, "now", moved.now)
    return moved
