"""OrderRepository over SQL: orders and reference media."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, Row, insert, or_, select

from trueclaim.adapters.sql import tables as t
from trueclaim.adapters.sql.errors import translate_errors
from trueclaim.domain.errors import NotFound
from trueclaim.domain.orders import Order, OrderItem, Reference, ReferenceKind


class SqlOrderRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add_order(self, order: Order) -> None:
        items = [
            {
                "sku": i.sku,
                "title": i.title,
                "quantity": i.quantity,
                "unit_price_minor": i.unit_price_minor,
            }
            for i in order.items
        ]
        with translate_errors(f"storing order {order.external_id!r}"), self._engine.begin() as c:
            c.execute(
                insert(t.orders).values(
                    id=order.id,
                    tenant_id=order.tenant_id,
                    merchant_id=order.merchant_id,
                    external_id=order.external_id,
                    buyer_ref=order.buyer_ref,
                    items_json=json.dumps(items),
                    amount_minor=order.amount_minor,
                    currency=order.currency,
                    created_at=order.created_at,
                    shipped_at=order.shipped_at,
                    delivered_at=order.delivered_at,
                )
            )

    def get_order(self, tenant_id: str, order_id: str) -> Order:
        with translate_errors("reading order"), self._engine.connect() as c:
            row = c.execute(
                select(t.orders).where(
                    (t.orders.c.id == order_id) & (t.orders.c.tenant_id == tenant_id)
                )
            ).first()
        if row is None:
            raise NotFound("order", order_id)
        return _order(row)

    def list_orders(self, tenant_id: str, merchant_id: str | None) -> list[Order]:
        q = select(t.orders).where(t.orders.c.tenant_id == tenant_id)
        if merchant_id is not None:
            q = q.where(t.orders.c.merchant_id == merchant_id)
        with translate_errors("listing orders"), self._engine.connect() as c:
            rows = c.execute(q.order_by(t.orders.c.created_at, t.orders.c.id)).all()
        return [_order(r) for r in rows]

    def add_reference(self, reference: Reference) -> None:
        r = reference
        with translate_errors("storing reference"), self._engine.begin() as c:
            c.execute(
                insert(t.reference_media).values(
                    id=r.id,
                    tenant_id=r.tenant_id,
                    merchant_id=r.merchant_id,
                    kind=r.kind.value,
                    sha256=r.sha256,
                    size_bytes=r.size_bytes,
                    content_type=r.content_type,
                    filename=r.filename,
                    sku=r.sku,
                    order_id=r.order_id,
                    created_at=r.created_at,
                )
            )

    def get_reference(self, tenant_id: str, reference_id: str) -> Reference:
        with translate_errors("reading reference"), self._engine.connect() as c:
            row = c.execute(
                select(t.reference_media).where(
                    (t.reference_media.c.id == reference_id)
                    & (t.reference_media.c.tenant_id == tenant_id)
                )
            ).first()
        if row is None:
            raise NotFound("reference", reference_id)
        return _reference(row)

    def references_for_order(self, order: Order) -> list[Reference]:
        """Listing photos of the order's SKUs (same merchant) plus the order's packing media."""
        m = t.reference_media.c
        q = (
            select(t.reference_media)
            .where(
                (m.tenant_id == order.tenant_id)
                & (m.merchant_id == order.merchant_id)
                & or_(m.order_id == order.id, m.sku.in_(list(order.skus) or [""]))
            )
            .order_by(m.created_at, m.id)
        )
        with translate_errors("reading references"), self._engine.connect() as c:
            return [_reference(r) for r in c.execute(q).all()]

    def list_references(self, tenant_id: str, merchant_id: str | None) -> list[Reference]:
        m = t.reference_media.c
        q = select(t.reference_media).where(m.tenant_id == tenant_id)
        if merchant_id is not None:
            q = q.where(m.merchant_id == merchant_id)
        with translate_errors("listing references"), self._engine.connect() as c:
            return [_reference(r) for r in c.execute(q.order_by(m.created_at, m.id)).all()]


def _order(row: Row[Any]) -> Order:
    items = tuple(OrderItem(**i) for i in json.loads(row.items_json))
    return Order(
        row.id,
        row.tenant_id,
        row.merchant_id,
        row.external_id,
        row.buyer_ref,
        items,
        row.amount_minor,
        row.currency,
        row.created_at,
        row.shipped_at,
        row.delivered_at,
    )


def _reference(row: Row[Any]) -> Reference:
    return Reference(
        row.id,
        row.tenant_id,
        row.merchant_id,
        ReferenceKind(row.kind),
        row.sha256,
        row.size_bytes,
        row.content_type,
        row.filename,
        row.created_at,
        row.sku,
        row.order_id,
    )
