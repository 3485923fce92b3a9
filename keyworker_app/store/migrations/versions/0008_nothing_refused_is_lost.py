"""Nothing refused is lost: changes the central store refused stay on the laptop with the
reason, records the laptop could not apply are set aside (not dropped), conflicts say whether
they are a clash or a proposal on a finalised record, and a finalised form says who finalised it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each step is skipped when already there: a store stamped back to an older revision (as
    # the migration tests do) keeps its newer tables.
    existing = sa.inspect(op.get_bind())
    tables = set(existing.get_table_names())
    if "refused_change" not in tables:
        _create_refused_change()
    if "set_aside_change" not in tables:
        _create_set_aside_change()
    if "kind" not in {c["name"] for c in existing.get_columns("sync_conflict")}:
        with op.batch_alter_table("sync_conflict") as batch:
            batch.add_column(
                sa.Column("kind", sa.String(length=10), nullable=False, server_default="clash")
            )
    if "finalised_by" not in {c["name"] for c in existing.get_columns("form_response")}:
        with op.batch_alter_table("form_response") as batch:
            batch.add_column(sa.Column("finalised_by", sa.String(length=120), nullable=True))


def _create_refused_change() -> None:
    op.create_table(
        "refused_change",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("op_id", sa.String(length=80), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("young_person_id", sa.String(length=36), nullable=True),
        sa.Column("operation", sa.String(length=10), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("patch", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=True),
        sa.Column("refused_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_refused_change")),
        sa.UniqueConstraint("op_id", name=op.f("uq_refused_change_op_id")),
    )
    op.create_index("ix_refused_change_record_id", "refused_change", ["record_id"])
    op.create_index("ix_refused_change_young_person_id", "refused_change", ["young_person_id"])


def _create_set_aside_change() -> None:
    op.create_table(
        "set_aside_change",
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.String(length=32), nullable=True),
        sa.Column("changed_by", sa.String(length=120), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_aside_at", sa.String(length=32), nullable=False),
        sa.Column("reported", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("record_type", "record_id", name=op.f("pk_set_aside_change")),
    )


def downgrade() -> None:
    with op.batch_alter_table("form_response") as batch:
        batch.drop_column("finalised_by")
    with op.batch_alter_table("sync_conflict") as batch:
        batch.drop_column("kind")
    op.drop_table("set_aside_change")
    op.drop_table("refused_change")
