"""Reviewer decisions with reason codes, and buyers' appeals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from trueclaim.domain.claims import ClaimStatus


class Outcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    PARTIALLY_APPROVED = "partially_approved"
    MORE_EVIDENCE = "more_evidence"

    @property
    def status(self) -> ClaimStatus:
        return ClaimStatus(self.value)


class ReasonCode(StrEnum):
    """Why a reviewer decided as they did; forgery codes feed the buyer's record."""

    DAMAGE_CONFIRMED = "damage_confirmed"
    PARTIAL_DAMAGE = "partial_damage"
    EVIDENCE_FORGED = "evidence_forged"
    EVIDENCE_AI_GENERATED = "evidence_ai_generated"
    EVIDENCE_NOT_THE_GOODS = "evidence_not_the_goods"
    MERCHANT_EVIDENCE_CONCLUSIVE = "merchant_evidence_conclusive"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"
    OTHER = "other"


FORGERY_REASONS: frozenset[ReasonCode] = frozenset(
    {ReasonCode.EVIDENCE_FORGED, ReasonCode.EVIDENCE_AI_GENERATED}
)


@dataclass(frozen=True, slots=True)
class Decision:
    """A person's decision on a claim; ``appeal_round`` 0 is the first decision."""

    id: str
    tenant_id: str
    claim_id: str
    reviewer_id: str
    outcome: Outcome
    reason_code: ReasonCode
    note: str
    decided_at: datetime
    appeal_round: int = 0
    approved_amount_minor: int | None = None

    @property
    def confirms_forgery(self) -> bool:
        return self.outcome is Outcome.REJECTED and self.reason_code in FORGERY_REASONS


@dataclass(frozen=True, slots=True)
class Appeal:
    """A request to have a decided claim looked at again by a different reviewer."""

    id: str
    tenant_id: str
    claim_id: str
    appellant: str  # "buyer" or "merchant"
    statement: str
    created_at: datetime
    excluded_reviewer_id: str
