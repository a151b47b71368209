"""Orders."""

from __future__ import annotations

from fastapi import APIRouter, status

from trueclaim.api.deps import PrincipalDep, ServicesDep
from trueclaim.api.schemas import OrderCreate, OrderPublic
from trueclaim.domain.orders import OrderItem
from trueclaim.domain.services import orders as uc
from trueclaim.domain.tenants import Role

router = APIRouter(tags=["orders"])


@router.post("/orders", status_code=status.HTTP_201_CREATED, response_model=OrderPublic)
def create_order(body: OrderCreate, svc: ServicesDep, principal: PrincipalDep) -> OrderPublic:
    order = uc.create_order(
        svc,
        principal,
        merchant_id=body.merchant_id,
        external_id=body.external_id,
        buyer_account_id=body.buyer_account_id,
        items=[OrderItem(i.sku, i.title, i.quantity, i.unit_price_minor) for i in body.items],
        amount_minor=body.amount_minor,
        currency=body.currency,
        shipped_at=body.shipped_at,
        delivered_at=body.delivered_at,
    )
    return OrderPublic.of(order)


@router.get("/orders", response_model=list[OrderPublic])
def list_orders(svc: ServicesDep, principal: PrincipalDep) -> list[OrderPublic]:
    merchant = principal.merchant_id if principal.role is Role.MERCHANT else None
    return [OrderPublic.of(o) for o in svc.repos.orders.list_orders(principal.tenant_id, merchant)]


@router.get("/orders/{order_id}", response_model=OrderPublic)
def get_order(order_id: str, svc: ServicesDep, principal: PrincipalDep) -> OrderPublic:
    return OrderPublic.of(uc.get_order(svc, principal, order_id))
