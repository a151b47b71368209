"""The routing policy: configuration a platform sets, plus hard rules nobody can turn off.

Hard rules (issue 6): never auto-approve when an AI label is found or the evidence derives
from a reference; never reject automatically (the state machine enforces that); a merchant in
good standing answers first; an expired timer sends the claim to review, never to a refund.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from trueclaim.domain.buyers import BuyerRecord
from trueclaim.domain.claims import ClaimStatus
from trueclaim.domain.errors import ValidationFailed
from trueclaim.domain.verdicts import ReportSignals


class Route(StrEnum):
    AUTO_APPROVE = "auto_approve"
    MERCHANT = "merchant"
    REVIEW = "review"

    @property
    def status(self) -> ClaimStatus:
        return {
            Route.AUTO_APPROVE: ClaimStatus.AUTO_APPROVED,
            Route.MERCHANT: ClaimStatus.AWAITING_MERCHANT,
            Route.REVIEW: ClaimStatus.IN_REVIEW,
        }[self]


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """Thresholds, limits and timers a platform configures."""

    auto_approve_max_risk: float = 0.2
    auto_approve_max_amount_minor: int = 10_000
    max_recent_claims: int = 5
    max_confirmed_forgeries: int = 0
    merchant_response_window: timedelta = timedelta(hours=48)
    review_sla: timedelta = timedelta(hours=24)
    more_evidence_window: timedelta = timedelta(hours=72)

    def __post_init__(self) -> None:
        bad: dict[str, str] = {}
        if not 0.0 <= self.auto_approve_max_risk <= 1.0:
            bad["auto_approve_max_risk"] = "must be within [0, 1]"
        for name in ("merchant_response_window", "review_sla", "more_evidence_window"):
            if getattr(self, name) <= timedelta(0):
                bad[name] = "must be positive"
        if self.auto_approve_max_amount_minor < 0:
            bad["auto_approve_max_amount_minor"] = "must be >= 0"
        if bad:
            raise ValidationFailed("The routing policy is invalid; fix the named settings.", bad)


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """Where a claim goes and every reason that sent it there (reason codes)."""

    route: Route
    reasons: tuple[str, ...]


def route_claim(
    policy: RoutingPolicy,
    signals: ReportSignals,
    *,
    amount_minor: int,
    buyer: BuyerRecord,
    merchant_good_standing: bool,
    earlier: Sequence[ReportSignals] = (),
    back_from_review: bool = False,
    evidence_reused: bool = False,
) -> RoutingDecision:
    """Decide where a verified claim goes; the hard rules override every setting.

    ``earlier`` are the claim's previous rounds: a label or derivation found once keeps
    blocking. ``evidence_reused``: a file of this claim was already submitted with another claim.
    A claim that returns with evidence a reviewer asked for goes back to review.
    """
    blockers: list[str] = []
    if signals.ai_label_found or any(s.ai_label_found for s in earlier):
        blockers.append("ai-label-found")
    if signals.derives_from_reference or any(s.derives_from_reference for s in earlier):
        blockers.append("derived-from-reference")
    if signals.unreadable_evidence:
        blockers.append("evidence-unreadable")
    if evidence_reused:
        blockers.append("evidence-reused")
    if signals.verdict != "genuine-likely":
        blockers.append(f"verdict-{signals.verdict}")
    if signals.risk > policy.auto_approve_max_risk:
        blockers.append("risk-above-auto-approve")
    if amount_minor > policy.auto_approve_max_amount_minor:
        blockers.append("amount-above-auto-approve")
    if buyer.confirmed_forgeries > policy.max_confirmed_forgeries:
        blockers.append("buyer-confirmed-forgeries")
    if buyer.claims_recent > policy.max_recent_claims:
        blockers.append("buyer-many-claims")
    if back_from_review:
        return RoutingDecision(Route.REVIEW, (*blockers, "more-evidence-received"))
    if not blockers:
        return RoutingDecision(Route.AUTO_APPROVE, ("low-risk",))
    if merchant_good_standing:
        return RoutingDecision(Route.MERCHANT, (*blockers, "merchant-good-standing"))
    return RoutingDecision(Route.REVIEW, (*blockers, "merchant-not-in-good-standing"))
