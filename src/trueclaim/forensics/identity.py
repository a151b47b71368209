"""The identity detector (being built; see the issue tracker)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trueclaim.forensics.case import Case
from trueclaim.forensics.types import Finding


def detect(case: Case, options: Mapping[str, Any]) -> Sequence[Finding]:
    """Return this detector's findings for the case."""
    return ()
