"""What the claim flow needs from outside, as Protocols; adapters/ implements them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from trueclaim.domain.audit import Event, PendingEvent
from trueclaim.domain.buyers import BuyerRecord
from trueclaim.domain.claims import Claim, ClaimStatus, Evidence, MerchantResponse
from trueclaim.domain.decisions import Appeal, Decision
from trueclaim.domain.orders import Order, Reference
from trueclaim.domain.tenants import ApiKey, Merchant, Tenant
from trueclaim.forensics.types import CaseContext, Report

ClaimRecord = Evidence | MerchantResponse | Decision | Appeal
"""A row that hangs off a claim and is stored with the transition it came with."""


class Clock(Protocol):
    def now(self) -> datetime: ...


class BlobStore(Protocol):
    """Content-addressed storage: the key is the SHA-256 of the bytes."""

    def put(self, data: bytes) -> str: ...
    def get(self, sha256: str) -> bytes: ...
    def exists(self, sha256: str) -> bool: ...


class JobQueue(Protocol):
    """Runs verification jobs; ``job_key`` makes repeated enqueues harmless."""

    def enqueue_verification(
        self, tenant_id: str, claim_id: str, round: int, job_key: str
    ) -> None: ...


class Verifier(Protocol):
    def __call__(
        self, evidence: Sequence[bytes], references: Sequence[bytes], context: CaseContext | None
    ) -> Report: ...


class ReportRenderer(Protocol):
    def __call__(
        self,
        report: Report,
        evidence: Sequence[tuple[str, bytes]],
        references: Sequence[tuple[str, bytes]],
    ) -> str: ...


@dataclass(frozen=True, slots=True)
class StoredReport:
    """An engine report as kept for a claim round; the HTML lives in the blob store."""

    id: str
    tenant_id: str
    claim_id: str
    round: int
    job_key: str
    risk: float
    verdict: str
    report_json: str
    html_sha256: str
    routing_signals: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Job:
    """A verification job's bookkeeping: attempts and the last error survive failures."""

    key: str
    tenant_id: str
    claim_id: str
    round: int
    status: str  # queued, running, done, failed
    attempts: int
    last_error: str | None
    updated_at: datetime


class TenantRepository(Protocol):
    def add_tenant(
        self, tenant: Tenant, keys: Sequence[ApiKey] = (), events: Sequence[PendingEvent] = ()
    ) -> None: ...
    def get_tenant(self, tenant_id: str) -> Tenant: ...
    def add_key(self, key: ApiKey, events: Sequence[PendingEvent] = ()) -> None: ...
    def key_by_secret_hash(self, secret_sha256: str) -> ApiKey | None: ...
    def list_keys(self, tenant_id: str) -> list[ApiKey]: ...
    def revoke_key(
        self, tenant_id: str, key_id: str, at: datetime, events: Sequence[PendingEvent] = ()
    ) -> ApiKey: ...
    def add_merchant(self, merchant: Merchant) -> None: ...
    def get_merchant(self, tenant_id: str, merchant_id: str) -> Merchant: ...
    def list_merchants(self, tenant_id: str) -> list[Merchant]: ...
    def update_merchant(self, merchant: Merchant) -> None: ...


class OrderRepository(Protocol):
    def add_order(self, order: Order) -> None: ...
    def get_order(self, tenant_id: str, order_id: str) -> Order: ...
    def list_orders(self, tenant_id: str, merchant_id: str | None) -> list[Order]: ...
    def add_reference(self, reference: Reference) -> None: ...
    def get_reference(self, tenant_id: str, reference_id: str) -> Reference: ...
    def references_for_order(self, order: Order) -> list[Reference]: ...
    def list_references(self, tenant_id: str, merchant_id: str | None) -> list[Reference]: ...


class ClaimRepository(Protocol):
    def add_claim(
        self, claim: Claim, evidence: Sequence[Evidence], events: Sequence[PendingEvent] = ()
    ) -> None: ...
    def get_claim(self, tenant_id: str, claim_id: str) -> Claim: ...
    def locate_claim(self, claim_id: str) -> Claim: ...  # any tenant: operator tools only
    def claim_by_idempotency_key(self, tenant_id: str, key: str) -> Claim | None: ...
    def save_claim(
        self,
        claim: Claim,
        expected_version: int,
        events: Sequence[PendingEvent] = (),
        records: Sequence[ClaimRecord] = (),
    ) -> None: ...
    def list_claims(
        self, tenant_id: str, *, merchant_id: str | None = None, status: ClaimStatus | None = None
    ) -> list[Claim]: ...
    def pull_next_for_review(
        self,
        tenant_id: str,
        reviewer_id: str,
        at: datetime,
        event_for: Callable[[Claim], PendingEvent] | None = None,
    ) -> Claim | None: ...
    def due_claims(self, at: datetime, tenant_id: str | None = None) -> list[Claim]: ...
    def stalled_claims(
        self, statuses: Sequence[ClaimStatus], updated_before: datetime
    ) -> list[Claim]: ...
    def buyer_record(self, tenant_id: str, buyer_ref: str, since: datetime) -> BuyerRecord: ...
    def add_evidence(self, evidence: Sequence[Evidence]) -> None: ...
    def claims_sharing_evidence(self, tenant_id: str, claim_id: str) -> list[str]: ...
    def list_evidence(self, tenant_id: str, claim_id: str) -> list[Evidence]: ...
    def get_evidence(self, tenant_id: str, claim_id: str, evidence_id: str) -> Evidence: ...
    def add_response(self, response: MerchantResponse) -> None: ...
    def list_responses(self, tenant_id: str, claim_id: str) -> list[MerchantResponse]: ...
    def add_decision(self, decision: Decision) -> None: ...
    def list_decisions(self, tenant_id: str, claim_id: str) -> list[Decision]: ...
    def add_appeal(self, appeal: Appeal) -> None: ...
    def list_appeals(self, tenant_id: str, claim_id: str) -> list[Appeal]: ...


class ReportRepository(Protocol):
    def add_report_once(
        self, report: StoredReport, events: Sequence[PendingEvent] = ()
    ) -> tuple[StoredReport, bool]: ...
    def latest_report(self, tenant_id: str, claim_id: str) -> StoredReport | None: ...
    def list_reports(self, tenant_id: str, claim_id: str) -> list[StoredReport]: ...
    def start_job(self, job: Job) -> Job: ...
    def finish_job(self, key: str, status: str, error: str | None, at: datetime) -> None: ...
    def get_job(self, key: str) -> Job | None: ...
    def list_jobs(self, tenant_id: str, claim_id: str) -> list[Job]: ...


class EventLog(Protocol):
    def append(
        self,
        tenant_id: str,
        stream: str,
        kind: str,
        actor: str,
        data: Mapping[str, Any],
        at: datetime,
    ) -> Event: ...
    def list_events(self, tenant_id: str, stream: str) -> list[Event]: ...


class Repositories(Protocol):
    """Everything the services persist, bundled (read-only, so an adapter's own repository
    classes satisfy it)."""

    @property
    def tenants(self) -> TenantRepository: ...
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def claims(self) -> ClaimRepository: ...
    @property
    def reports(self) -> ReportRepository: ...
    @property
    def events(self) -> EventLog: ...
