"""The HTTP API: ``create_app(settings)``; OpenAPI at ``/openapi.json``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from trueclaim.api.errors import error_body, install_error_handlers
from trueclaim.api.routes import (
    claims,
    events,
    merchants,
    orders,
    references,
    reports,
    responses,
    review,
    tenants,
)
from trueclaim.settings import Settings
from trueclaim.wiring import Runtime, build_runtime


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the API for ``settings`` (or an already wired ``runtime``); migrates the database."""
    if settings is None:  # a wired runtime brings its own settings
        settings = runtime.settings if runtime is not None else Settings()
    owned = runtime is None
    runtime = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            runtime.close()

    app = FastAPI(
        title="trueclaim",
        version="0.1.0",
        lifespan=lifespan,
        description="After-sales claims with forged-evidence checks.",
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    for module in (
        tenants,
        merchants,
        orders,
        references,
        claims,
        reports,
        responses,
        review,
        events,
    ):
        app.include_router(module.router, prefix="/v1")

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    limit = settings.max_upload_bytes * settings.max_files_per_request + 1024 * 1024
    app.add_middleware(_BodyLimit, limit=limit)
    return app


class _BodyLimit:
    """Refuse a request whose declared body is over the limit before reading it (413)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.limit):
                await _send_413(send, self.limit)
                return
        await self.app(scope, receive, send)


async def _send_413(send: Send, limit: int) -> None:
    import json

    body = json.dumps(
        error_body("payload_too_large", f"The request body is over {limit} bytes.")
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
