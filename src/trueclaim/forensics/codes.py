"""Finding codes that other layers act on, defined once.

``AI_LABEL_CODES`` are the findings that say "this file is labelled as AI-generated or
AI-edited" (implicit metadata labels, signed manifests, generator traces, watermarks, visible
marks). The routing policy never auto-approves a claim with one of them; the bench and docs list
them the same way.

``UNCHECKED_CODES`` say that a check could not be made (a file that does not decode, a detector
that failed), not that anything is wrong: the risk model gives them no weight and the fit
leaves them out.
"""

from __future__ import annotations

AI_LABEL_CODES: frozenset[str] = frozenset(
    {
        "c2pa-ai-generated",
        "c2pa-ai-edited",
        "c2pa-ai-signer",
        "tc260-aigc-label",
        "tc260-label-residue",
        "iptc-ai-source",
        "ai-edit-credit",
        "generator-metadata",
        "invisible-watermark",
        "visible-ai-mark",
    }
)

UNCHECKED_CODES: frozenset[str] = frozenset(
    {"evidence-unreadable", "reference-unreadable", "detector-failed"}
)

DERIVED_PREFIX = "derived-"
