"""Orders and the merchant's reference media (listing, packing photos, video frames)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One line of an order."""

    sku: str
    title: str
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the platform knows it; ``buyer_ref`` is a keyed hash of the buyer id."""

    id: str
    tenant_id: str
    merchant_id: str
    external_id: str
    buyer_ref: str
    items: tuple[OrderItem, ...]
    amount_minor: int
    currency: str
    created_at: datetime
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None

    @property
    def skus(self) -> tuple[str, ...]:
        return tuple(i.sku for i in self.items)


class ReferenceKind(StrEnum):
    """What a reference file shows."""

    LISTING_PHOTO = "listing_photo"
    PACKING_PHOTO = "packing_photo"
    PACKING_VIDEO_FRAME = "packing_video_frame"


@dataclass(frozen=True, slots=True)
class Reference:
    """A merchant photo of the goods: per SKU (listing) or per order (packing)."""

    id: str
    tenant_id: str
    merchant_id: str
    kind: ReferenceKind
    sha256: str
    size_bytes: int
    content_type: str
    filename: str
    created_at: datetime
    sku: str | None = None
    order_id: str | None = None
