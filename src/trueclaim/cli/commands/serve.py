"""``trueclaim serve``: the API with an in-process worker, SQLite and a local media folder."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from trueclaim.cli.commands._runtime import load_settings


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
    from trueclaim.domain.services.review import expire_due
    from trueclaim.domain.services.tenants import bootstrap_tenant
    from trueclaim.wiring import build_runtime

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

    def _timers() -> None:
        while not stop.wait(settings.timer_interval_s):
            expire_due(runtime.services)

    threading.Thread(target=_timers, name="trueclaim-timers", daemon=True).start()
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


def _has_tenants(runtime: object) -> bool:
    from sqlalchemy import func, select

    from trueclaim.adapters.sql.tables import tenants

    with runtime.engine.connect() as c:  # type: ignore[attr-defined]
        return bool(c.execute(select(func.count()).select_from(tenants)).scalar_one())
