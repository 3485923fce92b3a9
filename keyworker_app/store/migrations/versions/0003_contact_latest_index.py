"""Index contacts by young person, tombstone and time, so "last contact" is one index seek per
young person instead of a scan of every contact; and by status and author, so a worker's
unfinished drafts are found without reading every note.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_contact_yp_when", table_name="contact")
    op.create_index("ix_contact_latest", "contact", ["young_person_id", "deleted", "occurred_at"])
    op.create_index("ix_contact_drafts", "contact", ["status", "author"])


def downgrade() -> None:
    op.drop_index("ix_contact_drafts", table_name="contact")
    op.drop_index("ix_contact_latest", table_name="contact")
    op.create_index("ix_contact_yp_when", "contact", ["young_person_id", "occurred_at"])
