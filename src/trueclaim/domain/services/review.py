"""Use cases where people act: merchant responses, the review queue, decisions, appeals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from trueclaim.domain.claims import (
    Claim,
    ClaimStatus,
    EvidenceSource,
    MerchantResponse,
    ResponseKind,
    Stance,
)
from trueclaim.domain.decisions import Appeal, Decision, Outcome, ReasonCode
from trueclaim.domain.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from trueclaim.domain.services.claims import get_claim, store_files, upload_events
from trueclaim.domain.services.context import (
    Services,
    SystemStep,
    UploadedFile,
    actor_kind,
    claim_event,
    move,
    new_id,
    require,
)
from trueclaim.domain.states import DECIDED
from trueclaim.domain.tenants import Principal, Role


def respond_as_merchant(
    svc: Services,
    principal: Principal,
    claim_id: str,
    *,
    stance: Stance,
    kind: ResponseKind,
    statement: str,
    files: Sequence[UploadedFile],
) -> tuple[Claim, MerchantResponse]:
    """The merchant accepts (refund) or contests with evidence (goes to a reviewer)."""
    require(principal, Role.MERCHANT)
    claim = get_claim(svc, principal, claim_id)
    if claim.status is not ClaimStatus.AWAITING_MERCHANT:
        raise InvalidTransition(
            claim.id,
            claim.status.value,
            "merchant response",
            "merchant",
            "the merchant may respond only while the claim awaits it.",
        )
    if kind is not ResponseKind.STATEMENT and not files:
        raise ValidationFailed(
            f"A {kind.value} response needs at least one file.", {"files": "required"}
        )
    evidence = store_files(svc, claim, files, EvidenceSource.MERCHANT, claim.round)
    response = MerchantResponse(
        new_id("rsp"),
        claim.tenant_id,
        claim.id,
        claim.merchant_id,
        stance,
        kind,
        statement,
        tuple(e.id for e in evidence),
        svc.now(),
    )
    events = [
        *upload_events(claim, evidence, principal.actor),
        claim_event(
            claim,
            "merchant.responded",
            principal.actor,
            {
                "response_id": response.id,
                "stance": stance.value,
                "kind": kind.value,
                "statement": statement,
                "evidence_ids": list(response.evidence_ids),
            },
            response.created_at,
        ),
    ]
    if stance is Stance.ACCEPT:
        moved = move(
            svc,
            claim,
            ClaimStatus.APPROVED,
            actor_kind="merchant",
            actor=principal.actor,
            before=events,
            records=[*evidence, response],
            due_at=None,
        )
    else:
        moved = move(
            svc,
            claim,
            ClaimStatus.IN_REVIEW,
            actor_kind="merchant",
            actor=principal.actor,
            before=events,
            records=[*evidence, response],
            due_at=svc.now() + svc.policy.review_sla,
            assignee_id=None,
        )
    return moved, response


def pull_next(svc: Services, principal: Principal) -> Claim | None:
    """Assign the most urgent unassigned claim to this reviewer (never to two reviewers)."""
    require(principal, Role.REVIEWER)
    now = svc.now()
    claim = svc.repos.claims.pull_next_for_review(
        principal.tenant_id,
        principal.key_id,
        now,
        event_for=lambda c: claim_event(
            c, "review.assigned", principal.actor, {"reviewer_id": principal.key_id}, now
        ),
    )
    return claim


def decide(
    svc: Services,
    principal: Principal,
    claim_id: str,
    *,
    outcome: Outcome,
    reason_code: ReasonCode,
    note: str,
    approved_amount_minor: int | None,
) -> tuple[Claim, Decision]:
    """The assigned reviewer decides; an adverse decision always comes from a person."""
    require(principal, Role.REVIEWER)
    claim = get_claim(svc, principal, claim_id)
    if claim.status is ClaimStatus.IN_REVIEW and claim.assignee_id != principal.key_id:
        raise PermissionDenied(
            "Only the reviewer this claim is assigned to may decide it; "
            "pull it from the review queue first."
        )
    partial = outcome is Outcome.PARTIALLY_APPROVED
    if partial != (approved_amount_minor is not None):
        raise ValidationFailed(
            "approved_amount_minor goes with partially_approved, and only with it.",
            {"approved_amount_minor": "required for partially_approved only"},
        )
    if partial and not 0 < (approved_amount_minor or 0) < claim.amount_minor:
        raise ValidationFailed(
            "A partial approval must be above 0 and below the claimed amount.",
            {"approved_amount_minor": f"between 1 and {claim.amount_minor - 1}"},
        )
    due = svc.now() + svc.policy.more_evidence_window if outcome is Outcome.MORE_EVIDENCE else None
    decision = Decision(
        new_id("dec"),
        claim.tenant_id,
        claim.id,
        principal.key_id,
        outcome,
        reason_code,
        note,
        svc.now(),
        claim.appeal_count,
        approved_amount_minor,
    )
    recorded = claim_event(
        claim,
        "decision.recorded",
        principal.actor,
        {
            "decision_id": decision.id,
            "outcome": outcome.value,
            "reason_code": reason_code.value,
            "note": note,
            "appeal_round": decision.appeal_round,
            "approved_amount_minor": approved_amount_minor,
        },
        decision.decided_at,
    )
    moved = move(
        svc,
        claim,
        outcome.status,
        actor_kind=actor_kind(principal),
        actor=principal.actor,
        data={"reason_code": reason_code.value},
        before=[recorded],
        records=[decision],
        due_at=due,
    )
    return moved, decision


def appeal(
    svc: Services, principal: Principal, claim_id: str, statement: str
) -> tuple[Claim, Appeal]:
    """The buyer (or the merchant) appeals a decision; a different reviewer takes it."""
    require(principal, Role.BUYER_CHANNEL, Role.MERCHANT)
    claim = get_claim(svc, principal, claim_id)
    if claim.status not in DECIDED:
        raise InvalidTransition(
            claim.id,
            claim.status.value,
            "appealed",
            actor_kind(principal),
            "only a decided claim (approved, rejected, partially approved) can be appealed.",
        )
    if claim.appeal_count >= svc.max_appeals:
        raise InvalidTransition(
            claim.id,
            claim.status.value,
            "appealed",
            actor_kind(principal),
            f"the appeal decision is final (at most {svc.max_appeals} appeal).",
        )
    decisions = [
        d
        for d in svc.repos.claims.list_decisions(claim.tenant_id, claim.id)
        if d.outcome is not Outcome.MORE_EVIDENCE
    ]
    if not decisions:  # approved by the merchant itself: nobody to exclude, nothing to appeal
        raise InvalidTransition(
            claim.id,
            claim.status.value,
            "appealed",
            actor_kind(principal),
            "the merchant accepted this claim; there is no reviewer decision to appeal.",
        )
    last = decisions[-1]
    item = Appeal(
        new_id("apl"),
        claim.tenant_id,
        claim.id,
        actor_kind(principal),
        statement,
        svc.now(),
        last.reviewer_id,
    )
    filed = claim_event(
        claim,
        "appeal.filed",
        principal.actor,
        {
            "appeal_id": item.id,
            "statement": statement,
            "excluded_reviewer_id": last.reviewer_id,
        },
        item.created_at,
    )
    excluded = tuple(
        dict.fromkeys((*claim.excluded_reviewers, *(d.reviewer_id for d in decisions)))
    )
    # Appealed and back in review in one transaction: nothing moves a claim out of
    # ``appealed`` later, so a crash between two writes would strand it there.
    moved = move(
        svc,
        claim,
        ClaimStatus.APPEALED,
        actor_kind=actor_kind(principal),
        actor=principal.actor,
        data={"appeal_id": item.id},
        before=[filed],
        records=[item],
        then=SystemStep(
            ClaimStatus.IN_REVIEW,
            changes={
                "assignee_id": None,
                "excluded_reviewers": excluded,
                "appeal_count": claim.appeal_count + 1,
                "due_at": svc.now() + svc.policy.review_sla,
            },
        ),
    )
    return moved, item


def expire_due(svc: Services, tenant_id: str | None = None) -> list[Claim]:
    """Timers: an expired merchant window or evidence request goes to review, never to a
    refund; a review past its SLA goes back to the queue for someone else.

    A claim that someone changed since it was read (the merchant answered as its window
    closed) is left alone: the next run reads it again. It never stops the other claims."""
    now = svc.now()
    changed = []
    for claim in svc.repos.claims.due_claims(now, tenant_id):
        try:
            expired = _expire(svc, claim, now)
        except Conflict:
            continue
        if expired is not None:
            changed.append(expired)
    return changed


def _expire(svc: Services, claim: Claim, now: datetime) -> Claim | None:
    if claim.status in (ClaimStatus.AWAITING_MERCHANT, ClaimStatus.MORE_EVIDENCE):
        return move(
            svc,
            claim,
            ClaimStatus.IN_REVIEW,
            actor_kind="system",
            actor="system",
            data={"timer": "expired"},
            due_at=now + svc.policy.review_sla,
            assignee_id=None,
        )
    if claim.status is ClaimStatus.IN_REVIEW:
        updated = replace(
            claim,
            assignee_id=None,
            due_at=now + svc.policy.review_sla,
            version=claim.version + 1,
            updated_at=now,
        )
        svc.repos.claims.save_claim(
            updated,
            expected_version=claim.version,
            events=[
                claim_event(
                    claim,
                    "review.sla_breached",
                    "system",
                    {"previous_assignee": claim.assignee_id},
                    now,
                )
            ],
        )
        return updated
    return None
