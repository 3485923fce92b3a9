"""Alembic environment for the central store: runs on the connection the server hands over."""

from alembic import context

from keyworker_app.server.models import ServerBase

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Central store migrations run through keyworker_app.server.database")

context.configure(connection=connection, target_metadata=ServerBase.metadata)
with context.begin_transaction():
    context.run_migrations()
