"""Search text without bidi controls: entries indexed before they were taken out are redone, so
a name a messaging app wrapped in isolates is found by its plain spelling.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

import re

from alembic import op
from sqlalchemy import text

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The same characters as keyworker_app.store.search.BIDI_CONTROLS (kept here as they were when
# this migration was written).
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(text("SELECT rowid, body FROM search_text")).all()
    changed = [
        {"id": rowid, "body": BIDI_CONTROLS.sub(" ", body)}
        for rowid, body in rows
        if body and BIDI_CONTROLS.search(body)
    ]
    if changed:
        connection.execute(text("UPDATE search_text SET body = :body WHERE rowid = :id"), changed)


def downgrade() -> None:
    pass  # the cleaned text finds everything the old one did
