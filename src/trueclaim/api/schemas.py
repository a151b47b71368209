"""Public API schemas, named for their role (``ClaimPublic``, ``OrderCreate``). Extra fields
are forbidden on every input."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from trueclaim.domain.claims import Claim, Evidence, MerchantResponse
from trueclaim.domain.decisions import Appeal, Decision, Outcome, ReasonCode
from trueclaim.domain.orders import Order, Reference
from trueclaim.domain.tenants import ApiKey, Merchant, Role, Tenant

Id = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TenantCreate(Input):
    name: str = Field(min_length=1, max_length=200)


class TenantPublic(BaseModel):
    id: str
    name: str
    is_operator: bool
    created_at: datetime

    @classmethod
    def of(cls, t: Tenant) -> TenantPublic:
        return cls(id=t.id, name=t.name, is_operator=t.is_operator, created_at=t.created_at)


class TenantCreated(BaseModel):
    tenant: TenantPublic
    admin_key: str = Field(description="The first platform-admin key; shown once.")


class KeyCreate(Input):
    role: Role
    name: str = Field(min_length=1, max_length=200)
    merchant_id: str | None = Field(default=None, min_length=1, max_length=40)


class KeyPublic(BaseModel):
    id: str
    role: Role
    name: str
    merchant_id: str | None
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, k: ApiKey) -> KeyPublic:
        return cls(
            id=k.id,
            role=k.role,
            name=k.name,
            merchant_id=k.merchant_id,
            created_at=k.created_at,
            revoked_at=k.revoked_at,
        )


class KeyCreated(BaseModel):
    key: KeyPublic
    secret: str = Field(description="The key secret; shown once.")


class MerchantCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    good_standing: bool = True


class MerchantUpdate(Input):
    good_standing: bool


class MerchantPublic(BaseModel):
    id: str
    name: str
    good_standing: bool
    created_at: datetime

    @classmethod
    def of(cls, m: Merchant) -> MerchantPublic:
        return cls(id=m.id, name=m.name, good_standing=m.good_standing, created_at=m.created_at)


class OrderItemIn(Input):
    sku: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=500)
    quantity: int = Field(ge=1, le=10_000)
    unit_price_minor: int = Field(ge=0, le=10**12)


class OrderCreate(Input):
    merchant_id: str = Field(min_length=1, max_length=40)
    external_id: str = Field(min_length=1, max_length=200)
    buyer_account_id: str = Field(min_length=1, max_length=200)
    items: list[OrderItemIn] = Field(min_length=1, max_length=100)
    amount_minor: int = Field(ge=0, le=10**12)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    shipped_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None


class OrderPublic(BaseModel):
    id: str
    merchant_id: str
    external_id: str
    buyer_ref: str
    items: list[dict[str, Any]]
    amount_minor: int
    currency: str
    created_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None

    @classmethod
    def of(cls, o: Order) -> OrderPublic:
        return cls(
            id=o.id,
            merchant_id=o.merchant_id,
            external_id=o.external_id,
            buyer_ref=o.buyer_ref,
            items=[
                {
                    "sku": i.sku,
                    "title": i.title,
                    "quantity": i.quantity,
                    "unit_price_minor": i.unit_price_minor,
                }
                for i in o.items
            ],
            amount_minor=o.amount_minor,
            currency=o.currency,
            created_at=o.created_at,
            shipped_at=o.shipped_at,
            delivered_at=o.delivered_at,
        )


class ReferencePublic(BaseModel):
    id: str
    merchant_id: str
    kind: str
    sha256: str
    size_bytes: int
    content_type: str
    filename: str
    sku: str | None
    order_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, r: Reference) -> ReferencePublic:
        return cls(
            id=r.id,
            merchant_id=r.merchant_id,
            kind=r.kind.value,
            sha256=r.sha256,
            size_bytes=r.size_bytes,
            content_type=r.content_type,
            filename=r.filename,
            sku=r.sku,
            order_id=r.order_id,
            created_at=r.created_at,
        )


class EvidencePublic(BaseModel):
    id: str
    round: int
    source: str
    sha256: str
    size_bytes: int
    content_type: str
    filename: str
    uploaded_at: datetime

    @classmethod
    def of(cls, e: Evidence) -> EvidencePublic:
        return cls(
            id=e.id,
            round=e.round,
            source=e.source.value,
            sha256=e.sha256,
            size_bytes=e.size_bytes,
            content_type=e.content_type,
            filename=e.filename,
            uploaded_at=e.uploaded_at,
        )


class ClaimPublic(BaseModel):
    id: str
    merchant_id: str
    order_id: str
    type: str
    reason: str
    amount_minor: int
    currency: str
    statement: str
    status: str
    round: int
    risk: float | None
    verdict: str | None
    routing_reasons: list[str]
    assignee_id: str | None
    due_at: datetime | None
    appeal_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: Claim) -> ClaimPublic:
        return cls(
            id=c.id,
            merchant_id=c.merchant_id,
            order_id=c.order_id,
            type=c.type.value,
            reason=c.reason,
            amount_minor=c.amount_minor,
            currency=c.currency,
            statement=c.statement,
            status=c.status.value,
            round=c.round,
            risk=c.risk,
            verdict=c.verdict,
            routing_reasons=list(c.routing_reasons),
            assignee_id=c.assignee_id,
            due_at=c.due_at,
            appeal_count=c.appeal_count,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


class ResponsePublic(BaseModel):
    id: str
    stance: str
    kind: str
    statement: str
    evidence_ids: list[str]
    created_at: datetime

    @classmethod
    def of(cls, r: MerchantResponse) -> ResponsePublic:
        return cls(
            id=r.id,
            stance=r.stance.value,
            kind=r.kind.value,
            statement=r.statement,
            evidence_ids=list(r.evidence_ids),
            created_at=r.created_at,
        )


class DecisionCreate(Input):
    outcome: Outcome
    reason_code: ReasonCode
    note: str = Field(default="", max_length=5000)
    approved_amount_minor: int | None = Field(default=None, ge=0, le=10**12)


class DecisionPublic(BaseModel):
    id: str
    reviewer_id: str
    outcome: Outcome
    reason_code: ReasonCode
    note: str
    appeal_round: int
    approved_amount_minor: int | None
    decided_at: datetime

    @classmethod
    def of(cls, d: Decision) -> DecisionPublic:
        return cls(
            id=d.id,
            reviewer_id=d.reviewer_id,
            outcome=d.outcome,
            reason_code=d.reason_code,
            note=d.note,
            appeal_round=d.appeal_round,
            approved_amount_minor=d.approved_amount_minor,
            decided_at=d.decided_at,
        )


class AppealCreate(Input):
    statement: str = Field(min_length=1, max_length=5000)


class AppealPublic(BaseModel):
    id: str
    appellant: str
    statement: str
    created_at: datetime

    @classmethod
    def of(cls, a: Appeal) -> AppealPublic:
        return cls(id=a.id, appellant=a.appellant, statement=a.statement, created_at=a.created_at)


class EventPublic(BaseModel):
    stream: str
    seq: int
    kind: str
    actor: str
    at: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class EventChain(BaseModel):
    events: list[EventPublic]
    chain_valid: bool
    breaks: list[str]


class ReportPublic(BaseModel):
    id: str
    claim_id: str
    round: int
    risk: float
    verdict: str
    routing_signals: dict[str, Any]
    report: dict[str, Any]
    created_at: datetime


class TimerRun(BaseModel):
    moved_claim_ids: list[str]


class JobPublic(BaseModel):
    key: str
    round: int
    status: str
    attempts: int
    last_error: str | None
    updated_at: datetime
