"""Use cases for tenants, API keys and merchants."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from trueclaim.domain.audit import PendingEvent
from trueclaim.domain.errors import NotFound, PermissionDenied, ValidationFailed
from trueclaim.domain.services.context import Services, new_id, require
from trueclaim.domain.tenants import (
    ApiKey,
    Merchant,
    Principal,
    Role,
    Tenant,
    hash_secret,
    new_secret,
)


def bootstrap_tenant(svc: Services, name: str, *, is_operator: bool = False) -> tuple[Tenant, str]:
    """Create a tenant and its first platform-admin key; returns the key secret (shown once)."""
    at = svc.now()
    tenant = Tenant(id=new_id("ten"), name=name, created_at=at, is_operator=is_operator)
    secret = new_secret()
    key = ApiKey(
        new_id("key"), tenant.id, Role.PLATFORM_ADMIN, "first admin", hash_secret(secret), at
    )
    created = _tenant_event(
        tenant.id, "tenant.created", "system", {"name": name, "admin_key_id": key.id}, at
    )
    svc.repos.tenants.add_tenant(tenant, [key], [created])
    return tenant, secret


def create_tenant(svc: Services, principal: Principal, name: str) -> tuple[Tenant, str]:
    """An operator platform admin creates another tenant."""
    require(principal, Role.PLATFORM_ADMIN)
    if not svc.repos.tenants.get_tenant(principal.tenant_id).is_operator:
        raise PermissionDenied("Only the operator tenant's admins may create tenants.")
    return bootstrap_tenant(svc, name)


def authenticate(svc: Services, secret: str) -> Principal | None:
    """The caller behind an API key secret, or None when the key is unknown or revoked."""
    key = svc.repos.tenants.key_by_secret_hash(hash_secret(secret))
    if key is None or not key.active:
        return None
    return Principal(key.tenant_id, key.role, key.id, key.merchant_id)


def create_key(
    svc: Services, principal: Principal, role: Role, name: str, merchant_id: str | None
) -> tuple[ApiKey, str]:
    """A platform admin issues a key; merchant keys are bound to one merchant."""
    require(principal, Role.PLATFORM_ADMIN)
    if (role is Role.MERCHANT) != (merchant_id is not None):
        raise ValidationFailed(
            "merchant_id is required for merchant keys and not allowed for other roles.",
            {"merchant_id": "required for role merchant, forbidden otherwise"},
        )
    if merchant_id is not None:
        svc.repos.tenants.get_merchant(principal.tenant_id, merchant_id)
    secret = new_secret()
    at = svc.now()
    key = ApiKey(
        new_id("key"), principal.tenant_id, role, name, hash_secret(secret), at, merchant_id
    )
    created = _tenant_event(
        principal.tenant_id,
        "key.created",
        principal.actor,
        {"key_id": key.id, "role": role.value},
        at,
    )
    svc.repos.tenants.add_key(key, [created])
    return key, secret


def revoke_key(svc: Services, principal: Principal, key_id: str) -> ApiKey:
    require(principal, Role.PLATFORM_ADMIN)
    at = svc.now()
    revoked = _tenant_event(
        principal.tenant_id, "key.revoked", principal.actor, {"key_id": key_id}, at
    )
    return svc.repos.tenants.revoke_key(principal.tenant_id, key_id, at, [revoked])


def _tenant_event(
    tenant_id: str, kind: str, actor: str, data: dict[str, Any], at: datetime
) -> PendingEvent:
    """An event in the tenant's own stream, stored with the change it records."""
    return PendingEvent(tenant_id, f"tenant:{tenant_id}", kind, actor, data, at)


def create_merchant(
    svc: Services, principal: Principal, name: str, good_standing: bool
) -> Merchant:
    require(principal, Role.PLATFORM_ADMIN)
    merchant = Merchant(new_id("mer"), principal.tenant_id, name, svc.now(), good_standing)
    svc.repos.tenants.add_merchant(merchant)
    return merchant


def get_merchant(svc: Services, principal: Principal, merchant_id: str) -> Merchant:
    if principal.role is Role.MERCHANT and principal.merchant_id != merchant_id:
        raise NotFound("merchant", merchant_id)
    return svc.repos.tenants.get_merchant(principal.tenant_id, merchant_id)


def set_standing(
    svc: Services, principal: Principal, merchant_id: str, good_standing: bool
) -> Merchant:
    require(principal, Role.PLATFORM_ADMIN)
    merchant = replace(
        svc.repos.tenants.get_merchant(principal.tenant_id, merchant_id),
        good_standing=good_standing,
    )
    svc.repos.tenants.update_merchant(merchant)
    return merchant
