"""Value types shared by every detector: findings, reports, array aliases.

Everything here is frozen and JSON-serialisable through ``to_dict``; masks travel as
boolean arrays in memory and as PNG (base64) in JSON.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt

RGBImage = npt.NDArray[np.uint8]  # (H, W, 3)
GrayImage = npt.NDArray[np.uint8]  # (H, W)
Mask = npt.NDArray[np.bool_]  # (H, W)
JSONValue = Any


class Severity(str, Enum):  # noqa: UP042  (str() is relied on as the enum name)
    """How much a finding should move a reviewer, weakest first."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Verdict(str, Enum):  # noqa: UP042
    """The engine's summary of a claim's evidence."""

    GENUINE_LIKELY = "genuine-likely"
    NEEDS_REVIEW = "needs-review"
    FORGERY_LIKELY = "forgery-likely"


@dataclass(frozen=True, slots=True)
class Region:
    """An axis-aligned box in evidence-image pixels (original resolution)."""

    x: int
    y: int
    width: int
    height: int
    score: float = 1.0
    label: str = ""

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "x": self.x,
            "y": self.y,
            "width": self.width,
            "height": self.height,
            "score": round(float(self.score), 4),
            "label": self.label,
        }


@dataclass(frozen=True, slots=True, eq=False)
class Finding:
    """One thing a detector found, stated so that a reviewer understands it.

    ``score`` is the detector's confidence in [0, 1] that the signal is present.
    ``mask``, when given, is a boolean array at the evidence image's original resolution.
    ``data`` holds the raw values behind the finding (field names, producer codes, ...).
    """

    detector: str
    code: str
    severity: Severity
    score: float
    message_en: str
    message_zh: str
    evidence_index: int | None = None
    reference_index: int | None = None
    regions: tuple[Region, ...] = ()
    mask: Mask | None = None
    data: Mapping[str, JSONValue] = field(default_factory=dict)

    def to_dict(self, *, include_mask: bool = False) -> dict[str, JSONValue]:
        out: dict[str, JSONValue] = {
            "detector": self.detector,
            "code": self.code,
            "severity": self.severity.value,
            "score": round(float(self.score), 4),
            "message_en": self.message_en,
            "message_zh": self.message_zh,
            "evidence_index": self.evidence_index,
            "reference_index": self.reference_index,
            "regions": [r.to_dict() for r in self.regions],
            "data": _jsonable(self.data),
            "has_mask": self.mask is not None,
        }
        if include_mask and self.mask is not None:
            out["mask_png_base64"] = base64.b64encode(mask_to_png(self.mask)).decode("ascii")
        return out


@dataclass(frozen=True, slots=True)
class EvidenceSummary:
    """What the engine learnt about one input file before any detector ran."""

    index: int
    role: str  # "evidence" or "reference"
    sha256: str
    size_bytes: int
    status: str  # "ok" or "unreadable"
    format: str | None = None
    width: int | None = None
    height: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "index": self.index,
            "role": self.role,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "status": self.status,
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class CaseContext:
    """What the order says about the goods: product, ship and delivery times.

    Datetimes must be timezone-aware; the engine never reads the clock.
    """

    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    claimed_at: datetime | None = None
    product: str | None = None

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "shipped_at": self.shipped_at.isoformat() if self.shipped_at else None,
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "claimed_at": self.claimed_at.isoformat() if self.claimed_at else None,
            "product": self.product,
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The engine's answer for one claim: findings, one risk, one verdict."""

    findings: tuple[Finding, ...]
    risk: float
    verdict: Verdict
    engine_version: str
    timings_ms: Mapping[str, float]
    inputs: tuple[EvidenceSummary, ...] = ()
    drivers: tuple[str, ...] = ()  # finding codes that drove the risk, strongest first
    thresholds: Mapping[str, float] = field(default_factory=dict)

    def localization(self, evidence_index: int = 0) -> Mask | None:
        """Union of every finding's mask for one evidence image, or None if none drew one.

        Masks may come at different resolutions (a detector's analysis size); all are
        resized (nearest neighbour) to the largest one before the union.
        """
        masks = [
            f.mask
            for f in self.findings
            if f.mask is not None and f.evidence_index == evidence_index
        ]
        if not masks:
            return None
        shape = max((m.shape for m in masks), key=lambda s: s[0] * s[1])
        out = np.zeros(shape, dtype=bool)
        for m in masks:
            out |= resize_mask(m, shape)
        return out

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)

    def to_dict(self, *, include_masks: bool = False) -> dict[str, JSONValue]:
        return {
            "risk": float(self.risk),
            "verdict": self.verdict.value,
            "engine_version": self.engine_version,
            "drivers": list(self.drivers),
            "thresholds": dict(self.thresholds),
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "inputs": [i.to_dict() for i in self.inputs],
            "findings": [f.to_dict(include_mask=include_masks) for f in self.findings],
        }

    def to_json(self, *, include_masks: bool = False, indent: int | None = 2) -> str:
        return json.dumps(
            self.to_dict(include_masks=include_masks), ensure_ascii=False, indent=indent
        )


def resize_mask(mask: Mask, shape: tuple[int, ...]) -> Mask:
    """Nearest-neighbour resize of a boolean mask to ``shape`` (H, W)."""
    mask = np.asarray(mask, dtype=bool)
    if mask.shape == tuple(shape[:2]):
        return mask
    rows = (np.arange(shape[0]) * mask.shape[0] // shape[0]).clip(0, mask.shape[0] - 1)
    cols = (np.arange(shape[1]) * mask.shape[1] // shape[1]).clip(0, mask.shape[1] - 1)
    out: Mask = mask[rows[:, None], cols[None, :]]
    return out


def mask_to_png(mask: Mask) -> bytes:
    """Encode a boolean mask as a 1-bit PNG (white = marked)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(mask, dtype=bool)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _jsonable(value: JSONValue) -> JSONValue:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value
