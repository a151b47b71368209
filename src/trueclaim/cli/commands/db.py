"""``trueclaim db upgrade``: apply the database migrations."""

from __future__ import annotations

import typer

from trueclaim.cli.commands._runtime import load_settings

app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Migrate TRUECLAIM_DATABASE_URL to the newest schema (also done on every start)."""
    from trueclaim.adapters.migrations import current_revision
    from trueclaim.adapters.migrations import upgrade as run_upgrade
    from trueclaim.adapters.sql import make_engine

    settings = load_settings()
    if settings.effective_database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url, schema=settings.database_schema)
    try:
        run_upgrade(engine)
        typer.echo(f"database at revision {current_revision(engine)}")
    finally:
        engine.dispose()
