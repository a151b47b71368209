from __future__ import annotations

import pytest

from trueclaim.domain.verdicts import signals_from_report
from trueclaim.forensics.codes import AI_LABEL_CODES
from trueclaim.forensics.types import Finding, Report, Severity, Verdict


def _report(*findings: Finding) -> Report:
    return Report(findings, 0.2, Verdict.GENUINE_LIKELY, "t", {})


@pytest.mark.parametrize("code", sorted(AI_LABEL_CODES))
def test_every_ai_label_code_counts_even_at_medium_severity(code: str) -> None:
    finding = Finding("provenance", code, Severity.MEDIUM, 0.5, "", "")
    assert signals_from_report(_report(finding)).ai_label_found


def test_weak_provenance_notes_are_not_ai_labels() -> None:
    notes = (
        Finding("provenance", "editing-software", Severity.LOW, 0.3, "", ""),
        Finding("provenance", "camera-origin", Severity.INFO, 0.9, "", ""),
    )
    signals = signals_from_report(_report(*notes))
    assert not signals.ai_label_found and not signals.derives_from_reference


def test_derived_codes_are_collected() -> None:
    f = Finding("derivation", "derived-with-local-edit", Severity.CRITICAL, 0.9, "", "")
    assert signals_from_report(_report(f)).derived_codes == ("derived-with-local-edit",)
