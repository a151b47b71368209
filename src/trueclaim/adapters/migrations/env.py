"""Alembic environment: the engine comes from ``config.attributes`` (see ``upgrade``)."""

from __future__ import annotations

from alembic import context

from trueclaim.adapters.sql.tables import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # e.g. `alembic` run by hand: use sqlalchemy.url from the ini
    from sqlalchemy import create_engine

    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///trueclaim.db")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
