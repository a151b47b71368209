"""Table definitions (SQLAlchemy Core). Rows never leave ``adapters/sql``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend (stored as naive UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value!r}; trueclaim stores timezone-aware times only"
            )
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()
ID = String(40)

tenants = Table(
    "tenants",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("is_operator", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", ID, ForeignKey("tenants.id"), nullable=False, index=True),
    Column("role", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("secret_sha256", String(64), nullable=False, unique=True),
    Column("merchant_id", ID, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

merchants = Table(
    "merchants",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", ID, ForeignKey("tenants.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("good_standing", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", ID, ForeignKey("tenants.id"), nullable=False, index=True),
    Column("merchant_id", ID, ForeignKey("merchants.id"), nullable=False, index=True),
    Column("external_id", String(200), nullable=False),
    Column("buyer_ref", String(64), nullable=False, index=True),
    Column("items_json", Text, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("shipped_at", UTCDateTime, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    UniqueConstraint("tenant_id", "merchant_id", "external_id", name="uq_orders_external"),
)

reference_media = Table(
    "reference_media",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", ID, ForeignKey("tenants.id"), nullable=False, index=True),
    Column("merchant_id", ID, ForeignKey("merchants.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("sku", String(200), nullable=True, index=True),
    Column("order_id", ID, ForeignKey("orders.id"), nullable=True, index=True),
    Column("created_at", UTCDateTime, nullable=False),
)

claims = Table(
    "claims",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", ID, ForeignKey("tenants.id"), nullable=False, index=True),
    Column("merchant_id", ID, ForeignKey("merchants.id"), nullable=False, index=True),
    Column("order_id", ID, ForeignKey("orders.id"), nullable=False, index=True),
    Column("buyer_ref", String(64), nullable=False, index=True),
    Column("type", String(32), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("statement", Text, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Column("round", Integer, nullable=False),
    Column("assignee_id", ID, nullable=True),
    Column("excluded_reviewers_json", Text, nullable=False),
    Column("due_at", UTCDateTime, nullable=True, index=True),
    Column("appeal_count", Integer, nullable=False),
    Column("routing_reasons_json", Text, nullable=False),
    Column("risk", Float, nullable=True),
    Column("verdict", String(32), nullable=True),
    Column("idempotency_key", String(200), nullable=True),
    Column("request_sha256", String(64), nullable=True),
    UniqueConstraint("tenant_id", "idempotency_key", name="uq_claims_idempotency"),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", ID, ForeignKey("tenants.id"), nullable=False),
    Column("claim_id", ID, ForeignKey("claims.id"), nullable=False, index=True),
    Column("round", Integer, nullable=False),
    Column("source", String(16), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
)

merchant_responses = Table(
    "merchant_responses",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", ID, ForeignKey("tenants.id"), nullable=False),
    Column("claim_id", ID, ForeignKey("claims.id"), nullable=False, index=True),
    Column("merchant_id", ID, ForeignKey("merchants.id"), nullable=False),
    Column("stance", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("statement", Text, nullable=False),
    Column("evidence_ids_json", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", ID, ForeignKey("tenants.id"), nullable=False),
    Column("claim_id", ID, ForeignKey("claims.id"), nullable=False, index=True),
    Column("reviewer_id", ID, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("reason_code", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Column("appeal_round", Integer, nullable=False),
    Column("approved_amount_minor", BigInteger, nullable=True),
)

appeals = Table(
    "appeals",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", ID, ForeignKey("tenants.id"), nullable=False),
    Column("claim_id", ID, ForeignKey("claims.id"), nullable=False, index=True),
    Column("appellant", String(16), nullable=False),
    Column("statement", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("excluded_reviewer_id", ID, nullable=False),
)

reports = Table(
    "reports",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", ID, ForeignKey("tenants.id"), nullable=False),
    Column("claim_id", ID, ForeignKey("claims.id"), nullable=False, index=True),
    Column("round", Integer, nullable=False),
    Column("job_key", String(120), nullable=False, unique=True),
    Column("risk", Float, nullable=False),
    Column("verdict", String(32), nullable=False),
    Column("report_json", Text, nullable=False),
    Column("html_sha256", String(64), nullable=False),
    Column("routing_signals_json", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("key", String(120), primary_key=True),
    Column("tenant_id", ID, nullable=False),
    Column("claim_id", ID, nullable=False, index=True),
    Column("round", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("tenant_id", ID, nullable=False),
    Column("stream", String(80), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("at", String(40), nullable=False),
    Column("data_json", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("stream", "seq", name="uq_events_stream_seq"),
)
