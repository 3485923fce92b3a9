"""Alembic environment: migrations run on the connection Keyworker hands over, never from a URL."""

from alembic import context

from keyworker_app.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Keyworker migrations run through keyworker_app.store.schema, not the alembic CLI"
    )

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
