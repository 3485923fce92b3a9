"""Sync speed against a real central store served by uvicorn on loopback.

    .venv/bin/python benchmarks/sync.py [--quick]

PostgreSQL is started with the pgserver package unless --database (or
KEYWORKER_TEST_DATABASE_URL) names one. Measures:
- first sync: a new laptop signs in and receives a whole 500-young-person, 3-year caseload
  (the demo generator's, cached under benchmarks/.stores/, put on the central store by bulk
  insert), on PostgreSQL and on the embedded SQLite default;
- a sync with nothing to do (median of 10);
- pushing 1,000 contacts recorded offline;
- 100 laptops (20 teams of 5, each its own SQLCipher store) recording a contact and syncing at
  the same moment, 3 rounds, against two server processes sharing one PostgreSQL database:
  p50/p95 latency and errors.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

os.environ.setdefault("KEYWORKER_ALLOW_INSECURE_KEYRING", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from desktop import PASSPHRASE, ensure_store  # noqa: E402

PASSWORD = "benchmark password only"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(database_url: str) -> Iterator[str]:
    """`keyworker-server serve` in its own process; yields its address."""
    import httpx

    port = free_port()
    # The server's own log, for when something goes wrong (never a pipe nobody reads).
    log = open(Path(tempfile.gettempdir()) / f"kw-bench-server-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("keyworker-server")),
            "--database",
            database_url,
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(address + "/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"the central store did not start; see {log.name}")
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # idle keep-alive connections hold it open
            process.kill()
            process.wait()
        log.close()


def fresh_database(kind: str, admin_url: str | None, folder: Path) -> str:
    from sqlalchemy import create_engine, text

    if kind == "sqlite":
        path = folder / f"central-{uuid.uuid4().hex[:8]}.db"
        return f"sqlite:///{path}"
    assert admin_url is not None
    name = "kwbench_" + uuid.uuid4().hex[:10]
    url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")


def read_demo(demo_folder: Path) -> tuple[list[dict], list[dict], list[dict], str]:
    """Every record of the demo caseload as central-store rows, all young people in one team
    so that one supervisor's laptop holds the whole caseload."""
    from sqlalchemy import select

    from keyworker_app.security.device_secret import DeviceSecrets
    from keyworker_app.store import lifecycle
    from keyworker_app.store.models import SYNCABLE_MODELS, Team
    from keyworker_app.store.serialise import record_as_dict

    store = lifecycle.unlock_caseload(demo_folder, PASSPHRASE, DeviceSecrets.for_store(demo_folder))
    records, versions, feed = [], [], []
    moment = datetime.now(UTC)
    with store.reading() as session:
        team = session.scalars(select(Team).order_by(Team.name)).first()
        assert team is not None
        for model in SYNCABLE_MODELS:
            record_type = model.__tablename__
            for row in session.scalars(select(model)):
                data = {**record_as_dict(row, with_bookkeeping=False), "id": row.id}
                if record_type == "young_person":
                    data["team_id"] = team.id
                    young_person_id = row.id
                else:
                    young_person_id = data.get("young_person_id")
                team_id = team.id if young_person_id else data.get("team_id")
                seq = len(records) + 1
                key = {"record_type": record_type, "record_id": row.id}
                records.append(
                    {
                        **key,
                        "young_person_id": young_person_id,
                        "team_id": team_id,
                        "version": 1,
                        "deleted": bool(data.get("deleted")),
                        "data": data,
                        "updated_at": moment,
                        "updated_by": "import",
                    }
                )
                versions.append({**key, "version": 1, "data": data})
                feed.append(
                    {
                        **key,
                        "seq": seq,
                        "kind": "record",
                        "young_person_id": young_person_id,
                        "team_id": team_id,
                    }
                )
        team_name = team.name
    store.close()
    return records, versions, feed, team_name


