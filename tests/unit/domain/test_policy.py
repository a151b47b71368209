"""Routing policy: settings move claims, hard rules cannot be configured away."""

from __future__ import annotations

from datetime import timedelta

import pytest

from trueclaim.domain.buyers import BuyerRecord, buyer_ref_for
from trueclaim.domain.claims import ClaimStatus
from trueclaim.domain.errors import ValidationFailed
from trueclaim.domain.policy import Route, RoutingPolicy, route_claim
from trueclaim.domain.verdicts import ReportSignals, signals_from_report
from trueclaim.forensics.types import Finding, Report, Severity, Verdict

CLEAN = ReportSignals(risk=0.05, verdict="genuine-likely")
GOOD = BuyerRecord("b")
# The most permissive policy a platform could set: hard rules must still hold.
LAX = RoutingPolicy(
    auto_approve_max_risk=1.0,
    auto_approve_max_amount_minor=10**12,
    max_recent_claims=10**6,
    max_confirmed_forgeries=10**6,
)


def _route(signals=CLEAN, *, policy=None, amount=1000, buyer=GOOD, good=True):
    return route_claim(
        policy or RoutingPolicy(),
        signals,
        amount_minor=amount,
        buyer=buyer,
        merchant_good_standing=good,
    )


def test_clean_small_claim_is_auto_approved() -> None:
    decision = _route()
    assert decision.route is Route.AUTO_APPROVE
    assert decision.route.status is ClaimStatus.AUTO_APPROVED


@pytest.mark.parametrize(
    ("signals", "reason"),
    [
        (
            ReportSignals(0.0, "genuine-likely", ai_label_codes=("tc260-aigc-label",)),
            "ai-label-found",
        ),
        (
            ReportSignals(0.0, "genuine-likely", derived_codes=("derived-from-reference",)),
            "derived-from-reference",
        ),
        (ReportSignals(0.0, "genuine-likely", unreadable_evidence=True), "evidence-unreadable"),
        (ReportSignals(0.0, "needs-review"), "verdict-needs-review"),
    ],
)
def test_hard_rules_block_auto_approval_under_any_policy(signals, reason) -> None:
    decision = _route(signals, policy=LAX)
    assert decision.route is not Route.AUTO_APPROVE
    assert reason in decision.reasons


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"signals": ReportSignals(0.5, "genuine-likely")}, "risk-above-auto-approve"),
        ({"amount": 10_001}, "amount-above-auto-approve"),
        ({"buyer": BuyerRecord("b", confirmed_forgeries=1)}, "buyer-confirmed-forgeries"),
        ({"buyer": BuyerRecord("b", claims_recent=6)}, "buyer-many-claims"),
    ],
)
def test_configured_limits_block_auto_approval(kwargs, reason) -> None:
    decision = _route(**kwargs)
    assert decision.route is Route.MERCHANT
    assert reason in decision.reasons


def test_merchant_in_good_standing_answers_first_otherwise_review() -> None:
    risky = ReportSignals(0.99, "forgery-likely", ai_label_codes=("tc260-aigc-label",))
    assert _route(risky).route is Route.MERCHANT
    decision = _route(risky, good=False)
    assert decision.route is Route.REVIEW
    assert decision.route.status is ClaimStatus.IN_REVIEW
    assert "merchant-not-in-good-standing" in decision.reasons


def test_routing_never_rejects() -> None:
    statuses = {r.status for r in Route}
    assert ClaimStatus.REJECTED not in statuses


def test_default_timers() -> None:
    policy = RoutingPolicy()
    assert policy.merchant_response_window == timedelta(hours=48)
    assert policy.review_sla > timedelta(0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"auto_approve_max_risk": 1.5}, "auto_approve_max_risk"),
        ({"merchant_response_window": timedelta(0)}, "merchant_response_window"),
        ({"auto_approve_max_amount_minor": -1}, "auto_approve_max_amount_minor"),
    ],
)
def test_invalid_policy_names_the_setting(kwargs, field) -> None:
    with pytest.raises(ValidationFailed) as info:
        RoutingPolicy(**kwargs)
    assert field in info.value.fields


def _finding(detector: str, code: str, severity: Severity) -> Finding:
    return Finding(detector, code, severity, 0.9, "en", "zh")


def test_signals_from_report_reads_labels_and_derivation() -> None:
    report = Report(
        findings=(
            _finding("provenance", "tc260-aigc-label", Severity.CRITICAL),
            _finding("watermark", "something-new", Severity.HIGH),
            _finding("provenance", "editing-software", Severity.LOW),
            _finding("derivation", "derived-from-reference", Severity.HIGH),
            _finding("decode", "evidence-unreadable", Severity.MEDIUM),
        ),
        risk=0.9,
        verdict=Verdict.FORGERY_LIKELY,
        engine_version="t",
        timings_ms={},
    )
    s = signals_from_report(report)
    assert s.ai_label_codes == ("tc260-aigc-label", "something-new")
    assert s.derived_codes == ("derived-from-reference",)
    assert s.ai_label_found and s.derives_from_reference and s.unreadable_evidence


def test_low_severity_label_codes_still_count_but_other_low_findings_do_not() -> None:
    report = Report(
        findings=(
            _finding("provenance", "c2pa-ai-generated", Severity.LOW),
            _finding("tamper", "tc260-aigc-label", Severity.HIGH),
        ),
        risk=0.1,
        verdict=Verdict.GENUINE_LIKELY,
        engine_version="t",
        timings_ms={},
    )
    assert signals_from_report(report).ai_label_codes == ("c2pa-ai-generated",)


def test_buyer_ref_is_keyed() -> None:
    assert buyer_ref_for("alice", key="k1") != buyer_ref_for("alice", key="k2")
    assert buyer_ref_for("alice", key="k1") == buyer_ref_for("alice", key="k1")


def test_earlier_rounds_keep_blocking_and_returning_claims_go_to_review() -> None:
    labelled = ReportSignals(0.0, "genuine-likely", ai_label_codes=("tc260-aigc-label",))
    derived = ReportSignals(0.0, "genuine-likely", derived_codes=("derived-from-reference",))
    decision = route_claim(
        LAX,
        CLEAN,
        amount_minor=1,
        buyer=GOOD,
        merchant_good_standing=True,
        earlier=(labelled, derived),
    )
    assert decision.route is Route.MERCHANT
    assert {"ai-label-found", "derived-from-reference"} <= set(decision.reasons)
    back = route_claim(
        LAX, CLEAN, amount_minor=1, buyer=GOOD, merchant_good_standing=True, back_from_review=True
    )
    assert back.route is Route.REVIEW and "more-evidence-received" in back.reasons


def test_reused_evidence_blocks_auto_approval() -> None:
    decision = route_claim(
        LAX, CLEAN, amount_minor=1, buyer=GOOD, merchant_good_standing=True, evidence_reused=True
    )
    assert decision.route is Route.MERCHANT and "evidence-reused" in decision.reasons
