"""trueclaim: checks after-sales claim photos against the goods that were shipped.

``trueclaim.verify`` is the one-call entry point; the engine itself lives in
``trueclaim.forensics`` and takes bytes only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from trueclaim.forensics import (
    CaseContext,
    EngineParams,
    Finding,
    Report,
    Severity,
    Verdict,
)
from trueclaim.forensics import verify as _verify_bytes

__version__ = "0.1.0"

Source = bytes | str | os.PathLike[str]

__all__ = [
    "CaseContext",
    "EngineParams",
    "Finding",
    "Report",
    "Severity",
    "Verdict",
    "__version__",
    "verify",
]


def verify(
    evidence: Source | Sequence[Source],
    references: Sequence[Source] = (),
    context: CaseContext | None = None,
    *,
    params: EngineParams | None = None,
) -> Report:
    """Check evidence photos (bytes or file paths) against reference photos.

    A single bytes value or path counts as one evidence image. Paths are read here, in the
    shell; the engine only ever sees bytes.
    """
    if isinstance(evidence, (bytes, str, os.PathLike)):
        evidence = [evidence]
    return _verify_bytes(
        [_read(e) for e in evidence],
        [_read(r) for r in references],
        context,
        params=params,
    )


def _read(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    return Path(source).read_bytes()
