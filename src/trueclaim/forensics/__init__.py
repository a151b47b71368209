"""trueclaim's forensics engine: pure functions over image bytes.

No database, web, file or clock access happens here; see ``docs/design.md``.
"""

from trueclaim.forensics.decode import DecodedImage, DecodeLimits, decode_image, sniff_format
from trueclaim.forensics.errors import (
    ForensicsError,
    InvalidParameter,
    MalformedMetadata,
    UnreadableImage,
    UnsupportedFormat,
)
from trueclaim.forensics.params import ALL_DETECTORS, EngineParams
from trueclaim.forensics.pipeline import verify
from trueclaim.forensics.types import (
    CaseContext,
    EvidenceSummary,
    Finding,
    Region,
    Report,
    Severity,
    Verdict,
)
from trueclaim.forensics.version import ENGINE_VERSION

__all__ = [
    "ALL_DETECTORS",
    "ENGINE_VERSION",
    "CaseContext",
    "DecodeLimits",
    "DecodedImage",
    "EngineParams",
    "EvidenceSummary",
    "Finding",
    "ForensicsError",
    "InvalidParameter",
    "MalformedMetadata",
    "Region",
    "Report",
    "Severity",
    "UnreadableImage",
    "UnsupportedFormat",
    "Verdict",
    "decode_image",
    "sniff_format",
    "verify",
]
