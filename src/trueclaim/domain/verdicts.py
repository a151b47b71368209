"""What the routing policy needs to know from an engine report."""

from __future__ import annotations

from dataclasses import dataclass

from trueclaim.forensics.codes import AI_LABEL_CODES, DERIVED_PREFIX
from trueclaim.forensics.types import Report, Severity

AI_LABEL_DETECTORS = frozenset({"provenance", "watermark"})
# One definition, in the engine: every AI-label code blocks auto-approval.


@dataclass(frozen=True, slots=True)
class ReportSignals:
    """The facts routing uses: risk, verdict, and the two hard-rule triggers."""

    risk: float
    verdict: str
    ai_label_codes: tuple[str, ...] = ()
    derived_codes: tuple[str, ...] = ()
    unreadable_evidence: bool = False

    @property
    def ai_label_found(self) -> bool:
        return bool(self.ai_label_codes)

    @property
    def derives_from_reference(self) -> bool:
        return bool(self.derived_codes)


def signals_from_report(report: Report) -> ReportSignals:
    """Extract routing signals from an engine report.

    An AI label is any provenance/watermark finding of severity high or above (the named
    label codes always count); ``derived-*`` codes mean the evidence is made from a reference.
    """
    ai = [
        f.code
        for f in report.findings
        if f.detector in AI_LABEL_DETECTORS
        and (f.severity.rank >= Severity.HIGH.rank or f.code in AI_LABEL_CODES)
    ]
    derived = [f.code for f in report.findings if f.code.startswith(DERIVED_PREFIX)]
    return ReportSignals(
        risk=float(report.risk),
        verdict=report.verdict.value,
        ai_label_codes=tuple(dict.fromkeys(ai)),
        derived_codes=tuple(dict.fromkeys(derived)),
        unreadable_evidence=any(f.code == "evidence-unreadable" for f in report.findings),
    )
