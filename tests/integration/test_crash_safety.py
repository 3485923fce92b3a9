"""Crash safety: a writer killed with SIGKILL loses nothing it reported as committed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from keyworker_app.store.caseload_store import Store
from keyworker_app.store.integrity import check_store
from keyworker_app.store.models import Addendum, Contact, YoungPerson
from keyworker_app.store.recording import draft_contacts

ROOT = Path(__file__).resolve().parents[2]


def run_and_kill(
    folder: Path, key: bytes, young_person_id: str, after: float
) -> list[tuple[str, str]]:
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("crash_writer.py")), str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdin and child.stdout
    child.stdin.write(f"{key.hex()} {young_person_id}\n")
    child.stdin.flush()
    reported: list[tuple[str, str]] = []

    def read() -> None:
        for line in child.stdout:  # type: ignore[union-attr]
            kind, record_id = line.split()
            reported.append((kind, record_id))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 30
    while len(reported) < 5 and time.monotonic() < deadline:  # wait until it is really writing
        time.sleep(0.05)
    time.sleep(after)
    child.send_signal(signal.SIGKILL)
    child.wait()
    reader.join(timeout=5)
    return list(reported)


def test_sigkill_mid_write_loses_no_reported_commit(
    tmp_path: Path, drill_rounds: Callable[[int, int], int]
) -> None:
    """The crash drill: many SIGKILLs at random points (4 in make test, 40 with --long-drills).
    After each, the store opens, integrity and the audit chain hold, every write the writer
    reported is there and every draft comes back with its last acknowledged text."""
    for round_ in range(drill_rounds(4, 40)):
        _one_round(tmp_path / f"round-{round_}", round_)


def _one_round(tmp_path: Path, round_: int) -> None:
    key = os.urandom(32)
    folder = tmp_path / "crash"
    store = Store.create(folder, key, user_name="crash.tester")
    with store.unit_of_work() as uow:
        from datetime import date

        person = YoungPerson(
            reference="CR-1", given_name="Test", family_name="Crash", date_of_birth=date(2010, 1, 1)
        )
        uow.add(person)
        uow.commit()
    store.close()

    reported: list[tuple[str, str]] = []
    rng = random.Random(round_)
    for _ in range(2):
        reported += run_and_kill(folder, key, person.id, after=rng.uniform(0.1, 0.8))
    assert len(reported) >= 10

    reopened = Store.open(folder, key)
    try:
        findings = check_store(reopened)
        assert all(f.ok for f in findings), findings
        with reopened.reading() as session:
            contacts = set(session.scalars(select(Contact.id)))
            addenda = set(session.scalars(select(Addendum.id)))
        assert {i for k, i in reported if k == "contact"} <= contacts
        assert {i for k, i in reported if k == "addendum"} <= addenda
        saved: dict[str, int] = {}
        for kind, value in reported:
            if kind == "draft":
                contact_id, version = value.split(":")
                saved[contact_id] = max(saved.get(contact_id, 0), int(version))
        assert saved, "the writer saved no draft before it was killed"
        with reopened.reading() as session:
            drafts = {c.id: c.narrative for c in draft_contacts(session, "crash.tester")}
        for contact_id, version in saved.items():
            assert contact_id in drafts, "an autosaved draft did not come back"
            stored = int(drafts[contact_id].split()[3])
            assert stored >= version, (contact_id, stored, version)
    finally:
        reopened.close()
