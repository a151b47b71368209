"""``trueclaim worker``: a Celery worker for verification jobs (and, with --beat, timers)."""

from __future__ import annotations

from typing import Annotated

import typer

from trueclaim.cli.commands._runtime import load_settings


def worker(
    concurrency: Annotated[
        int | None, typer.Option(help="Worker threads (TRUECLAIM_WORKER_THREADS).")
    ] = None,
    beat: Annotated[
        bool, typer.Option(help="Also run the timer schedule (one worker only).")
    ] = False,
) -> None:
    """Run a Celery worker on TRUECLAIM_REDIS_URL against TRUECLAIM_DATABASE_URL."""
    from trueclaim.adapters.migrations import upgrade
    from trueclaim.adapters.sql import make_engine
    from trueclaim.workers.tasks import create_worker_app

    settings = load_settings(queue_backend="celery")
    engine = make_engine(settings.effective_database_url, schema=settings.database_schema)
    upgrade(engine)
    engine.dispose()
    app = create_worker_app(settings)
    argv = [
        "worker",
        "--loglevel=INFO",
        "--pool=threads",
        f"--concurrency={concurrency or settings.worker_threads}",
        "-Q",
        settings.celery_queue,
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        argv.append("--beat")
    app.worker_main(argv)
