"""The hash-chained event log: each event's hash covers its content and the previous hash.

Pure functions: the adapters store events, these compute and check the chain, and the
bundle verifier reuses them, so anyone can check an export with the same code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event to append, stored in the same transaction as the change it records."""

    tenant_id: str
    stream: str
    kind: str
    actor: str
    data: Mapping[str, Any]
    at: datetime


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of a stream (a claim id, or ``tenant:<id>``)."""

    stream: str
    seq: int
    kind: str
    actor: str
    at: str  # ISO 8601, exactly as hashed
    data: Mapping[str, Any]
    prev_hash: str
    hash: str
    tenant_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "seq": self.seq,
            "kind": self.kind,
            "actor": self.actor,
            "at": self.at,
            "data": dict(self.data),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "tenant_id": self.tenant_id,
        }


def event_hash(
    *,
    tenant_id: str,
    stream: str,
    seq: int,
    kind: str,
    actor: str,
    at: str,
    data: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 over the canonical JSON of the event's content and the previous hash.

    Raises ValueError for data that has no canonical JSON form (NaN, Infinity).
    """
    body = json.dumps(
        {
            "tenant_id": tenant_id,
            "stream": stream,
            "seq": seq,
            "kind": kind,
            "actor": actor,
            "at": at,
            "data": data,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,  # NaN / Infinity are not JSON; a reader elsewhere could not re-hash
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Where and why a chain does not verify."""

    seq: int
    reason: str


_TEXT_FIELDS = ("tenant_id", "stream", "kind", "actor", "at", "prev_hash", "hash")


def verify_chain(events: Sequence[Mapping[str, Any]]) -> list[ChainBreak]:
    """Check a stream's events (as dicts, ``Event.to_dict`` shape); return every break.

    Fields are hashed exactly as found, with no type coercion: an event whose ``seq`` became
    the string ``"1"`` or whose data became ``null`` is a break, not a match.
    """
    breaks: list[ChainBreak] = []
    prev = GENESIS
    for expected_seq, ev in enumerate(events, start=1):
        seq = ev.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            breaks.append(ChainBreak(expected_seq, f"seq {seq!r} is not an integer (malformed)"))
            prev = str(ev.get("hash"))
            continue
        if seq != expected_seq:
            breaks.append(
                ChainBreak(
                    seq, f"expected event #{expected_seq}, found #{seq} (missing or reordered)"
                )
            )
        if ev.get("prev_hash") != prev:
            breaks.append(ChainBreak(seq, "prev_hash does not match the previous event's hash"))
        bad = [k for k in _TEXT_FIELDS if not isinstance(ev.get(k), str)]
        data = ev.get("data")
        if bad or not isinstance(data, Mapping):
            fields = ", ".join([*bad, *([] if isinstance(data, Mapping) else ["data"])])
            breaks.append(ChainBreak(seq, f"event #{seq} is malformed ({fields})"))
            prev = str(ev.get("hash"))
            continue
        try:
            recomputed = event_hash(
                tenant_id=ev["tenant_id"],
                stream=ev["stream"],
                seq=seq,
                kind=ev["kind"],
                actor=ev["actor"],
                at=ev["at"],
                data=data,
                prev_hash=ev["prev_hash"],
            )
        except ValueError as exc:  # NaN / Infinity: not canonical JSON
            breaks.append(ChainBreak(seq, f"event #{seq} is not canonical JSON ({exc})"))
            recomputed = ""
        if recomputed != ev["hash"]:
            breaks.append(
                ChainBreak(seq, f"content of event #{seq} ({ev.get('kind')}) was altered")
            )
        prev = ev["hash"]
    return breaks
