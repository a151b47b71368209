"""The after-sales claim flow in plain Python; see ``docs/design.md`` (claim flow)."""

from trueclaim.domain.claims import Claim, ClaimStatus, ClaimType, Evidence, MerchantResponse
from trueclaim.domain.decisions import Appeal, Decision, Outcome, ReasonCode
from trueclaim.domain.errors import (
    ClaimError,
    ClaimNotFound,
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from trueclaim.domain.policy import Route, RoutingDecision, RoutingPolicy, route_claim
from trueclaim.domain.states import TRANSITIONS, transition

__all__ = [
    "TRANSITIONS",
    "Appeal",
    "Claim",
    "ClaimError",
    "ClaimNotFound",
    "ClaimStatus",
    "ClaimType",
    "Conflict",
    "Decision",
    "Evidence",
    "InvalidTransition",
    "MerchantResponse",
    "NotFound",
    "Outcome",
    "PermissionDenied",
    "ReasonCode",
    "Route",
    "RoutingDecision",
    "RoutingPolicy",
    "ValidationFailed",
    "route_claim",
    "transition",
]
