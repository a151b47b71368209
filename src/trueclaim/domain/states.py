"""The claim state machine: which moves exist, and who may make them.

Rules that protect merchants live here, not in callers: a claim is rejected (or otherwise
decided against anyone) only by a person, and only the system auto-approves.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TypedDict, Unpack

from trueclaim.domain.claims import Claim, ClaimStatus
from trueclaim.domain.errors import InvalidTransition

S = ClaimStatus


class ClaimChanges(TypedDict, total=False):
    """The fields a transition may change besides status, version and updated_at."""

    round: int
    assignee_id: str | None
    excluded_reviewers: tuple[str, ...]
    due_at: datetime | None
    appeal_count: int
    routing_reasons: tuple[str, ...]
    risk: float | None
    verdict: str | None


# Actor kinds: "system" (workers, timers), "reviewer", "merchant", "buyer" (buyer channel).
TRANSITIONS: dict[tuple[ClaimStatus, ClaimStatus], frozenset[str]] = {
    (S.SUBMITTED, S.VERIFYING): frozenset({"system"}),
    (S.VERIFYING, S.ROUTED): frozenset({"system"}),
    (S.ROUTED, S.AUTO_APPROVED): frozenset({"system"}),
    (S.ROUTED, S.AWAITING_MERCHANT): frozenset({"system"}),
    (S.ROUTED, S.IN_REVIEW): frozenset({"system"}),
    (S.AWAITING_MERCHANT, S.IN_REVIEW): frozenset({"system", "merchant"}),
    (S.AWAITING_MERCHANT, S.APPROVED): frozenset({"merchant"}),
    (S.IN_REVIEW, S.APPROVED): frozenset({"reviewer"}),
    (S.IN_REVIEW, S.REJECTED): frozenset({"reviewer"}),
    (S.IN_REVIEW, S.PARTIALLY_APPROVED): frozenset({"reviewer"}),
    (S.IN_REVIEW, S.MORE_EVIDENCE): frozenset({"reviewer"}),
    (S.MORE_EVIDENCE, S.VERIFYING): frozenset({"buyer"}),
    (S.MORE_EVIDENCE, S.IN_REVIEW): frozenset({"system"}),  # buyer sent nothing in time
    (S.APPROVED, S.APPEALED): frozenset({"buyer", "merchant"}),
    (S.REJECTED, S.APPEALED): frozenset({"buyer"}),
    (S.PARTIALLY_APPROVED, S.APPEALED): frozenset({"buyer", "merchant"}),
    (S.APPEALED, S.IN_REVIEW): frozenset({"system"}),
}

TERMINAL: frozenset[ClaimStatus] = frozenset({S.AUTO_APPROVED})
DECIDED: frozenset[ClaimStatus] = frozenset({S.APPROVED, S.REJECTED, S.PARTIALLY_APPROVED})


def allowed_targets(current: ClaimStatus) -> tuple[ClaimStatus, ...]:
    """Every state reachable in one move from ``current``."""
    return tuple(t for (f, t) in TRANSITIONS if f is current)


def transition(
    claim: Claim,
    target: ClaimStatus,
    *,
    actor_kind: str,
    at: datetime,
    **changes: Unpack[ClaimChanges],
) -> Claim:
    """Return ``claim`` moved to ``target`` (version bumped), or raise InvalidTransition."""
    actors = TRANSITIONS.get((claim.status, target))
    if actors is None:
        options = ", ".join(t.value for t in allowed_targets(claim.status)) or "none"
        raise InvalidTransition(
            claim.id,
            claim.status.value,
            target.value,
            actor_kind,
            f"no such move; from {claim.status.value!r} the claim may go to: {options}.",
        )
    if actor_kind not in actors:
        raise InvalidTransition(
            claim.id,
            claim.status.value,
            target.value,
            actor_kind,
            f"only {', '.join(sorted(actors))} may make this move.",
        )
    return replace(
        claim,
        status=target,
        updated_at=at,
        version=claim.version + 1,
        **changes,
    )
