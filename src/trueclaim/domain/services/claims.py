"""Use cases around a claim's life before people decide: submit, add evidence, read."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta

from trueclaim.domain.audit import PendingEvent
from trueclaim.domain.claims import Claim, ClaimStatus, ClaimType, Evidence, EvidenceSource
from trueclaim.domain.errors import ClaimNotFound, Conflict, ValidationFailed
from trueclaim.domain.ports import StoredReport
from trueclaim.domain.services.context import (
    Services,
    UploadedFile,
    claim_event,
    move,
    new_id,
    require,
)
from trueclaim.domain.states import transition
from trueclaim.domain.tenants import Principal, Role


def job_key(claim_id: str, round: int, evidence_ids: Sequence[str]) -> str:
    """The idempotency key of a verification job: claim, round and the evidence ids."""
    digest = hashlib.sha256(",".join(sorted(evidence_ids)).encode()).hexdigest()[:16]
    return f"{claim_id}:{round}:{digest}"


def submit_claim(
    svc: Services,
    principal: Principal,
    *,
    order_id: str,
    type: ClaimType,
    reason: str,
    amount_minor: int,
    statement: str,
    files: Sequence[UploadedFile],
    idempotency_key: str | None,
) -> tuple[Claim, bool]:
    """The buyer channel files a claim with evidence; returns (claim, created).

    A repeated idempotency key with the same request returns the first claim; with a
    different request it is a Conflict. Originals are stored before anything else happens.
    A replay also finishes what the first request may not have (it can fail after storing the
    claim, e.g. with the queue down): the move to verifying and the verification job.
    """
    require(principal, Role.BUYER_CHANNEL, Role.PLATFORM_ADMIN)
    fingerprint = _fingerprint(order_id, type.value, reason, amount_minor, statement, files)
    if idempotency_key is not None:
        earlier = svc.repos.claims.claim_by_idempotency_key(principal.tenant_id, idempotency_key)
        if earlier is not None:
            if earlier.request_sha256 != fingerprint:
                raise Conflict(
                    f"Idempotency-Key {idempotency_key!r} was used for a different request; "
                    "use a new key for a new claim."
                )
            return _resume_verification(svc, earlier), False
    order = svc.repos.orders.get_order(principal.tenant_id, order_id)
    if not files:
        raise ValidationFailed(
            "A claim needs at least one evidence file.", {"files": "at least one file"}
        )
    if amount_minor > order.amount_minor:
        raise ValidationFailed(
            "The claimed amount exceeds the order amount.",
            {"amount_minor": f"at most {order.amount_minor}"},
        )
    at = svc.now()
    claim = Claim(
        id=new_id("clm"),
        tenant_id=principal.tenant_id,
        merchant_id=order.merchant_id,
        order_id=order.id,
        buyer_ref=order.buyer_ref,
        type=type,
        reason=reason,
        amount_minor=amount_minor,
        currency=order.currency,
        statement=statement,
        status=ClaimStatus.SUBMITTED,
        created_at=at,
        updated_at=at,
        idempotency_key=idempotency_key,
        request_sha256=fingerprint,
    )
    evidence = store_files(svc, claim, files, EvidenceSource.BUYER, claim.round)
    submitted = claim_event(
        claim,
        "claim.submitted",
        principal.actor,
        {
            "order_id": order.id,
            "type": type.value,
            "amount_minor": amount_minor,
            "buyer_ref": claim.buyer_ref,
        },
        at,
    )
    try:
        svc.repos.claims.add_claim(
            claim, evidence, [submitted, *upload_events(claim, evidence, principal.actor)]
        )
    except Conflict:
        winner = (
            svc.repos.claims.claim_by_idempotency_key(principal.tenant_id, idempotency_key)
            if idempotency_key is not None
            else None
        )
        if winner is None:
            raise
        # A concurrent request with the same key won the race: this one is its replay.
        if winner.request_sha256 != fingerprint:
            raise Conflict(
                f"Idempotency-Key {idempotency_key!r} was used for a different request; "
                "use a new key for a new claim."
            ) from None
        return winner, False
    return _start_verification(svc, claim, [e.id for e in evidence]), True


def _start_verification(svc: Services, claim: Claim, evidence_ids: Sequence[str]) -> Claim:
    """Move a submitted claim to verifying and queue its job (both safe to repeat)."""
    if claim.status is ClaimStatus.SUBMITTED:
        try:
            claim = move(svc, claim, ClaimStatus.VERIFYING, actor_kind="system", actor="system")
        except Conflict:
            # A replay of the same request moved it first and queued the job itself.
            return svc.repos.claims.get_claim(claim.tenant_id, claim.id)
    svc.queue.enqueue_verification(
        claim.tenant_id, claim.id, claim.round, job_key(claim.id, claim.round, evidence_ids)
    )
    return claim


def _resume_verification(svc: Services, claim: Claim) -> Claim:
    """For a replayed submission: queue the first round's job again unless it is known to have
    run or to be running (the job is idempotent by its key, so a duplicate is harmless)."""
    if claim.round != 1 or claim.status not in (ClaimStatus.SUBMITTED, ClaimStatus.VERIFYING):
        return claim
    evidence_ids = _round_evidence_ids(svc, claim)
    job = svc.repos.reports.get_job(job_key(claim.id, claim.round, evidence_ids))
    if claim.status is ClaimStatus.VERIFYING and job is not None and job.status != "failed":
        return claim
    return _start_verification(svc, claim, evidence_ids)


_BEFORE_ROUTING = (ClaimStatus.SUBMITTED, ClaimStatus.VERIFYING, ClaimStatus.ROUTED)


def requeue_stalled(svc: Services, *, older_than: timedelta) -> list[str]:
    """Queue verification again for claims stuck before routing for longer than
    ``older_than`` whose job never started, or started and then went silent (its worker, or
    the whole in-process queue, died: e.g. ``trueclaim serve`` restarted with jobs queued).
    A failed job is left for operators (``GET /claims/{id}/jobs``). Returns the claim ids."""
    now = svc.now()
    requeued = []
    for claim in svc.repos.claims.stalled_claims(_BEFORE_ROUTING, now - older_than):
        evidence_ids = _round_evidence_ids(svc, claim)
        job = svc.repos.reports.get_job(job_key(claim.id, claim.round, evidence_ids))
        if job is not None and (
            job.status in ("failed", "done") or job.updated_at > now - older_than
        ):
            continue
        try:
            _start_verification(svc, claim, evidence_ids)
        except Conflict:
            continue  # moved on since it was read
        requeued.append(claim.id)
    return requeued


def _round_evidence_ids(svc: Services, claim: Claim) -> list[str]:
    """The buyer files of the claim's current round: what its verification job covers."""
    return [
        e.id
        for e in svc.repos.claims.list_evidence(claim.tenant_id, claim.id)
        if e.source is EvidenceSource.BUYER and e.round == claim.round
    ]


