"""The verification job: run the engine on a claim round, store one report, route the claim.

Idempotent by job key (claim, round, evidence ids): a job that runs twice, or is redelivered
after its worker died mid-way, stores at most one report and routes the claim once.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from datetime import timedelta

from trueclaim.domain.claims import Claim, ClaimStatus, EvidenceSource
from trueclaim.domain.errors import Conflict
from trueclaim.domain.policy import Route, route_claim
from trueclaim.domain.ports import Job, StoredReport
from trueclaim.domain.services.context import Services, claim_event, move, new_id
from trueclaim.domain.verdicts import ReportSignals, signals_from_report
from trueclaim.forensics.types import CaseContext

_BUYER_HISTORY = timedelta(days=90)


def run_verification(svc: Services, tenant_id: str, claim_id: str, round: int, key: str) -> str:
    """Run one verification job; returns what happened ("routed", "stale", ...)."""
    at = svc.now()
    svc.repos.reports.start_job(Job(key, tenant_id, claim_id, round, "running", 0, None, at))
    try:
        outcome = _verify_and_route(svc, tenant_id, claim_id, round, key)
    except Exception:
        svc.repos.reports.finish_job(key, "failed", traceback.format_exc(limit=20), svc.now())
        raise
    svc.repos.reports.finish_job(key, "done", None, svc.now())
    return outcome


def _verify_and_route(svc: Services, tenant_id: str, claim_id: str, round: int, key: str) -> str:
    claim = svc.repos.claims.get_claim(tenant_id, claim_id)
    # ROUTED: an earlier delivery died between the two routing moves; finish its work.
    if claim.round != round or claim.status not in (ClaimStatus.VERIFYING, ClaimStatus.ROUTED):
        return "stale"
    stored = next(
        (r for r in svc.repos.reports.list_reports(tenant_id, claim_id) if r.job_key == key), None
    )
    if stored is None:
        stored = _make_report(svc, claim, key)
    return _route(svc, claim, stored)


def _make_report(svc: Services, claim: Claim, key: str) -> StoredReport:
    order = svc.repos.orders.get_order(claim.tenant_id, claim.order_id)
    evidence = [
        e
        for e in svc.repos.claims.list_evidence(claim.tenant_id, claim.id)
        if e.source is EvidenceSource.BUYER
    ]
    references = svc.repos.orders.references_for_order(order)
    evidence_files = [(e.filename, svc.blobs.get(e.sha256)) for e in evidence]
    reference_files = [(r.filename, svc.blobs.get(r.sha256)) for r in references]
    context = CaseContext(
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        claimed_at=claim.created_at,
        product=", ".join(i.title for i in order.items),
    )
    report = svc.verifier([d for _, d in evidence_files], [d for _, d in reference_files], context)
    html = svc.renderer(report, evidence_files, reference_files)
    html_sha = svc.blobs.put(html.encode("utf-8"))
    signals = signals_from_report(report)
    if svc.job_pause_s > 0:  # test hook: lets a test kill the worker here (see tests/integration)
        time.sleep(svc.job_pause_s)
    candidate = StoredReport(
        id=new_id("rep"),
        tenant_id=claim.tenant_id,
        claim_id=claim.id,
        round=claim.round,
        job_key=key,
        risk=report.risk,
        verdict=report.verdict.value,
        report_json=report.to_json(indent=None),
        html_sha256=html_sha,
        routing_signals={
            "ai_label_codes": list(signals.ai_label_codes),
            "derived_codes": list(signals.derived_codes),
            "unreadable_evidence": signals.unreadable_evidence,
            "evidence_ids": [e.id for e in evidence],
            "reference_ids": [r.id for r in references],
        },
        created_at=svc.now(),
    )
    created_event = claim_event(
        claim,
        "report.created",
        "system",
        {
            "report_id": candidate.id,
            "round": candidate.round,
            "risk": round(float(candidate.risk), 4),
            "verdict": candidate.verdict,
            "report_sha256": hashlib.sha256(candidate.report_json.encode("utf-8")).hexdigest(),
            "html_sha256": candidate.html_sha256,
        },
        candidate.created_at,
    )
    stored, _ = svc.repos.reports.add_report_once(candidate, [created_event])
    return stored


def _route(svc: Services, claim: Claim, stored: StoredReport) -> str:
    signals = _signals(stored)
    earlier = [
        _signals(r)
        for r in svc.repos.reports.list_reports(claim.tenant_id, claim.id)
        if r.id != stored.id
    ]
    merchant = svc.repos.tenants.get_merchant(claim.tenant_id, claim.merchant_id)
    buyer = svc.repos.claims.buyer_record(
        claim.tenant_id, claim.buyer_ref, svc.now() - _BUYER_HISTORY
    )
    decision = route_claim(
        svc.policy,
        signals,
        amount_minor=claim.amount_minor,
        buyer=buyer,
        merchant_good_standing=merchant.good_standing,
        earlier=earlier,
        back_from_review=claim.round > 1,
        evidence_reused=bool(svc.repos.claims.claims_sharing_evidence(claim.tenant_id, claim.id)),
    )
    routed = claim
    try:
        if claim.status is ClaimStatus.VERIFYING:
            routed = move(
                svc,
                claim,
                ClaimStatus.ROUTED,
                actor_kind="system",
                actor="system",
                data={"reasons": list(decision.reasons), "report_id": stored.id},
                risk=stored.risk,
                verdict=stored.verdict,
                routing_reasons=decision.reasons,
            )
    except Conflict:
        return "stale"  # another delivery of this job routed it first
    due = {
        Route.MERCHANT: svc.now() + svc.policy.merchant_response_window,
        Route.REVIEW: svc.now() + svc.policy.review_sla,
        Route.AUTO_APPROVE: None,
    }[decision.route]
    try:
        move(
            svc,
            routed,
            decision.route.status,
            actor_kind="system",
            actor="system",
            data={"reasons": list(decision.reasons)},
            due_at=due,
            assignee_id=None,
        )
    except Conflict:
        return "stale"
    return decision.route.value


def _signals(stored: StoredReport) -> ReportSignals:
    sig = stored.routing_signals
    return ReportSignals(
        stored.risk,
        stored.verdict,
        tuple(sig["ai_label_codes"]),
        tuple(sig["derived_codes"]),
        bool(sig["unreadable_evidence"]),
    )
