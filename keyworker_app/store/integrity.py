"""``keyworker check``: is the store whole? Encryption pages, SQLite structure, the search index,
references between records, the schema version, and the audit chain."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from keyworker_app.security.audit_chain import AuditLink, verify_chain
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.schema import current_revision, head_revision


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


def _cipher(connection: Connection) -> Finding:
    problems = connection.exec_driver_sql("PRAGMA cipher_integrity_check").fetchall()
    pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
    if problems:
        return Finding("SQLCipher pages", False, f"{len(problems)} damaged: {problems[0][0]}")
    return Finding("SQLCipher pages", True, f"{pages:,} pages authenticated")


def _sqlite(connection: Connection) -> Finding:
    rows = [r[0] for r in connection.exec_driver_sql("PRAGMA integrity_check").fetchall()]
    if rows == ["ok"]:
        return Finding("SQLite structure", True, "ok")
    return Finding("SQLite structure", False, f"{len(rows)} problems, first: {rows[0]}")


def _foreign_keys(connection: Connection) -> Finding:
    rows = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if not rows:
        return Finding("Record references", True, "every reference points at a record")
    return Finding("Record references", False, f"{len(rows)} broken, first in table {rows[0][0]}")


def _search_index(connection: Connection) -> Finding:
    try:
        connection.exec_driver_sql(
            "INSERT INTO search_text(search_text) VALUES ('integrity-check')"
        )
    except Exception as error:  # noqa: BLE001 - any failure here means the index is damaged
        return Finding("Search index", False, f"damaged ({type(error).__name__})")
    documents = connection.exec_driver_sql("SELECT count(*) FROM search_document").scalar_one()
    entries = connection.exec_driver_sql("SELECT count(*) FROM search_text").scalar_one()
    if documents != entries:
        return Finding("Search index", False, f"{documents} documents but {entries} index entries")
    return Finding("Search index", True, f"{documents:,} documents indexed")


def _schema(connection: Connection) -> Finding:
    revision, head = current_revision(connection), head_revision()
    return Finding("Schema version", revision == head, f"{revision} (this version expects {head})")


def _audit_links(connection: Connection) -> Iterator[tuple[AuditLink, str]]:
    result = connection.exec_driver_sql(
        "SELECT seq, occurred_at, actor, device_id, action, record_type, record_id, "
        "young_person_id, detail, prev_hash, hash FROM audit_event ORDER BY seq"
    )
    for row in result:
        link = AuditLink(
            seq=row[0],
            occurred_at=row[1],
            actor=row[2],
            device_id=row[3],
            action=row[4],
            record_type=row[5],
            record_id=row[6],
            young_person_id=row[7],
            detail=json.loads(row[8]) if row[8] else {},
            prev_hash=row[9],
        )
        yield link, row[10]


def _audit_chain(connection: Connection) -> Finding:
    broken = verify_chain(_audit_links(connection))
    if broken is not None:
        return Finding("Audit chain", False, f"broken at event {broken.seq}: {broken.reason}")
    count, last = connection.exec_driver_sql(
        "SELECT count(*), coalesce(max(seq), 0) FROM audit_event"
    ).one()
    highest = connection.exec_driver_sql(
        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit_event'), 0)"
    ).scalar_one()
    if highest > last:
        return Finding("Audit chain", False, f"events {last + 1} to {highest} have been removed")
    return Finding("Audit chain", True, f"{count:,} events, every link holds")


@dataclass(frozen=True)
class Anchor:
    """The head of this laptop's audit chain as the central store received it: events up to
    ``seq`` must be here, unchanged. ``source`` says where the anchor was read."""

    source: str
    seq: int
    hash: str
    anchored_at: datetime | None = None
    problem: str | None = None  # the anchor could not be read (offline, say)


def _anchored(connection: Connection, anchor: Anchor) -> Finding:
    check = f"Audit anchor ({anchor.source})"
    if anchor.problem:
        return Finding(check, True, f"not checked: {anchor.problem}")
    when = f" on {anchor.anchored_at:%d %b %Y}" if anchor.anchored_at else ""
    highest = connection.exec_driver_sql(
        "SELECT coalesce(max(seq), 0) FROM audit_event"
    ).scalar_one()
    if highest < anchor.seq:
        return Finding(
            check,
            False,
            f"events {highest + 1} to {anchor.seq}, which the central store received{when}, "
            "are missing here",
        )
    stored = connection.exec_driver_sql(
        "SELECT hash FROM audit_event WHERE seq = ?", (anchor.seq,)
    ).scalar()
    if anchor.seq and stored != anchor.hash:
        return Finding(
            check,
            False,
            f"event {anchor.seq} is not the one the central store received{when}: the trail up "
            "to it was changed or events were removed and the rest re-hashed",
        )
    return Finding(check, True, f"events up to {anchor.seq:,} match the central store's copy")


def check_store(store: Store, anchors: Sequence[Anchor] = ()) -> list[Finding]:
    """Run every check on one snapshot. Nothing is changed (the search check is rolled back).
    ``anchors``: heads of this laptop's audit chain as the central store received them."""
    with store.write_engine.connect() as connection, connection.begin() as transaction:
        findings = [
            _cipher(connection),
            _sqlite(connection),
            _foreign_keys(connection),
            _schema(connection),
            _search_index(connection),
            _audit_chain(connection),
            *(_anchored(connection, anchor) for anchor in anchors),
        ]
        transaction.rollback()
    return findings
