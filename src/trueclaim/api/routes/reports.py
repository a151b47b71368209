"""The engine's report for a claim (JSON and the self-contained HTML page), and its jobs."""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from trueclaim.api.deps import PrincipalDep, ServicesDep
from trueclaim.api.errors import ApiError
from trueclaim.api.schemas import JobPublic, ReportPublic
from trueclaim.domain.ports import StoredReport
from trueclaim.domain.services import claims as uc
from trueclaim.domain.services.context import Services, require
from trueclaim.domain.tenants import Principal, Role

router = APIRouter(tags=["reports"])


def _latest(svc: Services, principal: Principal, claim_id: str) -> StoredReport:
    report = uc.latest_report(svc, principal, claim_id)
    if report is None:
        raise ApiError(
            404,
            "report_not_ready",
            f"Claim {claim_id} has no report yet; verification "
            "is still running. Poll the claim until its status leaves 'verifying'.",
        )
    return report


@router.get("/claims/{claim_id}/report", response_model=ReportPublic)
def get_report(claim_id: str, svc: ServicesDep, principal: PrincipalDep) -> ReportPublic:
    r = _latest(svc, principal, claim_id)
    return ReportPublic(
        id=r.id,
        claim_id=r.claim_id,
        round=r.round,
        risk=r.risk,
        verdict=r.verdict,
        routing_signals=dict(r.routing_signals),
        report=json.loads(r.report_json),
        created_at=r.created_at,
    )


@router.get("/claims/{claim_id}/report.html", response_class=HTMLResponse)
def get_report_html(claim_id: str, svc: ServicesDep, principal: PrincipalDep) -> HTMLResponse:
    r = _latest(svc, principal, claim_id)
    return HTMLResponse(svc.blobs.get(r.html_sha256).decode("utf-8"))


@router.get("/claims/{claim_id}/jobs", response_model=list[JobPublic])
def list_jobs(claim_id: str, svc: ServicesDep, principal: PrincipalDep) -> list[JobPublic]:
    """Verification jobs of a claim: status, attempts and the last error (for operators)."""
    require(principal, Role.PLATFORM_ADMIN, Role.REVIEWER)
    claim = uc.get_claim(svc, principal, claim_id)
    return [
        JobPublic(
            key=j.key,
            round=j.round,
            status=j.status,
            attempts=j.attempts,
            last_error=j.last_error,
            updated_at=j.updated_at,
        )
        for j in svc.repos.reports.list_jobs(claim.tenant_id, claim.id)
    ]
