"""Keep a copy of every template version a response was written in, so each response always
renders with its own version, even after the template file changes or is removed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_template",
        sa.Column("template_id", sa.String(length=80), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_template")),
        sa.UniqueConstraint(
            "template_id", "template_version", name="uq_form_template_template_id_version"
        ),
    )


def downgrade() -> None:
    op.drop_table("form_template")
