"""Alembic migrations shipped inside the package; run by ``upgrade`` on startup."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from trueclaim.adapters.errors import StorageError

HERE = Path(__file__).resolve().parent


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (idempotent)."""
    try:
        command.upgrade(alembic_config(engine), revision)
    except Exception as exc:
        raise StorageError(
            f"Migrating the database at {engine.url.render_as_string(hide_password=True)} failed: "
            f"{exc}. Check TRUECLAIM_DATABASE_URL and that the user may create tables."
        ) from exc


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as c:
        return MigrationContext.configure(c).get_current_revision()