def seed_central(database_url: str, demo: tuple[list[dict], list[dict], list[dict], str]) -> int:
    """Put the demo caseload on the central store by bulk insert (set-up, not timed)."""
    from sqlalchemy import insert, update

    from keyworker_app.server import accounts
    from keyworker_app.server.database import open_database
    from keyworker_app.server.models import ChangeEntry, Record, RecordVersion, SequenceCounter

    records, versions, feed, team_name = demo
    database = open_database(database_url)
    with database.session() as session, session.begin():
        for table, rows in ((Record, records), (RecordVersion, versions), (ChangeEntry, feed)):
            for start in range(0, len(rows), 5000):
                session.execute(insert(table), rows[start : start + 5000])
        session.execute(
            update(SequenceCounter)
            .where(SequenceCounter.name == "change")
            .values(value=len(records))
        )
    with database.session() as session, session.begin():
        accounts.add_user(session, "benchlead", PASSWORD, role="supervisor", team=team_name)
    database.dispose()
    return len(records)


def new_laptop(folder: Path, user: str, address: str):  # type: ignore[no-untyped-def]
    from keyworker_app.security.device_secret import DeviceSecrets
    from keyworker_app.store import lifecycle
    from keyworker_app.sync.client import login
    from tests.conftest import FAST_KDF

    store = lifecycle.create_caseload(
        folder,
        "laptop passphrase words",
        DeviceSecrets.for_store(folder),
        user_name=user,
        kdf=FAST_KDF,
    ).store
    login(store, address, user, PASSWORD)
    return store


