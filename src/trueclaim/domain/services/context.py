"""The bundle of ports and configuration every use case receives."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Unpack

from trueclaim.domain.audit import PendingEvent
from trueclaim.domain.claims import Claim, ClaimStatus
from trueclaim.domain.errors import PermissionDenied
from trueclaim.domain.policy import RoutingPolicy
from trueclaim.domain.ports import (
    BlobStore,
    ClaimRecord,
    Clock,
    JobQueue,
    ReportRenderer,
    Repositories,
    Verifier,
)
from trueclaim.domain.states import ClaimChanges, transition
from trueclaim.domain.tenants import Principal, Role


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file as received, before anything is stored."""

    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class Services:
    """Ports plus policy; built once by a shell (API, worker, CLI) and passed to use cases."""

    repos: Repositories
    blobs: BlobStore
    queue: JobQueue
    clock: Clock
    verifier: Verifier
    renderer: ReportRenderer
    policy: RoutingPolicy = field(default_factory=RoutingPolicy)
    buyer_key: str = "development-only-buyer-key"
    max_appeals: int = 1
    job_pause_s: float = 0.0  # test hook: sleep before saving a report (see workers)

    def now(self) -> datetime:
        return self.clock.now()


def new_id(prefix: str) -> str:
    """A fresh, prefixed, URL-safe id (``clm_...``)."""
    return f"{prefix}_{uuid.uuid4().hex}"


def require(principal: Principal, *roles: Role) -> None:
    """Raise PermissionDenied unless the caller has one of ``roles``."""
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise PermissionDenied(
            f"This action needs one of the roles: {allowed}; "
            f"the API key has {principal.role.value}."
        )


def actor_kind(principal: Principal) -> str:
    """The state machine's actor kind for a caller."""
    return {
        Role.MERCHANT: "merchant",
        Role.REVIEWER: "reviewer",
        Role.BUYER_CHANNEL: "buyer",
        Role.PLATFORM_ADMIN: "admin",
    }[principal.role]


def move(
    svc: Services,
    claim: Claim,
    target: ClaimStatus,
    *,
    actor_kind: str,
    actor: str,
    data: dict[str, Any] | None = None,
    before: Sequence[PendingEvent] = (),
    records: Sequence[ClaimRecord] = (),
    then: SystemStep | None = None,
    **changes: Unpack[ClaimChanges],
) -> Claim:
    """Apply a transition and store it (optimistic lock) with its event, the ``before`` events
    that explain it and the ``records`` that came with it, in one transaction; ``then`` is a
    system move that follows at once, stored in the same transaction (no state in between
    is ever left behind by a crash)."""
    at = svc.now()
    moved = transition(claim, target, actor_kind=actor_kind, at=at, **changes)
    events = [*before, _status_event(claim, target, actor, data or {}, at)]
    if then is not None:
        events.append(_status_event(moved, then.target, "system", then.data, at))
        moved = transition(moved, then.target, actor_kind="system", at=at, **then.changes)
    svc.repos.claims.save_claim(
        moved, expected_version=claim.version, events=events, records=records
    )
    return moved


@dataclass(frozen=True, slots=True)
class SystemStep:
    """A move the system makes straight after another (see ``move``)."""

    target: ClaimStatus
    data: Mapping[str, Any] = field(default_factory=dict)
    changes: ClaimChanges = field(default_factory=lambda: ClaimChanges())


def _status_event(
    claim: Claim, target: ClaimStatus, actor: str, data: Mapping[str, Any], at: datetime
) -> PendingEvent:
    return PendingEvent(
        claim.tenant_id,
        claim.id,
        "claim.status_changed",
        actor,
        {"from": claim.status.value, "to": target.value, **data},
        at,
    )


def claim_event(
    claim: Claim, kind: str, actor: str, data: dict[str, Any], at: datetime
) -> PendingEvent:
    """An event in the claim's own stream."""
    return PendingEvent(claim.tenant_id, claim.id, kind, actor, data, at)
