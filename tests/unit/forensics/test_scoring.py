"""Scoring: a check that could not be made moves no risk, and an unreadable file is no pass."""

from __future__ import annotations

import math

import pytest

from trueclaim.bench.fit import FitCase, fit_score_model
from trueclaim.forensics.codes import UNCHECKED_CODES
from trueclaim.forensics.scoring import ScoreModel, score_findings
from trueclaim.forensics.types import Finding, Severity, Verdict

PRIOR = {"info": 0.0, "low": 1.0, "medium": 2.5, "high": 5.0, "critical": 8.0}
# A model file that (wrongly) weighs an unreadable file: the weight must not count.
MODEL = ScoreModel(
    intercept=-2.0,
    weights={"derived-from-reference": 4.0, "evidence-unreadable": 3.0},
    default_weight_by_severity=PRIOR,
)


def _finding(code: str, severity: Severity = Severity.MEDIUM, score: float = 1.0) -> Finding:
    return Finding("decode", code, severity, score, "en", "zh")


def _score(*findings: Finding) -> tuple[float, Verdict, tuple[str, ...]]:
    s = score_findings(findings, review_threshold=0.35, forgery_threshold=0.75, model=MODEL)
    return s.risk, s.verdict, s.drivers


def test_an_unreadable_evidence_file_moves_no_risk_but_is_never_genuine() -> None:
    risk, verdict, drivers = _score(_finding("evidence-unreadable"))
    assert risk == pytest.approx(1.0 / (1.0 + math.exp(2.0)))  # the intercept alone
    assert verdict is Verdict.NEEDS_REVIEW
    assert drivers == ("evidence-unreadable",)


def test_an_unreadable_reference_or_a_failed_detector_moves_nothing() -> None:
    risk, verdict, drivers = _score(
        _finding("reference-unreadable", Severity.LOW, 0.5),
        _finding("detector-failed", Severity.LOW, 0.0),
    )
    assert risk == pytest.approx(1.0 / (1.0 + math.exp(2.0)))
    assert verdict is Verdict.GENUINE_LIKELY and drivers == ()


def test_what_was_found_beside_an_unreadable_file_still_counts() -> None:
    derived = Finding("derivation", "derived-from-reference", Severity.HIGH, 1.0, "en", "zh")
    risk, verdict, drivers = _score(derived, _finding("evidence-unreadable"))
    assert risk == pytest.approx(1.0 / (1.0 + math.exp(-2.0)))
    assert verdict is Verdict.FORGERY_LIKELY
    assert drivers == ("derived-from-reference",)


def test_the_fit_never_weighs_a_check_that_was_not_made() -> None:
    cases = [
        FitCase(label, [{"code": code, "score": 1.0, "severity": "medium"}])
        for code in ("evidence-unreadable", "reference-unreadable")
        for label in (1, 1, 1, 0)
    ] + [FitCase(0, [{"code": "camera-origin", "score": 1.0, "severity": "info"}])] * 4
    result = fit_score_model(cases, min_count=1)
    assert "evidence-unreadable" not in result.weights
    assert "reference-unreadable" not in result.weights
    assert {"evidence-unreadable", "reference-unreadable", "detector-failed"} <= UNCHECKED_CODES
