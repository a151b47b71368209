"""Tenants (platforms), their merchants and API keys with roles."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """What an API key may do inside its tenant."""

    PLATFORM_ADMIN = "platform_admin"
    MERCHANT = "merchant"
    REVIEWER = "reviewer"
    BUYER_CHANNEL = "buyer_channel"


@dataclass(frozen=True, slots=True)
class Tenant:
    """A platform running trueclaim; the operator tenant may create other tenants."""

    id: str
    name: str
    created_at: datetime
    is_operator: bool = False


@dataclass(frozen=True, slots=True)
class Merchant:
    """A shop on a platform; ``good_standing`` lets it answer claims before review."""

    id: str
    tenant_id: str
    name: str
    created_at: datetime
    good_standing: bool = True


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored API key: only the SHA-256 of the secret is kept."""

    id: str
    tenant_id: str
    role: Role
    name: str
    secret_sha256: str
    created_at: datetime
    merchant_id: str | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a use case."""

    tenant_id: str
    role: Role
    key_id: str
    merchant_id: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.role.value}:{self.key_id}"


def new_secret() -> str:
    """A fresh API key secret (shown once to the caller)."""
    return "tc_" + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The stored form of a key secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
