"""Record which device wrote each version, so a device's own earlier changes never count as
someone else's when its later changes are merged.

Revision ID: s0002
Revises: s0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("record_version") as batch:
        batch.add_column(sa.Column("device_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("record_version") as batch:
        batch.drop_column("device_id")