def add_evidence(
    svc: Services, principal: Principal, claim_id: str, files: Sequence[UploadedFile]
) -> Claim:
    """The buyer answers a reviewer's request for more evidence; verification runs again."""
    require(principal, Role.BUYER_CHANNEL)
    claim = get_claim(svc, principal, claim_id)
    if not files:
        raise ValidationFailed("Send at least one evidence file.", {"files": "at least one file"})
    transition(
        claim, ClaimStatus.VERIFYING, actor_kind="buyer", at=svc.now()
    )  # check before storing
    evidence = store_files(svc, claim, files, EvidenceSource.BUYER, claim.round + 1)
    moved = move(
        svc,
        claim,
        ClaimStatus.VERIFYING,
        actor_kind="buyer",
        actor=principal.actor,
        before=upload_events(claim, evidence, principal.actor),
        records=evidence,
        round=claim.round + 1,
        due_at=None,
    )
    svc.queue.enqueue_verification(
        moved.tenant_id,
        moved.id,
        moved.round,
        job_key(moved.id, moved.round, [e.id for e in evidence]),
    )
    return moved


def get_claim(svc: Services, principal: Principal, claim_id: str) -> Claim:
    """A claim the caller may see; another merchant's claim does not exist for them."""
    claim = svc.repos.claims.get_claim(principal.tenant_id, claim_id)
    if principal.role is Role.MERCHANT and claim.merchant_id != principal.merchant_id:
        raise ClaimNotFound(claim_id)
    return claim


def list_claims(svc: Services, principal: Principal, status: ClaimStatus | None) -> list[Claim]:
    merchant = principal.merchant_id if principal.role is Role.MERCHANT else None
    return svc.repos.claims.list_claims(principal.tenant_id, merchant_id=merchant, status=status)


def latest_report(svc: Services, principal: Principal, claim_id: str) -> StoredReport | None:
    claim = get_claim(svc, principal, claim_id)
    return svc.repos.reports.latest_report(claim.tenant_id, claim.id)


def store_files(
    svc: Services, claim: Claim, files: Sequence[UploadedFile], source: EvidenceSource, round: int
) -> list[Evidence]:
    """Store the originals byte for byte (content-addressed) and describe them."""
    at = svc.now()
    out = []
    for f in files:
        sha = svc.blobs.put(f.data)
        out.append(
            Evidence(
                new_id("evi"),
                claim.tenant_id,
                claim.id,
                round,
                source,
                sha,
                len(f.data),
                f.content_type,
                f.filename,
                at,
            )
        )
    return out


def upload_events(claim: Claim, evidence: Sequence[Evidence], actor: str) -> list[PendingEvent]:
    """One ``evidence.uploaded`` event per stored file."""
    return [
        claim_event(
            claim,
            "evidence.uploaded",
            actor,
            {
                "evidence_id": e.id,
                "sha256": e.sha256,
                "size_bytes": e.size_bytes,
                "filename": e.filename,
                "source": e.source.value,
                "round": e.round,
            },
            e.uploaded_at,
        )
        for e in evidence
    ]


def _fingerprint(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, (list, tuple)):
            for f in p:
                h.update(hashlib.sha256(f.data).digest())
                h.update(f.filename.encode())
        else:
            h.update(repr(p).encode())
        h.update(b"\x00")
    return h.hexdigest()
