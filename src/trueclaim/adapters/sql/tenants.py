"""TenantRepository over SQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Row, insert, select, update

from trueclaim.adapters.sql import tables as t
from trueclaim.adapters.sql.errors import translate_errors
from trueclaim.adapters.sql.events import append_in
from trueclaim.domain.audit import PendingEvent
from trueclaim.domain.errors import Conflict, NotFound
from trueclaim.domain.tenants import ApiKey, Merchant, Role, Tenant

T = TypeVar("T")
_RETRIES = 20


class SqlTenantRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _write(self, what: str, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction. A concurrent writer taking the event stream's next
        position rolls it back; it is then run again on the new head."""
        for attempt in range(_RETRIES):
            try:
                with translate_errors(what), self._engine.begin() as c:
                    return work(c)
            except Conflict:
                if attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def add_tenant(
        self, tenant: Tenant, keys: Sequence[ApiKey] = (), events: Sequence[PendingEvent] = ()
    ) -> None:
        """Store a tenant with its first keys and the events that record them: all or nothing."""

        def work(c: Connection) -> None:
            c.execute(
                insert(t.tenants).values(
                    id=tenant.id,
                    name=tenant.name,
                    is_operator=tenant.is_operator,
                    created_at=tenant.created_at,
                )
            )
            for key in keys:
                _insert_key(c, key)
            for event in events:
                append_in(c, event)

        self._write("storing tenant", work)

    def get_tenant(self, tenant_id: str) -> Tenant:
        with translate_errors("reading tenant"), self._engine.connect() as c:
            row = c.execute(select(t.tenants).where(t.tenants.c.id == tenant_id)).first()
        if row is None:
            raise NotFound("tenant", tenant_id)
        return Tenant(row.id, row.name, row.created_at, row.is_operator)

    def add_key(self, key: ApiKey, events: Sequence[PendingEvent] = ()) -> None:
        """Store a key and the events that record it in one transaction."""

        def work(c: Connection) -> None:
            _insert_key(c, key)
            for event in events:
                append_in(c, event)

        self._write("storing API key", work)

    def key_by_secret_hash(self, secret_sha256: str) -> ApiKey | None:
        with translate_errors("reading API key"), self._engine.connect() as c:
            row = c.execute(
                select(t.api_keys).where(t.api_keys.c.secret_sha256 == secret_sha256)
            ).first()
        return None if row is None else _key(row)

    def list_keys(self, tenant_id: str) -> list[ApiKey]:
        with translate_errors("listing API keys"), self._engine.connect() as c:
            rows = c.execute(
                select(t.api_keys)
                .where(t.api_keys.c.tenant_id == tenant_id)
                .order_by(t.api_keys.c.created_at, t.api_keys.c.id)
            ).all()
        return [_key(r) for r in rows]

    def revoke_key(
        self, tenant_id: str, key_id: str, at: datetime, events: Sequence[PendingEvent] = ()
    ) -> ApiKey:
        """Revoke a key (once; a second call keeps the first time) and record ``events``."""

        def work(c: Connection) -> Row[Any] | None:
            where = (t.api_keys.c.id == key_id) & (t.api_keys.c.tenant_id == tenant_id)
            c.execute(
                update(t.api_keys)
                .where(where & t.api_keys.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            row = c.execute(select(t.api_keys).where(where)).first()
            if row is not None:
                for event in events:
                    append_in(c, event)
            return row

        row = self._write("revoking API key", work)
        if row is None:
            raise NotFound("api key", key_id)
        return _key(row)

    def add_merchant(self, merchant: Merchant) -> None:
        with translate_errors("storing merchant"), self._engine.begin() as c:
            c.execute(
                insert(t.merchants).values(
                    id=merchant.id,
                    tenant_id=merchant.tenant_id,
                    name=merchant.name,
                    good_standing=merchant.good_standing,
                    created_at=merchant.created_at,
                )
            )

    def get_merchant(self, tenant_id: str, merchant_id: str) -> Merchant:
        with translate_errors("reading merchant"), self._engine.connect() as c:
            row = c.execute(
                select(t.merchants).where(
                    (t.merchants.c.id == merchant_id) & (t.merchants.c.tenant_id == tenant_id)
                )
            ).first()
        if row is None:
            raise NotFound("merchant", merchant_id)
        return _merchant(row)

    def list_merchants(self, tenant_id: str) -> list[Merchant]:
        with translate_errors("listing merchants"), self._engine.connect() as c:
            rows = c.execute(
                select(t.merchants)
                .where(t.merchants.c.tenant_id == tenant_id)
                .order_by(t.merchants.c.created_at, t.merchants.c.id)
            ).all()
        return [_merchant(r) for r in rows]

    def update_merchant(self, merchant: Merchant) -> None:
        with translate_errors("updating merchant"), self._engine.begin() as c:
            c.execute(
                update(t.merchants)
                .where(
                    (t.merchants.c.id == merchant.id)
                    & (t.merchants.c.tenant_id == merchant.tenant_id)
                )
                .values(name=merchant.name, good_standing=merchant.good_standing)
            )


def _insert_key(c: Connection, key: ApiKey) -> None:
    c.execute(
        insert(t.api_keys).values(
            id=key.id,
            tenant_id=key.tenant_id,
            role=key.role.value,
            name=key.name,
            secret_sha256=key.secret_sha256,
            merchant_id=key.merchant_id,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )
    )


def _key(row: Row[Any]) -> ApiKey:
    return ApiKey(
        row.id,
        row.tenant_id,
        Role(row.role),
        row.name,
        row.secret_sha256,
        row.created_at,
        row.merchant_id,
        row.revoked_at,
    )


def _merchant(row: Row[Any]) -> Merchant:
    return Merchant(row.id, row.tenant_id, row.name, row.created_at, row.good_standing)
