"""The central store schema: accounts, devices, tokens, records and their versions, the change
feed, conflicts, restrictions and audit.

Revision ID: s0001
Revises:
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa


revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=True),
        sa.Column("staff_id", sa.String(length=36), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_name", name=op.f("pk_account")),
    )
    op.create_table(
        "applied_op",
        sa.Column("op_id", sa.String(length=80), nullable=False),
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("conflict_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("op_id", name=op.f("pk_applied_op")),
    )
    op.create_table(
        "change_entry",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("young_person_id", sa.String(length=36), nullable=True),
        sa.Column("team_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change_entry")),
    )
    op.create_index(
        "ix_change_entry_young_person", "change_entry", ["young_person_id"], unique=False
    )
    op.create_table(
        "conflict",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("young_person_id", sa.String(length=36), nullable=True),
        sa.Column("team_id", sa.String(length=36), nullable=True),
        sa.Column("field", sa.String(length=80), nullable=False),
        sa.Column("base_value", sa.JSON(), nullable=True),
        sa.Column("kept_value", sa.JSON(), nullable=True),
        sa.Column("kept_by", sa.String(length=120), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("other_value", sa.JSON(), nullable=True),
        sa.Column("other_by", sa.String(length=120), nullable=False),
        sa.Column("other_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.Column("resolution", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflict")),
    )
    op.create_index(
        op.f("ix_conflict_young_person_id"), "conflict", ["young_person_id"], unique=False
    )
    op.create_table(
        "device_audit",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "seq", name=op.f("pk_device_audit")),
    )
    op.create_table(
        "record",
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("young_person_id", sa.String(length=36), nullable=True),
        sa.Column("team_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("record_type", "record_id", name=op.f("pk_record")),
    )
    op.create_index("ix_record_young_person", "record", ["young_person_id"], unique=False)
    op.create_table(
        "record_version",
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint(
            "record_type", "record_id", "version", name=op.f("pk_record_version")
        ),
    )
    op.create_table(
        "restriction",
        sa.Column("young_person_id", sa.String(length=36), nullable=False),
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("young_person_id", "user_name", name=op.f("pk_restriction")),
    )
    op.create_table(
        "sequence_counter",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("value", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sequence_counter")),
    )
    op.create_table(
        "server_audit",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_server_audit")),
    )
    op.create_table(
        "device",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_name"], ["account.user_name"], name=op.f("fk_device_user_name_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
    )
    op.create_table(
        "token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_token_device_id_device")
        ),
        sa.ForeignKeyConstraint(
            ["user_name"], ["account.user_name"], name=op.f("fk_token_user_name_account")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_token")),
    )


def downgrade() -> None:
    op.drop_table("token")
    op.drop_table("device")
    op.drop_table("server_audit")
    op.drop_table("sequence_counter")
    op.drop_table("restriction")
    op.drop_table("record_version")
    op.drop_index("ix_record_young_person", table_name="record")
    op.drop_table("record")
    op.drop_table("device_audit")
    op.drop_index(op.f("ix_conflict_young_person_id"), table_name="conflict")
    op.drop_table("conflict")
    op.drop_index("ix_change_entry_young_person", table_name="change_entry")
    op.drop_table("change_entry")
    op.drop_table("applied_op")
    op.drop_table("account")
