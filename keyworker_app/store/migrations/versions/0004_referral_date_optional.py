"""A referral's date may be unknown: spreadsheets often carry a risk category or outcome for a
case without the date it was referred, and that information must not be dropped.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referral") as batch:
        batch.alter_column("referral_date", existing_type=sa.String(10), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("referral") as batch:
        batch.alter_column("referral_date", existing_type=sa.String(10), nullable=False)
