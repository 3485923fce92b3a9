"""Chain the central store's audit log: each event gets the previous event's hash and its own,
and one head row keeps the last number and hash.

Existing events are chained in their order. Their numbers are closed up to run 1, 2, 3...: on
PostgreSQL a rolled-back transaction used to leave a number unused, and from now on a gap
means a removed event. Nothing else about an event changes.

Revision ID: s0003
Revises: s0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from keyworker_app.security.audit_chain import GENESIS
from keyworker_app.server.audit_log import HEAD_ID, event_hash

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None

PAGE = 5000

server_audit = sa.table(
    "server_audit",
    sa.column("seq", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String()),
    sa.column("device_id", sa.String()),
    sa.column("action", sa.String()),
    sa.column("detail", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _chain_existing() -> tuple[int, str]:
    """Number and chain every event in order; returns the last number and hash."""
    connection = op.get_bind()
    update = (
        server_audit.update()
        .where(server_audit.c.seq == sa.bindparam("old_seq"))
        .values(
            seq=sa.bindparam("new_seq"),
            prev_hash=sa.bindparam("new_prev"),
            hash=sa.bindparam("new_hash"),
        )
    )
    seq, previous, after = 0, GENESIS, 0
    while True:
        # Read by old number, a page at a time: a renumbered event only moves down, below
        # ``after``, so no event is read twice.
        page = connection.execute(
            sa.select(
                server_audit.c.seq,
                server_audit.c.at,
                server_audit.c.actor,
                server_audit.c.device_id,
                server_audit.c.action,
                server_audit.c.detail,
            )
            .where(server_audit.c.seq > after)
            .order_by(server_audit.c.seq)
            .limit(PAGE)
        ).all()
        if not page:
            return seq, previous
        changes = []
        for old_seq, at, actor, device_id, action, detail in page:
            seq += 1
            digest = event_hash(seq, at, actor, device_id, action, detail, previous)
            changes.append(
                {"old_seq": old_seq, "new_seq": seq, "new_prev": previous, "new_hash": digest}
            )
            previous = digest
        # Run in ascending order, so an event's new number is always free.
        connection.execute(update, changes)
        after = page[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("server_audit") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    head = op.create_table(
        "server_audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_audit_head")),
    )
    last_seq, last_hash = _chain_existing()
    op.bulk_insert(head, [{"id": HEAD_ID, "seq": last_seq, "hash": last_hash}])
    with op.batch_alter_table("server_audit") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f("uq_server_audit_prev_hash"), ["prev_hash"])


def downgrade() -> None:
    op.drop_table("server_audit_head")
    with op.batch_alter_table("server_audit") as batch:
        batch.drop_constraint(op.f("uq_server_audit_prev_hash"), type_="unique")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