def record_contacts(store, count: int, text: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from keyworker_app.domain.vocabulary import ContactType
    from keyworker_app.store.models import YoungPerson
    from keyworker_app.store.recording import ContactDetails, add_contact

    with store.reading() as session:
        people = list(session.scalars(select(YoungPerson.id).order_by(YoungPerson.id)))
    for n in range(count):
        add_contact(
            store,
            people[n % len(people)],
            ContactDetails(
                ContactType.PHONE, f"{text} {n}", occurred_at=datetime(2026, 11, 2, tzinfo=UTC)
            ),
            finalise=True,
        )


def first_sync(
    kind: str, admin_url: str | None, demo: tuple, folder: Path, push: bool, quick: bool
) -> dict:
    from keyworker_app.sync.client import sync

    url = fresh_database(kind, admin_url, folder)
    seeded = seed_central(url, demo)
    with server(url) as address:
        store = new_laptop(folder / f"first-{kind}-{uuid.uuid4().hex[:6]}", "benchlead", address)
        started = time.perf_counter()
        report = sync(store)
        first = time.perf_counter() - started
        idle = []
        for _ in range(5 if quick else 10):
            started = time.perf_counter()
            sync(store)
            idle.append(time.perf_counter() - started)
        health = health_round_trip(address)
        push_time, pushed_rows = 0.0, []
        if push:
            record_contacts(store, pushed_count(quick), "offline contact")
            pushed_rows = outbox_rows(store)
            started = time.perf_counter()
            pushed = sync(store)
            push_time = time.perf_counter() - started
            assert pushed.accepted == pushed_count(quick), pushed
        store.close()
    assert report.pulled >= seeded * 0.99, (report.pulled, seeded)
    return {
        "records": report.pulled,
        "first_s": first,
        "per_s": report.pulled / first,
        "idle_ms": statistics.median(idle) * 1000,
        "health_ms": health * 1000,
        "push_s": push_time,
        "pushed_rows": pushed_rows,
    }


def outbox_rows(store) -> list[dict]:  # type: ignore[no-untyped-def]
    """The contacts waiting to be pushed, as the baseline sends them."""
    from sqlalchemy import select

    from keyworker_app.store.models import Contact, OutboxEntry
    from keyworker_app.store.serialise import record_as_dict

    with store.reading() as session:
        waiting = set(session.scalars(select(OutboxEntry.record_id)))
        return [
            {
                "record_type": "contact",
                "record_id": c.id,
                "version": c.version,
                "data": record_as_dict(c, with_bookkeeping=False),
            }
            for c in session.scalars(select(Contact))
            if c.id in waiting
        ]


def concurrent_devices(admin_url: str, devices: int, folder: Path, rounds: int = 3) -> dict:
    from keyworker_app.domain.caseload_csv import parse_caseload_csv
    from keyworker_app.server import accounts
    from keyworker_app.server.database import open_database
    from keyworker_app.server.importing import import_central
    from keyworker_app.sync.client import sync

    url = fresh_database("postgresql", admin_url, folder)
    database = open_database(url)
    teams = max(1, devices // 5)
    users = [(f"worker{n:03d}", f"Team {n % teams:02d}") for n in range(devices)]
    lines = [
        "reference,given_name,family_name,date_of_birth,team,keyworker,school,"
        "referral_date,risk_category"
    ]
    for n in range(teams * 10):
        keyworker = (
            users[n % devices][0] if users[n % devices][1] == f"Team {n % teams:02d}" else ""
        )
        lines.append(
            f"C{n:04d},Young,Person{n},2009-01-01,Team {n % teams:02d},{keyworker},"
            "Oak High,2025-01-01,other"
        )
    with database.session() as session, session.begin():
        for t in range(teams):
            accounts.add_team(session, f"Team {t:02d}")
        for name, team in users:
            accounts.add_user(session, name, PASSWORD, role="keyworker", team=team)
    with database.session() as session, session.begin():
        import_central(
            session, parse_caseload_csv("\n".join(lines).encode() + b"\n", today=date(2026, 11, 1))
        )
    database.dispose()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    with server(url) as one, server(url) as two:
        stores = [
            new_laptop(folder / f"devices{devices}-{n}", name, (one, two)[n % 2])
            for n, (name, _) in enumerate(users)
        ]
        for store in stores:
            sync(store)  # each laptop's first sync, before the rush
        alone = []
        for store in stores[:5]:  # the same sync with nobody else syncing: the baseline
            record_contacts(store, 1, "alone")
            started = time.perf_counter()
            sync(store)
            alone.append(time.perf_counter() - started)
        for round_number in range(rounds):
            for store in stores:
                record_contacts(store, 1, f"round {round_number}")
            barrier = threading.Barrier(devices)

            def one_device(store, barrier=barrier) -> None:  # type: ignore[no-untyped-def]
                barrier.wait()
                started = time.perf_counter()
                try:
                    report = sync(store)
                    # (more than one when an earlier round's change was kept for later)
                    assert report.accepted >= 1 and report.rejected == 0, report
                except Exception as error:  # noqa: BLE001 - counted and reported
                    with lock:
                        errors.append(f"{type(error).__name__}: {error}")
                    return
                with lock:
                    latencies.append(time.perf_counter() - started)

            with ThreadPoolExecutor(max_workers=devices) as pool:
                list(pool.map(one_device, stores))
        for store in stores:
            store.close()
    latencies.sort()
    return {
        "syncs": len(latencies),
        "errors": errors,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else float("nan"),
        "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
        "alone_ms": statistics.median(alone) * 1000,
    }


class _Receiver:
    """The baseline: a bare HTTP server on loopback that takes one JSON body of records and
    inserts them with plain SQL into a plain SQLite file. No auth, no merge, no audit."""

    def __init__(self, folder: Path) -> None:
        import json
        import sqlite3
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.path = folder / f"baseline-{uuid.uuid4().hex[:8]}.db"
        target = self.path

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                rows = json.loads(body)
                db = sqlite3.connect(target)
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = FULL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS record (record_type TEXT, record_id TEXT, "
                    "version INTEGER, data TEXT, PRIMARY KEY (record_type, record_id))"
                )
                db.executemany(
                    "INSERT OR REPLACE INTO record VALUES (?, ?, ?, ?)",
                    [
                        (r["record_type"], r["record_id"], r["version"], json.dumps(r["data"]))
                        for r in rows
                    ],
                )
                db.commit()
                db.close()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def send(self, records: list[dict]) -> float:
        import json

        import httpx

        from keyworker_app.store.serialise import to_json_value

        started = time.perf_counter()
        body = json.dumps(
            [
                {
                    "record_type": r["record_type"],
                    "record_id": r["record_id"],
                    "version": r["version"],
                    "data": {k: to_json_value(v) for k, v in r["data"].items()},
                }
                for r in records
            ]
        )
        httpx.post(self.address, content=body, timeout=600).raise_for_status()
        return time.perf_counter() - started

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def health_round_trip(address: str, rounds: int = 10) -> float:
    import httpx

    times = []
    with httpx.Client() as client:
        for _ in range(rounds):
            started = time.perf_counter()
            client.get(address + "/v1/health").raise_for_status()
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def figures(quick: bool) -> list:  # type: ignore[type-arg]
    """First sync at 1x, 4x and 16x the demo caseload used by the desktop benchmark, a no-op
    sync and offline contacts pushed, on PostgreSQL (and SQLite, the embedded default, in the
    full run); then laptops syncing at once on PostgreSQL."""
    import keyring
    from harness import Figure, scratch

    from tests.conftest import MemoryKeyring

    years = 1 if quick else 3
    top = 500 if quick else 2000
    folder = scratch("sync")
    t0 = time.perf_counter()
    # Built (and unlocked, on the file keyring of desktop.py) before the laptops' keyring.
    demos = {scale: read_demo(ensure_store(top * scale // 16, years)) for scale in (1, 4, 16)}
    print(f"  sync: demo caseloads read, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())  # the laptops' sign-ins
    admin_url = os.environ.get("KEYWORKER_TEST_DATABASE_URL")
    pg = None
    if admin_url is None:
        import pgserver

        pg = pgserver.get_server(folder / "pg", cleanup_mode="stop")
        admin_url = pg.get_uri()
    print(f"  sync: PostgreSQL ready, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    out = []
    receiver = _Receiver(folder)
    try:
        kinds = ("postgresql",) if quick else ("postgresql", "sqlite")
        for scale, demo in demos.items():
            baseline = receiver.send(demo[0])
            tag = f"{scale}x"
            size = f"{top * scale // 16:,} young people x {years} y"
            for kind in kinds:
                f = first_sync(kind, admin_url, demo, folder, push=scale == 16, quick=quick)
                out.append(
                    Figure(
                        f"sync first sync, {kind} ({size}, {f['records']:,.0f} records)",
                        f["per_s"],
                        "records/s",
                        f["records"] / baseline,
                        "one JSON body on loopback + plain SQL insert",
                        higher_is_better=True,
                        group="sync",
                        scale=tag,
                    )
                )
                if scale == 16:
                    out.append(
                        Figure(
                            f"sync with nothing to do, {kind}",
                            f["idle_ms"],
                            "ms",
                            f["health_ms"],
                            "one HTTP request to the same server",
                            group="sync",
                        )
                    )
                    out.append(
                        Figure(
                            f"sync push of {pushed_count(quick):,} contacts recorded offline, "
                            + kind,
                            pushed_count(quick) / f["push_s"],
                            "records/s",
                            pushed_count(quick) / receiver.send(f["pushed_rows"]),
                            "one JSON body on loopback + plain SQL insert",
                            higher_is_better=True,
                            group="sync",
                        )
                    )
            print(
                f"  sync {tag}: {size} measured, {time.perf_counter() - t0:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        for devices in (10,) if quick else (6, 25, 100):
            c = concurrent_devices(admin_url, devices, folder, rounds=2 if quick else 3)
            label = f"{devices} laptops syncing at once, postgresql"
            tag = "" if quick else {6: "1x", 25: "4x", 100: "16x"}[devices]
            alone = "the same sync by one laptop alone"
            out.append(
                Figure(
                    f"sync {label}: p50",
                    c["p50_ms"],
                    "ms",
                    c["alone_ms"],
                    alone,
                    group="sync",
                    scale=tag,
                )
            )
            out.append(
                Figure(
                    f"sync {label}: p95",
                    c["p95_ms"],
                    "ms",
                    c["alone_ms"],
                    alone,
                    group="sync",
                    scale=tag,
                )
            )
            out.append(
                Figure(
                    f"sync {label}: errors",
                    len(c["errors"]),
                    "errors",
                    group="sync",
                    scale=tag,
                    detail="; ".join(c["errors"][:3]),
                )
            )
            print(
                f"  sync: {devices} laptops measured, {time.perf_counter() - t0:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    finally:
        receiver.close()
        keyring.set_keyring(previous)
        if pg is not None:
            pg.cleanup()
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return out


def pushed_count(quick: bool) -> int:
    return 250 if quick else 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    from harness import table

    print(table(figures(args.quick)))


if __name__ == "__main__":
    main()
