"""The review queue, decisions, appeals and timers."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from trueclaim.api.deps import PrincipalDep, ServicesDep
from trueclaim.api.schemas import (
    AppealCreate,
    AppealPublic,
    ClaimPublic,
    DecisionCreate,
    DecisionPublic,
    TimerRun,
)
from trueclaim.domain.services import claims as claims_uc
from trueclaim.domain.services import review as uc
from trueclaim.domain.services.context import require
from trueclaim.domain.tenants import Role

router = APIRouter(tags=["review"])


class DecisionResult(BaseModel):
    claim: ClaimPublic
    decision: DecisionPublic


class AppealResult(BaseModel):
    claim: ClaimPublic
    appeal: AppealPublic


@router.post(
    "/review-queue/next",
    response_model=ClaimPublic,
    responses={204: {"description": "Nothing to review"}},
)
def pull_next(svc: ServicesDep, principal: PrincipalDep) -> ClaimPublic | Response:
    """Assign the most urgent claim to the calling reviewer; never to two reviewers."""
    claim = uc.pull_next(svc, principal)
    if claim is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return ClaimPublic.of(claim)


@router.post(
    "/claims/{claim_id}/decisions",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionResult,
)
def decide(
    claim_id: str, body: DecisionCreate, svc: ServicesDep, principal: PrincipalDep
) -> DecisionResult:
    claim, decision = uc.decide(
        svc,
        principal,
        claim_id,
        outcome=body.outcome,
        reason_code=body.reason_code,
        note=body.note,
        approved_amount_minor=body.approved_amount_minor,
    )
    return DecisionResult(claim=ClaimPublic.of(claim), decision=DecisionPublic.of(decision))


@router.get("/claims/{claim_id}/decisions", response_model=list[DecisionPublic])
def list_decisions(
    claim_id: str, svc: ServicesDep, principal: PrincipalDep
) -> list[DecisionPublic]:
    claim = claims_uc.get_claim(svc, principal, claim_id)
    return [
        DecisionPublic.of(d) for d in svc.repos.claims.list_decisions(claim.tenant_id, claim.id)
    ]


@router.post(
    "/claims/{claim_id}/appeals", status_code=status.HTTP_201_CREATED, response_model=AppealResult
)
def appeal(
    claim_id: str, body: AppealCreate, svc: ServicesDep, principal: PrincipalDep
) -> AppealResult:
    claim, item = uc.appeal(svc, principal, claim_id, body.statement)
    return AppealResult(claim=ClaimPublic.of(claim), appeal=AppealPublic.of(item))


@router.get("/claims/{claim_id}/appeals", response_model=list[AppealPublic])
def list_appeals(claim_id: str, svc: ServicesDep, principal: PrincipalDep) -> list[AppealPublic]:
    claim = claims_uc.get_claim(svc, principal, claim_id)
    return [AppealPublic.of(a) for a in svc.repos.claims.list_appeals(claim.tenant_id, claim.id)]


@router.post("/timers/run", response_model=TimerRun)
def run_timers(svc: ServicesDep, principal: PrincipalDep) -> TimerRun:
    """Apply expired timers now (workers also do this periodically)."""
    require(principal, Role.PLATFORM_ADMIN)
    moved = uc.expire_due(svc, principal.tenant_id)
    return TimerRun(moved_claim_ids=[c.id for c in moved])
