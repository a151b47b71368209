"""The input one verification works on: evidence and reference files, decoded lazily."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from threading import Lock
from typing import TYPE_CHECKING, Any

from trueclaim.forensics.decode import DecodedImage, decode_image
from trueclaim.forensics.errors import ForensicsError
from trueclaim.forensics.types import CaseContext, EvidenceSummary

if TYPE_CHECKING:
    from trueclaim.forensics.metadata import Metadata


_REFERENCE_CACHE_SIZE = 64  # analysis decodes of about 2.4 MB, previews of about 0.2 MB
_reference_cache: OrderedDict[tuple[str, int], DecodedImage] = OrderedDict()
_reference_lock = Lock()

#: Longest side of :attr:`Item.preview`: enough for a content box and a 128-pixel hash.
PREVIEW_MAX_SIDE = 256


def clear_reference_decode_cache() -> None:
    """Forget every memoised reference decode (see :attr:`Item.analysis`)."""
    with _reference_lock:
        _reference_cache.clear()


class Item:
    """One input file. Decoding and metadata parsing happen once, on first use.

    ``analysis`` is the reduced-size decode every pixel detector shares (longest side at most
    ``analysis_max_side``); ``full`` is the full-resolution decode, for detectors that need
    exact pixels (invisible watermarks, OCR of small marks); ``preview`` is a small decode
    (longest side at most :data:`PREVIEW_MAX_SIDE`, JPEGs at 1/4 or 1/8 DCT scale), enough to
    hash a reference and tell whether it is readable. A reference is judged readable on its
    preview (``ok``), so its analysis decode is only paid for when a detector asks for it
    (the derivation detector matches only the references closest by hash).

    Reference photos (listing shots) come back in many claims, so their ``analysis`` and
    ``preview`` decodes are also memoised in a bounded process-level LRU
    (``_REFERENCE_CACHE_SIZE`` entries) keyed by the file's SHA-256 and the decode size; a hit
    returns exactly what a decode would, with read-only pixels (detectors never write into
    shared pixels).
    """

    def __init__(self, index: int, role: str, data: bytes, *, analysis_max_side: int) -> None:
        self.index = index
        self.role = role
        self.data = bytes(data)
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        self.analysis_max_side = analysis_max_side
        self._error: ForensicsError | None = None

    @cached_property
    def analysis(self) -> DecodedImage | None:
        return self._decode(self.analysis_max_side)

    @cached_property
    def preview(self) -> DecodedImage | None:
        return self._decode(min(PREVIEW_MAX_SIDE, self.analysis_max_side))

    def _decode(self, max_side: int) -> DecodedImage | None:
        key = (self.sha256, max_side)
        memo = self.role == "reference"
        if memo:
            with _reference_lock:
                hit = _reference_cache.get(key)
                if hit is not None:
                    _reference_cache.move_to_end(key)
                    return hit
        try:
            decoded = decode_image(self.data, max_side=max_side)
        except ForensicsError as exc:
            self._error = exc
            return None
        decoded.pixels.setflags(write=False)
        if memo:
            with _reference_lock:
                _reference_cache[key] = decoded
                while len(_reference_cache) > _REFERENCE_CACHE_SIZE:
                    _reference_cache.popitem(last=False)
        return decoded

    def _decoded(self) -> DecodedImage | None:
        """The decode that says whether this item is readable (see the class docstring)."""
        if self.role == "reference" and "analysis" not in self.__dict__:
            return self.preview
        return self.analysis

    @cached_property
    def full(self) -> DecodedImage | None:
        if self.analysis is None:
            return None
        a = self.analysis
        if a.pixels.shape[1] == a.width and a.pixels.shape[0] == a.height:
            return a
        try:
            return decode_image(self.data)
        except ForensicsError as exc:
            self._error = exc
            return None

    @cached_property
    def metadata(self) -> Metadata:
        from trueclaim.forensics.metadata import read_metadata

        return read_metadata(self.data)

    @property
    def error(self) -> ForensicsError | None:
        _ = self._decoded()
        return self._error

    @property
    def ok(self) -> bool:
        return self._decoded() is not None

    def summary(self) -> EvidenceSummary:
        a = self._decoded()
        err = self.error
        return EvidenceSummary(
            index=self.index,
            role=self.role,
            sha256=self.sha256,
            size_bytes=len(self.data),
            status="ok" if a is not None else "unreadable",
            format=a.format if a else None,
            width=a.width if a else None,
            height=a.height if a else None,
            reason=str(err) if err else None,
        )


@dataclass(frozen=True, slots=True)
class Case:
    """Evidence, references and the order's context, as one detector sees them."""

    evidence: tuple[Item, ...]
    references: tuple[Item, ...]
    context: CaseContext
    cache: dict[str, Any]  # detectors may share intermediate results (e.g. features) here
