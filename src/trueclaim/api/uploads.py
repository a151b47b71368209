"""Multipart uploads: size, count and content-type limits, unknown fields refused.

Everything is checked before anything is stored, so a rejected request leaves no trace.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import Request, UploadFile

from trueclaim.api.errors import ApiError
from trueclaim.domain.services.context import UploadedFile
from trueclaim.forensics import sniff_format
from trueclaim.settings import Settings

MAX_FILENAME_CHARS = 255  # the evidence and reference tables' filename columns
_IMAGE_TYPES_SNIFFED = {
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/tiff",
    "image/bmp",
    "image/gif",
    "image/heic",
    "image/heif",
}


def only_fields(*allowed: str) -> Callable[[Request], Coroutine[Any, Any, None]]:
    """A dependency refusing multipart fields other than ``allowed`` (style: extra forbidden)."""

    async def _check(request: Request) -> None:
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return  # FastAPI reports the missing form fields itself
        settings: Settings = request.app.state.runtime.settings
        form = await request.form(max_files=settings.max_files_per_request + 1, max_fields=50)
        unknown = sorted(set(form.keys()) - set(allowed))
        if unknown:
            raise ApiError(
                422,
                "invalid_request",
                f"Unknown form field(s): {', '.join(unknown)}.",
                {name: "unknown field" for name in unknown},
            )

    return _check


def read_uploads(
    files: Sequence[UploadFile], settings: Settings, *, field: str = "files"
) -> list[UploadedFile]:
    """Read and check every file; raise ApiError (413/415/422) naming the first bad one."""
    if len(files) > settings.max_files_per_request:
        raise ApiError(
            422,
            "too_many_files",
            f"At most {settings.max_files_per_request} files per request.",
            {field: f"at most {settings.max_files_per_request}"},
        )
    out = []
    for i, f in enumerate(files):
        name = f.filename or f"file-{i + 1}"
        if len(name) > MAX_FILENAME_CHARS or "\x00" in name:
            raise ApiError(
                422,
                "invalid_filename",
                f"File {i + 1}: the name is longer than {MAX_FILENAME_CHARS} characters or "
                "contains a NUL character; rename the file.",
                {field: f"file {i + 1}: bad name"},
            )
        declared = (f.content_type or "application/octet-stream").split(";")[0].strip().lower()
        if declared not in settings.allowed_content_types:
            raise ApiError(
                415,
                "unsupported_media_type",
                f"{name}: content type {declared!r} is not accepted; send one of "
                f"{', '.join(settings.allowed_content_types)}.",
                {field: f"{name}: {declared}"},
            )
        data = f.file.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise ApiError(
                413,
                "payload_too_large",
                f"{name} is larger than {settings.max_upload_bytes} bytes; send a smaller file.",
                {field: f"{name}: too large"},
            )
        if not data:
            raise ApiError(422, "empty_file", f"{name} is empty.", {field: f"{name}: empty"})
        if declared in _IMAGE_TYPES_SNIFFED and sniff_format(data) is None:
            raise ApiError(
                415,
                "unsupported_media_type",
                f"{name} is declared {declared} but its bytes are not an image trueclaim reads.",
                {field: f"{name}: not an image"},
            )
        out.append(UploadedFile(name, declared, data))
    return out
