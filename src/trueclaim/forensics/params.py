"""Engine parameters: one frozen value, passed in, recorded in every report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trueclaim.forensics.errors import InvalidParameter

ALL_DETECTORS: tuple[str, ...] = (
    "provenance",
    "watermark",
    "derivation",
    "screen",
    "tamper",
    "identity",
)

# Detector options that keep the OCR model out of a check: visible AI marks are not read and
# the screen detector does not look for lines of text (faster, and nothing to load).
NO_OCR: Mapping[str, Mapping[str, Any]] = {"watermark": {"ocr": False}, "screen": {"text": False}}


@dataclass(frozen=True, slots=True)
class EngineParams:
    """What the caller may tune. Defaults are the calibrated production settings.

    ``detector_options`` maps a detector name to keyword overrides of that detector's own
    frozen parameter class (e.g. ``{"watermark": {"ocr": False}}``).
    """

    analysis_max_side: int = 1024
    review_threshold: float = 0.35
    forgery_threshold: float = 0.75
    detectors: tuple[str, ...] = ALL_DETECTORS
    detector_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.review_threshold <= self.forgery_threshold <= 1.0:
            raise InvalidParameter(
                "Thresholds must satisfy 0 <= review_threshold <= forgery_threshold <= 1; got "
                f"review={self.review_threshold}, forgery={self.forgery_threshold}."
            )
        unknown = set(self.detectors) - set(ALL_DETECTORS)
        if unknown:
            raise InvalidParameter(
                f"Unknown detector(s) {sorted(unknown)}; choose from {list(ALL_DETECTORS)}."
            )
        if self.analysis_max_side < 256:
            raise InvalidParameter(
                f"analysis_max_side must be at least 256, got {self.analysis_max_side}."
            )

    def options_for(self, detector: str) -> Mapping[str, Any]:
        return self.detector_options.get(detector, {})
