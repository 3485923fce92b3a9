"""Team standards: the visiting standard (days between contacts) and the caseload cap.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("team") as batch:
        batch.add_column(
            sa.Column("visiting_standard_days", sa.Integer(), nullable=False, server_default="7")
        )
        batch.add_column(sa.Column("caseload_cap", sa.Integer(), nullable=False, server_default="12"))


def downgrade() -> None:
    with op.batch_alter_table("team") as batch:
        batch.drop_column("caseload_cap")
        batch.drop_column("visiting_standard_days")
