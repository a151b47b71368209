"""Errors of the claim flow.

* ClaimError                 base of every domain error
  x NotFound                 the entity does not exist in the caller's tenant
    x ClaimNotFound
  x InvalidTransition        the state machine forbids this move (carries from/to/actor)
  x PermissionDenied         the caller's role may not do this
  x Conflict                 the request clashes with the current state (idempotency, versions)
  x ValidationFailed         the input is well-formed but unusable (carries ``fields``)
"""

from __future__ import annotations

from collections.abc import Mapping


class ClaimError(Exception):
    """Base of every error the claim flow raises."""

    code = "claim_error"


class NotFound(ClaimError):
    """An entity is missing, or lives in another tenant (the two look the same on purpose)."""

    code = "not_found"

    def __init__(self, kind: str, entity_id: str) -> None:
        super().__init__(
            f"{kind} {entity_id!r} was not found. Check the id and the API key's tenant."
        )
        self.kind = kind
        self.entity_id = entity_id


class ClaimNotFound(NotFound):
    """The claim does not exist in this tenant."""

    def __init__(self, claim_id: str) -> None:
        super().__init__("claim", claim_id)
        self.claim_id = claim_id


class InvalidTransition(ClaimError):
    """The state machine does not allow this move for this actor."""

    code = "invalid_transition"

    def __init__(self, claim_id: str, current: str, target: str, actor: str, why: str) -> None:
        super().__init__(
            f"Claim {claim_id} cannot go from {current!r} to {target!r} by {actor}: {why}"
        )
        self.claim_id = claim_id
        self.current = current
        self.target = target
        self.actor = actor


class PermissionDenied(ClaimError):
    """The caller's role may not perform this action."""

    code = "forbidden"


class Conflict(ClaimError):
    """The request clashes with the stored state (reused idempotency key, stale version)."""

    code = "conflict"


class ValidationFailed(ClaimError):
    """Input that passed the schema but cannot be used; ``fields`` maps field to problem."""

    code = "validation_failed"

    def __init__(self, detail: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.fields = dict(fields or {})
