"""Use cases for orders and the merchant's reference media."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from trueclaim.domain.buyers import buyer_ref_for
from trueclaim.domain.errors import NotFound, ValidationFailed
from trueclaim.domain.orders import Order, OrderItem, Reference, ReferenceKind
from trueclaim.domain.services.context import Services, UploadedFile, new_id, require
from trueclaim.domain.tenants import Principal, Role


def create_order(
    svc: Services,
    principal: Principal,
    *,
    merchant_id: str,
    external_id: str,
    buyer_account_id: str,
    items: Sequence[OrderItem],
    amount_minor: int,
    currency: str,
    shipped_at: datetime | None,
    delivered_at: datetime | None,
) -> Order:
    """The platform (or the merchant itself) records an order."""
    require(principal, Role.PLATFORM_ADMIN, Role.MERCHANT)
    if principal.role is Role.MERCHANT and principal.merchant_id != merchant_id:
        raise NotFound("merchant", merchant_id)
    svc.repos.tenants.get_merchant(principal.tenant_id, merchant_id)
    if shipped_at and delivered_at and delivered_at < shipped_at:
        raise ValidationFailed(
            "The order was delivered before it shipped.",
            {"delivered_at": "must not be earlier than shipped_at"},
        )
    order = Order(
        id=new_id("ord"),
        tenant_id=principal.tenant_id,
        merchant_id=merchant_id,
        external_id=external_id,
        buyer_ref=buyer_ref_for(buyer_account_id, key=svc.buyer_key),
        items=tuple(items),
        amount_minor=amount_minor,
        currency=currency,
        created_at=svc.now(),
        shipped_at=shipped_at,
        delivered_at=delivered_at,
    )
    svc.repos.orders.add_order(order)
    return order


def get_order(svc: Services, principal: Principal, order_id: str) -> Order:
    order = svc.repos.orders.get_order(principal.tenant_id, order_id)
    if principal.role is Role.MERCHANT and order.merchant_id != principal.merchant_id:
        raise NotFound("order", order_id)
    return order


def add_reference(
    svc: Services,
    principal: Principal,
    *,
    merchant_id: str,
    kind: ReferenceKind,
    file: UploadedFile,
    sku: str | None,
    order_id: str | None,
) -> Reference:
    """Store a listing photo (per SKU) or packing photo/frame (per order)."""
    require(principal, Role.PLATFORM_ADMIN, Role.MERCHANT)
    if principal.role is Role.MERCHANT and principal.merchant_id != merchant_id:
        raise NotFound("merchant", merchant_id)
    svc.repos.tenants.get_merchant(principal.tenant_id, merchant_id)
    if (sku is None) == (order_id is None):
        raise ValidationFailed(
            "Give exactly one of sku (listing photos) or order_id (packing media).",
            {"sku": "exactly one of sku, order_id", "order_id": "exactly one of sku, order_id"},
        )
    if order_id is not None and get_order(svc, principal, order_id).merchant_id != merchant_id:
        raise NotFound("order", order_id)
    sha = svc.blobs.put(file.data)
    ref = Reference(
        id=new_id("ref"),
        tenant_id=principal.tenant_id,
        merchant_id=merchant_id,
        kind=kind,
        sha256=sha,
        size_bytes=len(file.data),
        content_type=file.content_type,
        filename=file.filename,
        created_at=svc.now(),
        sku=sku,
        order_id=order_id,
    )
    svc.repos.orders.add_reference(ref)
    return ref


def get_reference(svc: Services, principal: Principal, reference_id: str) -> Reference:
    ref = svc.repos.orders.get_reference(principal.tenant_id, reference_id)
    if principal.role is Role.MERCHANT and ref.merchant_id != principal.merchant_id:
        raise NotFound("reference", reference_id)
    return ref
