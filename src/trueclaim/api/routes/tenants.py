"""Tenants and API keys."""

from __future__ import annotations

from fastapi import APIRouter, status

from trueclaim.api.deps import PrincipalDep, ServicesDep
from trueclaim.api.schemas import (
    KeyCreate,
    KeyCreated,
    KeyPublic,
    TenantCreate,
    TenantCreated,
    TenantPublic,
)
from trueclaim.domain.services import tenants as uc
from trueclaim.domain.services.context import require
from trueclaim.domain.tenants import Role

router = APIRouter(tags=["tenants"])


@router.post("/tenants", status_code=status.HTTP_201_CREATED, response_model=TenantCreated)
def create_tenant(body: TenantCreate, svc: ServicesDep, principal: PrincipalDep) -> TenantCreated:
    """Create a platform tenant (operator admins only); returns its first admin key once."""
    tenant, secret = uc.create_tenant(svc, principal, body.name)
    return TenantCreated(tenant=TenantPublic.of(tenant), admin_key=secret)


@router.get("/tenant", response_model=TenantPublic)
def my_tenant(svc: ServicesDep, principal: PrincipalDep) -> TenantPublic:
    """The caller's own tenant."""
    return TenantPublic.of(svc.repos.tenants.get_tenant(principal.tenant_id))


@router.post("/keys", status_code=status.HTTP_201_CREATED, response_model=KeyCreated)
def create_key(body: KeyCreate, svc: ServicesDep, principal: PrincipalDep) -> KeyCreated:
    """Issue an API key with a role; merchant keys name their merchant."""
    key, secret = uc.create_key(svc, principal, body.role, body.name, body.merchant_id)
    return KeyCreated(key=KeyPublic.of(key), secret=secret)


@router.get("/keys", response_model=list[KeyPublic])
def list_keys(svc: ServicesDep, principal: PrincipalDep) -> list[KeyPublic]:
    require(principal, Role.PLATFORM_ADMIN)
    return [KeyPublic.of(k) for k in svc.repos.tenants.list_keys(principal.tenant_id)]


@router.delete("/keys/{key_id}", response_model=KeyPublic)
def revoke_key(key_id: str, svc: ServicesDep, principal: PrincipalDep) -> KeyPublic:
    return KeyPublic.of(uc.revoke_key(svc, principal, key_id))
