"""Claims, their evidence files, and merchant responses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ClaimType(StrEnum):
    REFUND_ONLY = "refund_only"
    RETURN_AND_REFUND = "return_and_refund"


class ClaimStatus(StrEnum):
    """The states of design.md's claim flow."""

    SUBMITTED = "submitted"
    VERIFYING = "verifying"
    ROUTED = "routed"
    AUTO_APPROVED = "auto_approved"
    AWAITING_MERCHANT = "awaiting_merchant"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    PARTIALLY_APPROVED = "partially_approved"
    MORE_EVIDENCE = "more_evidence"
    APPEALED = "appealed"


@dataclass(frozen=True, slots=True)
class Claim:
    """A buyer's after-sales claim. ``version`` guards concurrent updates."""

    id: str
    tenant_id: str
    merchant_id: str
    order_id: str
    buyer_ref: str
    type: ClaimType
    reason: str
    amount_minor: int
    currency: str
    statement: str
    status: ClaimStatus
    created_at: datetime
    updated_at: datetime
    version: int = 1
    round: int = 1  # verification round; more evidence starts the next one
    assignee_id: str | None = None
    excluded_reviewers: tuple[str, ...] = ()
    due_at: datetime | None = None  # merchant window, review SLA or more-evidence deadline
    appeal_count: int = 0
    routing_reasons: tuple[str, ...] = ()
    risk: float | None = None
    verdict: str | None = None
    idempotency_key: str | None = None
    request_sha256: str | None = None


class EvidenceSource(StrEnum):
    BUYER = "buyer"
    MERCHANT = "merchant"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One stored file attached to a claim; the bytes live in the blob store by SHA-256."""

    id: str
    tenant_id: str
    claim_id: str
    round: int
    source: EvidenceSource
    sha256: str
    size_bytes: int
    content_type: str
    filename: str
    uploaded_at: datetime


class ResponseKind(StrEnum):
    PACKING_VIDEO = "packing_video"
    PHOTOS = "photos"
    DELIVERY_PROOF = "delivery_proof"
    STATEMENT = "statement"


class Stance(StrEnum):
    ACCEPT = "accept"  # the merchant agrees to refund
    CONTEST = "contest"  # the merchant disputes; a reviewer decides


@dataclass(frozen=True, slots=True)
class MerchantResponse:
    """The merchant's answer inside its window, with typed evidence."""

    id: str
    tenant_id: str
    claim_id: str
    merchant_id: str
    stance: Stance
    kind: ResponseKind
    statement: str
    evidence_ids: tuple[str, ...]
    created_at: datetime
