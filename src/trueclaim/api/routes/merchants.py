"""Merchants of a tenant."""

from __future__ import annotations

from fastapi import APIRouter, status

from trueclaim.api.deps import PrincipalDep, ServicesDep
from trueclaim.api.schemas import MerchantCreate, MerchantPublic, MerchantUpdate
from trueclaim.domain.services import tenants as uc
from trueclaim.domain.tenants import Role

router = APIRouter(tags=["merchants"])


@router.post("/merchants", status_code=status.HTTP_201_CREATED, response_model=MerchantPublic)
def create_merchant(
    body: MerchantCreate, svc: ServicesDep, principal: PrincipalDep
) -> MerchantPublic:
    return MerchantPublic.of(uc.create_merchant(svc, principal, body.name, body.good_standing))


@router.get("/merchants", response_model=list[MerchantPublic])
def list_merchants(svc: ServicesDep, principal: PrincipalDep) -> list[MerchantPublic]:
    found = svc.repos.tenants.list_merchants(principal.tenant_id)
    if principal.role is Role.MERCHANT:
        found = [m for m in found if m.id == principal.merchant_id]
    return [MerchantPublic.of(m) for m in found]


@router.get("/merchants/{merchant_id}", response_model=MerchantPublic)
def get_merchant(merchant_id: str, svc: ServicesDep, principal: PrincipalDep) -> MerchantPublic:
    return MerchantPublic.of(uc.get_merchant(svc, principal, merchant_id))


@router.patch("/merchants/{merchant_id}", response_model=MerchantPublic)
def update_merchant(
    merchant_id: str, body: MerchantUpdate, svc: ServicesDep, principal: PrincipalDep
) -> MerchantPublic:
    """Set a merchant's standing (merchants in good standing answer claims first)."""
    return MerchantPublic.of(uc.set_standing(svc, principal, merchant_id, body.good_standing))
