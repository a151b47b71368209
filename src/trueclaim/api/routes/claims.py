"""Claims: submission with evidence (multipart, idempotency keys), reading, more evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Response, UploadFile, status

from trueclaim.api.deps import PrincipalDep, ServicesDep, SettingsDep
from trueclaim.api.schemas import ClaimPublic, EvidencePublic
from trueclaim.api.uploads import only_fields, read_uploads
from trueclaim.domain.claims import ClaimStatus, ClaimType
from trueclaim.domain.services import claims as uc

router = APIRouter(tags=["claims"])


@router.post(
    "/claims",
    status_code=status.HTTP_201_CREATED,
    response_model=ClaimPublic,
    responses={
        200: {
            "model": ClaimPublic,
            "description": "Replay of an earlier request with the same Idempotency-Key",
        }
    },
    dependencies=[
        Depends(only_fields("order_id", "type", "reason", "amount_minor", "statement", "files"))
    ],
)
def submit_claim(
    response: Response,
    svc: ServicesDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    order_id: Annotated[str, Form(min_length=1, max_length=40)],
    type: Annotated[ClaimType, Form()],
    reason: Annotated[str, Form(min_length=1, max_length=200)],
    amount_minor: Annotated[int, Form(ge=1, le=10**12)],
    files: Annotated[list[UploadFile], File(description="Evidence photos")],
    statement: Annotated[str, Form(max_length=5000)] = "",
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> ClaimPublic:
    """File a claim (buyer channel). Verification starts in the background."""
    uploads = read_uploads(files, settings)
    claim, created = uc.submit_claim(
        svc,
        principal,
        order_id=order_id,
        type=type,
        reason=reason,
        amount_minor=amount_minor,
        statement=statement,
        files=uploads,
        idempotency_key=idempotency_key,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return ClaimPublic.of(claim)


@router.get("/claims", response_model=list[ClaimPublic])
def list_claims(
    svc: ServicesDep, principal: PrincipalDep, status: ClaimStatus | None = None
) -> list[ClaimPublic]:
    return [ClaimPublic.of(c) for c in uc.list_claims(svc, principal, status)]


@router.get("/claims/{claim_id}", response_model=ClaimPublic)
def get_claim(claim_id: str, svc: ServicesDep, principal: PrincipalDep) -> ClaimPublic:
    return ClaimPublic.of(uc.get_claim(svc, principal, claim_id))


@router.post(
    "/claims/{claim_id}/evidence",
    response_model=ClaimPublic,
    dependencies=[Depends(only_fields("files"))],
)
def add_evidence(
    claim_id: str,
    svc: ServicesDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    files: Annotated[list[UploadFile], File()],
) -> ClaimPublic:
    """More evidence after a reviewer asked for it; verification runs again."""
    uploads = read_uploads(files, settings)
    return ClaimPublic.of(uc.add_evidence(svc, principal, claim_id, uploads))


@router.get("/claims/{claim_id}/evidence", response_model=list[EvidencePublic])
def list_evidence(claim_id: str, svc: ServicesDep, principal: PrincipalDep) -> list[EvidencePublic]:
    claim = uc.get_claim(svc, principal, claim_id)
    return [EvidencePublic.of(e) for e in svc.repos.claims.list_evidence(claim.tenant_id, claim.id)]


@router.get(
    "/claims/{claim_id}/evidence/{evidence_id}/content",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def evidence_content(
    claim_id: str, evidence_id: str, svc: ServicesDep, principal: PrincipalDep
) -> Response:
    claim = uc.get_claim(svc, principal, claim_id)
    e = svc.repos.claims.get_evidence(claim.tenant_id, claim.id, evidence_id)
    return Response(
        svc.blobs.get(e.sha256), media_type=e.content_type, headers={"X-Content-SHA256": e.sha256}
    )
