"""Alembic environment for the archive schema (``provenance``).

Run programmatically by :func:`provarchive.store.migrate.upgrade`, which passes an
open connection in ``config.attributes["connection"]``. The version table lives in the
``provenance`` schema so that other layers can keep their own migration history.
"""

from __future__ import annotations

from alembic import context

from provarchive.store.schema import SCHEMA, build_metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only programmatic use is supported
    raise RuntimeError("run archive migrations through `provarchive db upgrade` or Archive.upgrade()")

context.configure(
    connection=connection,
    target_metadata=build_metadata(),
    version_table_schema=SCHEMA,
    include_schemas=True,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
