"""Conflicts from the central store, kept on the laptop so both users see them offline too.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("young_person_id", sa.String(length=36), nullable=True),
        sa.Column("field", sa.String(length=80), nullable=False),
        sa.Column("base_value", sa.JSON(), nullable=True),
        sa.Column("kept_value", sa.JSON(), nullable=True),
        sa.Column("kept_by", sa.String(length=120), nullable=False),
        sa.Column("kept_at", sa.String(length=32), nullable=False),
        sa.Column("other_value", sa.JSON(), nullable=True),
        sa.Column("other_by", sa.String(length=120), nullable=False),
        sa.Column("other_at", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.Column("resolution", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflict")),
    )
    op.create_index("ix_sync_conflict_young_person_id", "sync_conflict", ["young_person_id"])


def downgrade() -> None:
    op.drop_table("sync_conflict")
