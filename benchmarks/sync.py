"""Sync speed against a real central store served by uvicorn on loopback.

    .venv/bin/python benchmarks/sync.py [--young-people 500] [--years 3] [--devices 100]
                                        [--database postgresql://...] [--skip-sqlite]

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


def first_sync(kind: str, admin_url: str | None, demo: tuple, folder: Path) -> dict[str, float]:
    from keyworker_app.sync.client import sync

    url = fresh_database(kind, admin_url, folder)
    seeded = seed_central(url, demo)
    with server(url) as address:
        store = new_laptop(folder / f"first-{kind}", "benchlead", address)
        started = time.perf_counter()
        report = sync(store)
        first = time.perf_counter() - started
        idle = []
        for _ in range(10):
            started = time.perf_counter()
            sync(store)
            idle.append(time.perf_counter() - started)
        record_contacts(store, 1000, "offline contact")
        started = time.perf_counter()
        pushed = sync(store)
        push_time = time.perf_counter() - started
        store.close()
    assert report.pulled >= seeded * 0.99, (report.pulled, seeded)
    assert pushed.accepted == 1000, pushed
    return {
        "records": report.pulled,
        "first_s": first,
        "per_s": report.pulled / first,
        "idle_ms": statistics.median(idle) * 1000,
        "push_s": push_time,
    }


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
            new_laptop(folder / f"device-{n}", name, (one, two)[n % 2])
            for n, (name, _) in enumerate(users)
        ]
        for store in stores:
            sync(store)  # each laptop's first sync, before the rush
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
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--young-people", type=int, default=500)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--database", default=os.environ.get("KEYWORKER_TEST_DATABASE_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--part", choices=("all", "first", "devices"), default="all")
    args = parser.parse_args()
    demo = read_demo(ensure_store(args.young_people, args.years)) if args.part != "devices" else ()

    import keyring

    from tests.conftest import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())  # the laptops' sign-ins; the demo store is unlocked
    folder = Path(tempfile.mkdtemp(prefix="kw-sync-bench-"))
    admin_url = args.database
    pg = None
    if admin_url is None:
        import pgserver

        pg = pgserver.get_server(folder / "pg", cleanup_mode="stop")
        admin_url = pg.get_uri()
    print(f"sync benchmark: {args.young_people} young people x {args.years} years")
    kinds = ("postgresql",) + (() if args.skip_sqlite else ("sqlite",))
    for kind in kinds if args.part in ("all", "first") else ():
        f = first_sync(kind, admin_url, demo, folder)
        print(
            f"{kind:>10} first sync: {f['records']:,.0f} records in {f['first_s']:.1f} s "
            f"({f['per_s']:,.0f} records/s); nothing to do: {f['idle_ms']:.0f} ms median; "
            f"1,000 offline contacts pushed in {f['push_s']:.1f} s"
        )
    if args.part == "first":
        return
    c = concurrent_devices(admin_url, args.devices, folder)
    print(
        f"{args.devices} laptops syncing at once (PostgreSQL, 2 server processes): "
        f"{c['syncs']} syncs, p50 {c['p50_ms']:.0f} ms, p95 {c['p95_ms']:.0f} ms, "
        f"max {c['max_ms']:.0f} ms, {len(c['errors'])} errors"
    )
    for error in c["errors"][:5]:
        print("  error:", error)
    if pg is not None:
        pg.cleanup()


if __name__ == "__main__":
    main()
