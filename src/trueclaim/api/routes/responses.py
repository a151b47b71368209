"""Merchant responses: accept, or contest with typed evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile, status
from pydantic import BaseModel

from trueclaim.api.deps import PrincipalDep, ServicesDep, SettingsDep
from trueclaim.api.schemas import ClaimPublic, ResponsePublic
from trueclaim.api.uploads import only_fields, read_uploads
from trueclaim.domain.claims import ResponseKind, Stance
from trueclaim.domain.services import claims as claims_uc
from trueclaim.domain.services import review as uc

router = APIRouter(tags=["merchant responses"])


class ResponseResult(BaseModel):
    claim: ClaimPublic
    response: ResponsePublic


@router.post(
    "/claims/{claim_id}/merchant-responses",
    status_code=status.HTTP_201_CREATED,
    response_model=ResponseResult,
    dependencies=[Depends(only_fields("stance", "kind", "statement", "files"))],
)
def respond(
    claim_id: str,
    svc: ServicesDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    stance: Annotated[Stance, Form()],
    kind: Annotated[ResponseKind, Form()],
    statement: Annotated[str, Form(max_length=5000)] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> ResponseResult:
    """The merchant answers inside its window (packing video, photos, delivery proof, statement)."""
    uploads = read_uploads(files or [], settings)
    claim, response = uc.respond_as_merchant(
        svc, principal, claim_id, stance=stance, kind=kind, statement=statement, files=uploads
    )
    return ResponseResult(claim=ClaimPublic.of(claim), response=ResponsePublic.of(response))


@router.get("/claims/{claim_id}/merchant-responses", response_model=list[ResponsePublic])
def list_responses(
    claim_id: str, svc: ServicesDep, principal: PrincipalDep
) -> list[ResponsePublic]:
    claim = claims_uc.get_claim(svc, principal, claim_id)
    return [
        ResponsePublic.of(r) for r in svc.repos.claims.list_responses(claim.tenant_id, claim.id)
    ]
