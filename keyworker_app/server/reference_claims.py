"""A young person's reference is claimed on the central store when the record arrives, so two
laptops that create the same reference offline cannot both put it in every laptop's caseload
(where references are unique and the second one broke every pull).

The claim is one row per reference, keyed by the reference as people compare them (case and
compatibility forms ignored), inserted with "do nothing on conflict": two pushes racing for a
reference are settled by the database, not by reading first.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from keyworker_app.server.models import ReferenceClaim


def reference_key(reference: str) -> str:
    return unicodedata.normalize("NFKC", reference).strip().casefold()


def claim(session: Session, reference: str, young_person_id: str) -> str | None:
    """Claim ``reference`` for ``young_person_id``; returns the young person who holds it
    already, or None when the claim is theirs (new or held before)."""
    key = reference_key(reference)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(ReferenceClaim)
        .values(reference_key=key, young_person_id=young_person_id)
        .on_conflict_do_nothing(index_elements=["reference_key"])
    )
    holder = session.scalar(
        select(ReferenceClaim.young_person_id).where(ReferenceClaim.reference_key == key)
    )
    return None if holder == young_person_id else holder


def release(session: Session, reference: str, young_person_id: str) -> None:
    session.execute(
        delete(ReferenceClaim).where(
            ReferenceClaim.reference_key == reference_key(reference),
            ReferenceClaim.young_person_id == young_person_id,
        )
    )
