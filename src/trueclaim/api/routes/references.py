"""Reference media: listing photos per SKU, packing photos / video frames per order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile, status

from trueclaim.api.deps import PrincipalDep, ServicesDep, SettingsDep
from trueclaim.api.schemas import ReferencePublic
from trueclaim.api.uploads import only_fields, read_uploads
from trueclaim.domain.orders import ReferenceKind
from trueclaim.domain.services import orders as uc
from trueclaim.domain.tenants import Role

router = APIRouter(tags=["references"])


@router.post(
    "/references",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferencePublic,
    dependencies=[Depends(only_fields("merchant_id", "kind", "sku", "order_id", "file"))],
)
def add_reference(
    svc: ServicesDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    merchant_id: Annotated[str, Form(min_length=1, max_length=40)],
    kind: Annotated[ReferenceKind, Form()],
    file: Annotated[UploadFile, File()],
    sku: Annotated[str | None, Form(min_length=1, max_length=200)] = None,
    order_id: Annotated[str | None, Form(min_length=1, max_length=40)] = None,
) -> ReferencePublic:
    """Upload one reference file (stored byte for byte under its SHA-256)."""
    (upload,) = read_uploads([file], settings, field="file")
    ref = uc.add_reference(
        svc, principal, merchant_id=merchant_id, kind=kind, file=upload, sku=sku, order_id=order_id
    )
    return ReferencePublic.of(ref)


@router.get("/references", response_model=list[ReferencePublic])
def list_references(svc: ServicesDep, principal: PrincipalDep) -> list[ReferencePublic]:
    merchant = principal.merchant_id if principal.role is Role.MERCHANT else None
    return [
        ReferencePublic.of(r)
        for r in svc.repos.orders.list_references(principal.tenant_id, merchant)
    ]


@router.get("/references/{reference_id}", response_model=ReferencePublic)
def get_reference(reference_id: str, svc: ServicesDep, principal: PrincipalDep) -> ReferencePublic:
    return ReferencePublic.of(uc.get_reference(svc, principal, reference_id))


@router.get(
    "/references/{reference_id}/content",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def reference_content(reference_id: str, svc: ServicesDep, principal: PrincipalDep) -> Response:
    ref = uc.get_reference(svc, principal, reference_id)
    return Response(
        svc.blobs.get(ref.sha256),
        media_type=ref.content_type,
        headers={"X-Content-SHA256": ref.sha256},
    )
