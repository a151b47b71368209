"""``trueclaim serve``: the API with an in-process worker, SQLite and a local media folder."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from trueclaim.cli.commands._runtime import load_settings

if TYPE_CHECKING:
    from trueclaim.wiring import Runtime

log = logging.getLogger(__name__)


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (TRUECLAIM_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (TRUECLAIM_PORT).")] = None,
) -> None:
    """Run the claim service. Zero configuration: SQLite and media under ./trueclaim-data.

    On the first start it creates the operator tenant and prints its admin key (once).
    """
    import uvicorn

    from trueclaim.api.app import create_app
    from trueclaim.domain.services.tenants import bootstrap_tenant
    from trueclaim.wiring import build_runtime, run_timers_once

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = load_settings(**overrides)
    runtime = build_runtime(settings)
    url = f"http://{settings.host}:{settings.port}"
    typer.echo(f"trueclaim is serving on {url}  (API docs: {url}/docs)")
    typer.echo(f"database: {runtime.engine.url.render_as_string(hide_password=True)}")
    if not _has_tenants(runtime):
        tenant, secret = bootstrap_tenant(runtime.services, "operator", is_operator=True)
        typer.echo(f"first admin key for tenant {tenant.id} (shown once, keep it): {secret}")
    stop = threading.Event()
    threading.Thread(
        target=run_timers,
        args=(stop, settings.timer_interval_s, lambda: run_timers_once(runtime.services, settings)),
        name="trueclaim-timers",
        daemon=True,
    ).start()
    try:
        uvicorn.run(
            create_app(settings, runtime=runtime),
            host=settings.host,
            port=settings.port,
            log_level="info",
        )
    finally:
        stop.set()
        runtime.close()


def run_timers(stop: threading.Event, interval_s: float, sweep: Callable[[], object]) -> None:
    """Call ``sweep`` every ``interval_s`` until ``stop`` is set. A failed run (the database
    briefly unreachable) is logged and the next one still happens: an exception must not end
    the thread, or timers would silently stop for the rest of the server's life."""
    while not stop.wait(interval_s):
        try:
            sweep()
        except Exception:
            log.exception("timer run failed; the next run is in %s s", interval_s)


def _has_tenants(runtime: Runtime) -> bool:
    from sqlalchemy import func, select

    from trueclaim.adapters.sql.tables import tenants

    with runtime.engine.connect() as c:
        return bool(c.execute(select(func.count()).select_from(tenants)).scalar_one())
