"""Errors raised by the forensics engine.

* ForensicsError
  x UnreadableImage     bytes are not a decodable image (empty, truncated, corrupt, a bomb)
  x UnsupportedFormat   a real file, but of a kind the engine does not read
  x InvalidParameter    a caller passed a value the engine cannot use (also a ValueError)
  x MalformedMetadata   a metadata block could not be parsed; carries offset and raw segment
"""

from __future__ import annotations


class ForensicsError(Exception):
    """Base class of every error the engine raises on purpose."""


class UnreadableImage(ForensicsError):
    """The bytes are not an image the engine can decode."""

    def __init__(self, message: str, *, reason: str = "corrupt") -> None:
        super().__init__(message)
        self.reason = reason


class UnsupportedFormat(ForensicsError):
    """The bytes are a file of a kind the engine does not read."""

    def __init__(self, message: str, *, detected: str | None = None) -> None:
        super().__init__(message)
        self.detected = detected


class InvalidParameter(ForensicsError, ValueError):
    """A parameter has a value the engine cannot use."""


class MalformedMetadata(ForensicsError):
    """A metadata segment could not be parsed."""

    def __init__(self, message: str, *, offset: int | None = None, raw: bytes = b"") -> None:
        super().__init__(message)
        self.offset = offset
        self.raw = raw
