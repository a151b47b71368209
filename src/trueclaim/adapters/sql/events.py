"""The append-only, hash-chained event log over SQL (one chain per stream)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from trueclaim.adapters.sql import tables as t
from trueclaim.adapters.sql.errors import translate_errors
from trueclaim.domain.audit import GENESIS, Event, PendingEvent, event_hash
from trueclaim.domain.errors import Conflict

_RETRIES = 20


class SqlEventLog:
    """Only appends: no update or delete exists. ``UNIQUE(stream, seq)`` makes two writers
    racing for the same position fail, and the loser retries on the new head."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(
        self,
        tenant_id: str,
        stream: str,
        kind: str,
        actor: str,
        data: Mapping[str, Any],
        at: datetime,
    ) -> Event:
        pending = PendingEvent(tenant_id, stream, kind, actor, data, at)
        for _ in range(_RETRIES):
            try:
                with translate_errors("appending an event"), self._engine.begin() as c:
                    return append_in(c, pending)
            except Conflict:
                continue
        raise Conflict(
            f"Could not append to event stream {stream} after {_RETRIES} tries; "
            "too many concurrent writers."
        )

    def list_events(self, tenant_id: str, stream: str) -> list[Event]:
        e_ = t.events.c
        with translate_errors("reading events"), self._engine.connect() as c:
            rows = c.execute(
                select(t.events)
                .where((e_.stream == stream) & (e_.tenant_id == tenant_id))
                .order_by(e_.seq)
            ).all()
        return [
            Event(
                r.stream,
                r.seq,
                r.kind,
                r.actor,
                r.at,
                json.loads(r.data_json),
                r.prev_hash,
                r.hash,
                r.tenant_id,
            )
            for r in rows
        ]


def append_in(c: Connection, pending: PendingEvent) -> Event:
    """Append inside the caller's transaction; a concurrent writer makes the insert fail on
    ``UNIQUE(stream, seq)`` and the caller retries its whole transaction."""
    # A JSON round trip makes the hashed data equal to what a reader will load.
    try:
        raw = json.dumps(dict(pending.data), ensure_ascii=False, sort_keys=True, allow_nan=False)
    except ValueError as exc:
        raise ValueError(
            f"Event {pending.kind!r} for {pending.stream} has data with no JSON form ({exc}); "
            "the audit log stores canonical JSON only, so pass finite numbers."
        ) from exc
    clean = json.loads(raw)
    at_iso = pending.at.astimezone(UTC).isoformat()
    e_ = t.events.c
    head = c.execute(
        select(e_.seq, e_.hash).where(e_.stream == pending.stream).order_by(e_.seq.desc()).limit(1)
    ).first()
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    digest = event_hash(
        tenant_id=pending.tenant_id,
        stream=pending.stream,
        seq=seq,
        kind=pending.kind,
        actor=pending.actor,
        at=at_iso,
        data=clean,
        prev_hash=prev,
    )
    c.execute(
        insert(t.events).values(
            tenant_id=pending.tenant_id,
            stream=pending.stream,
            seq=seq,
            kind=pending.kind,
            actor=pending.actor,
            at=at_iso,
            data_json=json.dumps(clean, ensure_ascii=False, sort_keys=True),
            prev_hash=prev,
            hash=digest,
        )
    )
    return Event(
        pending.stream,
        seq,
        pending.kind,
        pending.actor,
        at_iso,
        clean,
        prev,
        digest,
        pending.tenant_id,
    )
