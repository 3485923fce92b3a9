"""The store's own workload on SQLCipher against the same SQLAlchemy workload on plain SQLite.

    .venv/bin/python benchmarks/store.py [--quick]

For each size (1x, 4x and 16x the notes; 16x is 200,000 notes in the full run) two stores are
filled with the same synthetic caseload by the app's bulk path (``insert_many``: audit chain,
outbox and search index included): one the app's encrypted store, one identical but opened with
Python's plain ``sqlite3`` and no key (this exists only here). Then the same workload runs on
both:
- write: recording and finalising contacts one by one, each its own unit of work (audit, outbox,
  search index, an fsync'd commit: ``synchronous=FULL`` on both);
- read: the whole caseload list, then whole young person's records;
- search: the app's full-text search for words a worker would type, p50 and p95.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from harness import Figure, median, percentile, scratch  # noqa: E402

SENTENCES = [
    "Met at the youth hub after school and talked about the week.",
    "Said things at home have been calmer since the family meeting.",
    "We went through the safety plan together and updated who to call.",
    "School attendance is up this half term; two late marks only.",
    "Worried about older friends and where they go at weekends.",
    "Agreed to meet again on Thursday at the usual place.",
    "Carer said the evenings are easier when there is a plan for tea.",
    "Talked about what helps when feeling angry: music, walking, texting me.",
    "Missed the appointment; left a voicemail and texted to rearrange.",
    "Football training on Tuesdays is going well and the coach is supportive.",
]
QUERIES = [
    "safety plan", "football", "voicemail", "family meeting", "attend", "older friends",
    "music walking", "calmer", "coach", "rearrange", "Thursday", "evenings tea",
]  # fmt: skip
GIVEN = ["Amani", "Leon", "Maya", "Kai", "Zara", "Oskar", "Nia", "Rhys", "Ayaan", "Lena"]
FAMILY = ["Tesfaye", "Jones", "Kowalski", "Ahmed", "Evans", "Okafor", "Murphy", "Nowak"]
NOTES_PER_PERSON = 50
PLAIN = "plain SQLite, same SQLAlchemy"


def narrative(rng: random.Random) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(3, 7)))


def _plain_engine(path: Path, key: bytes) -> Any:
    """The store's engine, minus encryption: the same SQLAlchemy set-up and pragmas over the
    standard library's sqlite3. Only ever used as this benchmark's baseline."""
    import sqlite3

    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        for pragma in (
            "temp_store = MEMORY",
            "cache_size = -32768",
            "journal_mode = WAL",
            "synchronous = FULL",
            "foreign_keys = ON",
            "busy_timeout = 10000",
        ):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    engine = create_engine(
        "sqlite+pysqlite://", creator=connect, poolclass=QueuePool, pool_size=4, max_overflow=4
    )

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("keyworker_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def open_store(folder: Path, encrypted: bool) -> Iterator[Any]:
    from keyworker_app.store import caseload_store
    from keyworker_app.store.caseload_store import Store

    real = caseload_store.create_store_engine
    if not encrypted:
        caseload_store.create_store_engine = _plain_engine  # type: ignore[assignment]
    try:
        store = Store.create(folder, os.urandom(32), user_name="bench.worker")
    finally:
        caseload_store.create_store_engine = real  # type: ignore[assignment]
    try:
        yield store
    finally:
        store.close()


def fill(store: Any, notes: int, seed: int = 5) -> list[str]:
    """``notes`` finalised contacts over notes/50 young people in 4 teams; returns their ids."""
    from keyworker_app.domain.vocabulary import ContactType, RecordStatus, Role
    from keyworker_app.store.models import Contact, Staff, Team, YoungPerson

    rng = random.Random(seed)
    people_count = max(1, notes // NOTES_PER_PERSON)
    with store.unit_of_work() as uow:
        teams = uow.insert_many(Team, [{"name": f"Hub {n}"} for n in range(4)])
        staff = uow.insert_many(
            Staff,
            [
                {
                    "user_name": "bench.worker" if n == 0 else f"worker.{n}",
                    "display_name": f"Worker {n}",
                    "role": Role.KEYWORKER,
                    "team_id": teams[n % 4],
                }
                for n in range(max(4, people_count // 12))
            ],
        )
        people = uow.insert_many(
            YoungPerson,
            [
                {
                    "reference": f"BN-{n:06d}",
                    "given_name": GIVEN[n % len(GIVEN)],
                    "family_name": FAMILY[n % len(FAMILY)],
                    "date_of_birth": date(2008 + n % 6, 1 + n % 12, 1 + n % 28),
                    "team_id": teams[n % 4],
                    "keyworker_id": staff[n % len(staff)],
                }
                for n in range(people_count)
            ],
        )
        uow.commit()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for chunk in range(0, notes, 10_000):
        with store.unit_of_work() as uow:
            rows = []
            for n in range(chunk, min(notes, chunk + 10_000)):
                moment = start + timedelta(hours=7 * n)
                rows.append(
                    {
                        "young_person_id": people[n % people_count],
                        "occurred_at": moment,
                        "contact_type": ContactType.FACE_TO_FACE,
                        "narrative": narrative(rng),
                        "purpose": "Keyworker session",
                        "present": [],
                        "worries": [],
                        "significant": False,
                        "status": RecordStatus.FINAL,
                        "author": "bench.worker",
                        "finalised_at": moment,
                        "finalised_by": "bench.worker",
                    }
                )
            uow.insert_many(Contact, rows)
            uow.commit()
    return people


def workload(store: Any, people: list[str], writes: int, reads: int) -> dict[str, list[float]]:
    from keyworker_app.domain.vocabulary import ContactType
    from keyworker_app.store.caseload import caseload
    from keyworker_app.store.record import load_record
    from keyworker_app.store.recording import ContactDetails, add_contact
    from keyworker_app.store.search import search

    rng = random.Random(9)
    times: dict[str, list[float]] = {"write": [], "caseload": [], "record": [], "search": []}
    when = datetime(2026, 11, 2, 10, tzinfo=UTC)
    for n in range(writes):
        details = ContactDetails(ContactType.PHONE, narrative(rng), occurred_at=when)
        started = time.perf_counter()
        add_contact(store, people[n % len(people)], details, finalise=True)
        times["write"].append(time.perf_counter() - started)
    today = date(2026, 11, 20)
    for _ in range(2):
        started = time.perf_counter()
        with store.reading() as session:
            rows = caseload(session, today=today)
        times["caseload"].append(time.perf_counter() - started)
        assert len(rows) == len(people)
    for n in range(reads):
        started = time.perf_counter()
        with store.reading() as session:
            load_record(session, people[(n * 7919) % len(people)], today=today)
        times["record"].append(time.perf_counter() - started)
    for query in QUERIES:
        started = time.perf_counter()
        with store.reading() as session:
            hits = search(session, query)
        times["search"].append(time.perf_counter() - started)
        assert hits, query
    return times


def measure(
    notes: int, writes: int, reads: int, rounds: int = 3
) -> dict[str, dict[str, list[float]]]:
    """Both stores side by side, the workload in turns (a third at a time, each store going
    first in turn), so a busy moment on the machine falls on both alike."""
    from contextlib import ExitStack

    results: dict[str, dict[str, list[float]]] = {}
    folder = scratch("store")
    with ExitStack() as stack:
        stores, people = {}, {}
        for label, encrypted in (("sqlcipher", True), ("sqlite", False)):
            stores[label] = stack.enter_context(open_store(folder / label, encrypted))
            started = time.perf_counter()
            people[label] = fill(stores[label], notes)
            results[label] = {"load": [time.perf_counter() - started]}
        for round_ in range(rounds):
            order = list(stores) if round_ % 2 == 0 else list(reversed(stores))
            for label in order:
                times = workload(stores[label], people[label], writes // rounds, reads // rounds)
                for kind, values in times.items():
                    results[label].setdefault(kind, []).extend(values)
    shutil.rmtree(folder, ignore_errors=True)
    return results


def figures(quick: bool) -> list[Figure]:
    base = 2_000 if quick else 12_500
    writes, reads = (60, 30) if quick else (200, 60)
    out: list[Figure] = []
    for scale in (1, 4, 16):
        notes = base * scale
        r = measure(notes, writes, reads)
        c, p = r["sqlcipher"], r["sqlite"]
        tag = f"{scale}x"
        size = f"{notes:,} notes"

        def pair(
            name: str, a: float, b: float, unit: str, size: str = size, tag: str = tag
        ) -> None:
            out.append(
                Figure(f"{name} ({size})", a, unit, b, PLAIN, aim=1.5, group="store", scale=tag)
            )

        pair("store write, record one contact", median(c["write"]) * 1e3,
             median(p["write"]) * 1e3, "ms")  # fmt: skip
        pair("store read, caseload list", median(c["caseload"]) * 1e3,
             median(p["caseload"]) * 1e3, "ms")  # fmt: skip
        pair("store read, one whole record", median(c["record"]) * 1e3,
             median(p["record"]) * 1e3, "ms")  # fmt: skip
        pair("store search p50", median(c["search"]) * 1e3, median(p["search"]) * 1e3, "ms")
        out.append(
            Figure(
                f"search p50 over {size}",
                median(c["search"]) * 1e3,
                "ms",
                median(p["search"]) * 1e3,
                PLAIN,
                group="search",
                scale=tag,
            )
        )
        out.append(
            Figure(
                f"search p95 over {size}",
                percentile(c["search"], 0.95) * 1e3,
                "ms",
                percentile(p["search"], 0.95) * 1e3,
                PLAIN,
                group="search",
                scale=tag,
            )
        )
        out.append(
            Figure(
                f"bulk load {size} (import path)",
                c["load"][0],
                "s",
                p["load"][0],
                PLAIN,
                group="store",
                scale=tag,
                aim=None,
            )
        )
        print(f"  store {tag}: {size} measured", file=sys.stderr, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    from harness import table

    print(table(figures(args.quick)))


if __name__ == "__main__":
    main()
