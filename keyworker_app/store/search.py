"""Full-text search over contact narratives, addenda and form answers.

The index is an FTS5 table inside the encrypted store, so search text is as protected as the
records. The unit of work keeps it current; ``search`` reads it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from keyworker_app.store.models import Addendum, Contact, FormResponse, Syncable

INDEXED_TYPES = (Contact, Addendum, FormResponse)


def _answer_text(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _answer_text(item)
    elif isinstance(value, list):
        for item in value:
            yield from _answer_text(item)


INDEXED_TABLES = frozenset(model.__tablename__ for model in INDEXED_TYPES)


@dataclass(frozen=True)
class SearchDocument:
    """What the index holds for one record."""

    record_type: str
    record_id: str
    young_person_id: str | None
    occurred: str | None
    body: str
    deleted: bool = False
    is_new: bool = False  # a record inserted in this unit of work has nothing to replace


def _iso(value: Any) -> str | None:
    # The same text form the columns store, so dates sort the same in the index.
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return None if value is None else str(value)


def document_from_values(
    record_type: str, values: Mapping[str, Any], *, is_new: bool = False
) -> SearchDocument:
    """The index entry for a record of ``record_type`` given its column values."""
    if record_type == "contact":
        parts = [values.get("purpose"), values.get("narrative"), values.get("own_words")]
        body, when = "\n".join(p for p in parts if p), values.get("occurred_at")
    elif record_type == "addendum":
        body, when = values.get("text") or "", values.get("written_at")
    elif record_type == "form_response":
        body = "\n".join(_answer_text(values.get("answers") or {}))
        when = values.get("finalised_at") or values.get("updated_at")
    else:
        raise TypeError(f"{record_type} records are not searchable")
    return SearchDocument(
        record_type=record_type,
        record_id=values["id"],
        young_person_id=values.get("young_person_id"),
        occurred=_iso(when),
        body=BIDI_CONTROLS.sub(" ", body),
        deleted=bool(values.get("deleted")),
        is_new=is_new,
    )


def document_of(record: Syncable) -> SearchDocument:
    columns = record.__table__.columns.keys()
    return document_from_values(record.__tablename__, {c: getattr(record, c) for c in columns})


def reindex(session: Session, documents: Sequence[SearchDocument]) -> None:
    """Bring the index up to date for these records (tombstoned ones are taken out)."""
    if not documents:
        return
    ids = [d.record_id for d in documents if not d.is_new]
    existing: dict[str, int] = {}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        marks = ",".join(f":i{n}" for n in range(len(chunk)))
        found = session.execute(
            text(f"SELECT record_id, id FROM search_document WHERE record_id IN ({marks})"),
            {f"i{n}": v for n, v in enumerate(chunk)},
        )
        existing.update({row[0]: row[1] for row in found})
    if existing:
        gone = [{"id": doc_id} for doc_id in existing.values()]
        session.execute(text("DELETE FROM search_text WHERE rowid = :id"), gone)
        session.execute(text("DELETE FROM search_document WHERE id = :id"), gone)
    next_id = session.execute(
        text("SELECT coalesce(max(id), 0) + 1 FROM search_document")
    ).scalar_one()
    rows: list[dict[str, Any]] = []
    bodies: list[dict[str, Any]] = []
    for document in documents:
        if document.deleted:
            continue
        rows.append(
            {
                "id": next_id,
                "record_type": document.record_type,
                "record_id": document.record_id,
                "young_person_id": document.young_person_id,
                "occurred": document.occurred,
            }
        )
        bodies.append({"id": next_id, "body": document.body})
        next_id += 1
    if rows:
        session.execute(
            text(
                "INSERT INTO search_document "
                "(id, record_type, record_id, young_person_id, occurred) "
                "VALUES (:id, :record_type, :record_id, :young_person_id, :occurred)"
            ),
            rows,
        )
        session.execute(text("INSERT INTO search_text (rowid, body) VALUES (:id, :body)"), bodies)


@dataclass(frozen=True)
class SearchHit:
    record_type: str
    record_id: str
    young_person_id: str | None
    reference: str | None
    name: str | None
    occurred: datetime | None
    snippet: str


# Bidi controls (marks, embeddings, isolates) that messaging apps wrap around names: FTS5's
# tokenizer counts them as letters, so "\u2068Amira\u2069" would not match "Amira". They
# separate words in the index and in queries alike.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSEARCHABLE = re.compile("[\x00\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_QUERY_WORDS = 64


def fts_query(user_text: str) -> str | None:
    """The user's words as an FTS5 query: every word must match, the last one as a prefix so
    results appear while typing. FTS syntax in the input is treated as plain text."""
    # A NUL ends an FTS5 string early ("unterminated string", which escaped to the user as an
    # error), and a lone surrogate cannot be sent to SQLite at all: both only separate words.
    words = [w for w in _UNSEARCHABLE.sub(" ", user_text.replace('"', " ")).split() if w]
    if not words:
        return None
    # FTS5 takes time quadratic in repeated terms (a pasted page of text took minutes): each
    # word once, and no more than a search box ever needs. Fewer words only widen the results.
    *others, last = words
    exact = list(dict.fromkeys(w for w in others if w != last))[: MAX_QUERY_WORDS - 1]
    return " ".join([*(f'"{w}"' for w in exact), f'"{last}"*'])


def search(
    session: Session,
    user_text: str,
    *,
    young_person_ids: Iterable[str] | None = None,
    limit: int = 50,
) -> list[SearchHit]:
    """Records whose text matches ``user_text``, best first.

    ``young_person_ids`` limits the results to those young people (the caseload the user may see).
    """
    query = fts_query(user_text)
    if query is None:
        return []
    sql = (
        "SELECT d.record_type, d.record_id, d.young_person_id, yp.reference, "
        "coalesce(yp.preferred_name, yp.given_name) || ' ' || yp.family_name, d.occurred, "
        "snippet(search_text, 0, '[', ']', '…', 12) "
        "FROM search_text JOIN search_document d ON d.id = search_text.rowid "
        "LEFT JOIN young_person yp ON yp.id = d.young_person_id "
        "WHERE search_text MATCH :query"
    )
    params: dict[str, Any] = {"query": query, "limit": limit}
    if young_person_ids is not None:
        allowed = list(young_person_ids)
        if not allowed:
            return []
        sql += " AND d.young_person_id IN (SELECT value FROM json_each(:allowed))"
        params["allowed"] = json.dumps(allowed)
    sql += " ORDER BY bm25(search_text), d.occurred DESC LIMIT :limit"
    return [
        SearchHit(
            record_type=row[0],
            record_id=row[1],
            young_person_id=row[2],
            reference=row[3],
            name=row[4],
            occurred=datetime.fromisoformat(row[5]) if row[5] else None,
            snippet=row[6],
        )
        for row in session.execute(text(sql), params)
    ]
