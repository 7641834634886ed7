"""Alembic environment: hubauth always hands us a live connection (see hubauth.store.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from hubauth.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Two nodes upgrading at once take turns instead of racing on DDL.
        connection.execute(text("SELECT pg_advisory_xact_lock(7318245)"))
    context.run_migrations()
