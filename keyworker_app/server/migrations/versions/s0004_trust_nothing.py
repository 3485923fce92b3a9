"""The central store trusts nothing a laptop sends: references are claimed (one young person
per reference), an edit that arrives after a record was finalised is kept as a proposal, and
a refused change's answer carries a code the laptop acts on.

Revision ID: s0004
Revises: s0003
"""

from __future__ import annotations

import json
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "s0004"
down_revision = "s0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conflict") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=10), nullable=False, server_default="clash")
        )
    with op.batch_alter_table("applied_op") as batch:
        batch.add_column(sa.Column("code", sa.String(length=30), nullable=True))
    claims = op.create_table(
        "reference_claim",
        sa.Column("reference_key", sa.String(length=200), nullable=False),
        sa.Column("young_person_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("reference_key", name="pk_reference_claim"),
    )
    # Existing young people claim their references, oldest first; a duplicate made before
    # claims existed keeps its record (merge it with `keyworker-server merge`).
    rows = op.get_bind().execute(
        sa.text(
            "SELECT record_id, data FROM record WHERE record_type = 'young_person' "
            "AND deleted = :no ORDER BY updated_at, record_id"
        ),
        {"no": False},
    )
    seen: dict[str, str] = {}
    for record_id, data in rows:
        values = json.loads(data) if isinstance(data, str) else data
        reference = values.get("reference")
        if isinstance(reference, str):
            key = unicodedata.normalize("NFKC", reference).strip().casefold()
            seen.setdefault(key, record_id)
    if seen:
        op.bulk_insert(claims, [{"reference_key": k, "young_person_id": v} for k, v in seen.items()])


def downgrade() -> None:
    op.drop_table("reference_claim")
    with op.batch_alter_table("applied_op") as batch:
        batch.drop_column("code")
    with op.batch_alter_table("conflict") as batch:
        batch.drop_column("kind")
