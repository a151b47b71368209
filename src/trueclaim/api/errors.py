"""Map errors to HTTP: ``{"code", "detail", "fields"}``, 4xx for caller mistakes, 5xx logged
with the traceback and the request id."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from trueclaim.adapters.errors import (
    BlobConflict,
    BlobCorrupted,
    BlobNotFound,
    QueueError,
    StorageError,
)
from trueclaim.domain.errors import (
    ClaimError,
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

log = logging.getLogger("trueclaim.api")

STATUS_BY_ERROR: tuple[tuple[type[Exception], int, str], ...] = (
    (NotFound, 404, "not_found"),
    (PermissionDenied, 403, "forbidden"),
    (InvalidTransition, 409, "invalid_transition"),
    (Conflict, 409, "conflict"),
    (ValidationFailed, 422, "validation_failed"),
    (ClaimError, 400, "claim_error"),
    (BlobNotFound, 500, "blob_missing"),
    # A stored original that no longer matches its SHA-256 is an integrity failure, not an
    # outage: a 503 would tell clients to retry, and the answer would never change.
    (BlobCorrupted, 500, "blob_corrupted"),
    (BlobConflict, 500, "blob_conflict"),
    (QueueError, 503, "queue_unavailable"),
    (StorageError, 503, "storage_unavailable"),
)


class ApiError(Exception):
    """An error raised by the HTTP layer itself (auth, uploads)."""

    def __init__(
        self, status: int, code: str, detail: str, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.fields = fields or {}


def error_body(code: str, detail: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "detail": detail, "fields": fields or {}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.detail, exc.fields), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields: dict[str, str] = {}
        for err in exc.errors():
            loc = [
                str(p)
                for p in err.get("loc", ())
                if p not in ("body", "query", "path", "header", "form")
            ]
            fields[".".join(loc) or "body"] = str(err.get("msg", "invalid"))
        return JSONResponse(
            error_body(
                "invalid_request", "The request has invalid or unknown fields; see fields.", fields
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            error_body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def _mapped(request: Request, exc: Exception) -> JSONResponse:
        for error_type, status, code in STATUS_BY_ERROR:
            if isinstance(exc, error_type):
                if status >= 500:
                    _log_server_error(request, exc)
                fields = exc.fields if isinstance(exc, ValidationFailed) else {}
                return JSONResponse(error_body(code, str(exc), fields), status_code=status)
        return await _unexpected(request, exc)  # pragma: no cover - every mapped type is listed

    for error_type in (ClaimError, StorageError, QueueError):
        app.add_exception_handler(error_type, _mapped)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = _log_server_error(request, exc)
        return JSONResponse(
            error_body("internal_error", f"Internal error; request id {request_id}."),
            status_code=500,
        )


def _log_server_error(request: Request, exc: Exception) -> str:
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    log.error("request %s %s %s failed", request_id, request.method, request.url.path, exc_info=exc)
    return request_id
