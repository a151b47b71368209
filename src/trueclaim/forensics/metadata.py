"""Container metadata: EXIF, XMP, IPTC, ICC, PNG text, C2PA (being built)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Metadata:
    """Everything the containers of one file say about it."""


def read_metadata(data: bytes) -> Metadata:
    """Parse every metadata block of an image file."""
    return Metadata()
