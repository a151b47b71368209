"""The claim state machine: every listed move works for its actors and only for them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from trueclaim.domain.claims import Claim, ClaimStatus, ClaimType
from trueclaim.domain.errors import InvalidTransition
from trueclaim.domain.states import TRANSITIONS, allowed_targets, transition

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 2, tzinfo=UTC)
ACTORS = ("system", "reviewer", "merchant", "buyer", "admin")


def _claim(status: ClaimStatus) -> Claim:
    return Claim(
        id="clm_1",
        tenant_id="ten_1",
        merchant_id="mer_1",
        order_id="ord_1",
        buyer_ref="b",
        type=ClaimType.REFUND_ONLY,
        reason="damaged",
        amount_minor=1000,
        currency="CNY",
        statement="",
        status=status,
        created_at=T0,
        updated_at=T0,
    )


@pytest.mark.parametrize(("pair", "actors"), sorted(TRANSITIONS.items(), key=str), ids=str)
def test_every_listed_transition_works_for_its_actors(pair, actors) -> None:
    current, target = pair
    for actor in actors:
        moved = transition(_claim(current), target, actor_kind=actor, at=T1)
        assert moved.status is target
        assert moved.version == 2
        assert moved.updated_at == T1


@pytest.mark.parametrize(("pair", "actors"), sorted(TRANSITIONS.items(), key=str), ids=str)
def test_every_listed_transition_refuses_other_actors(pair, actors) -> None:
    current, target = pair
    for actor in set(ACTORS) - actors:
        with pytest.raises(InvalidTransition) as info:
            transition(_claim(current), target, actor_kind=actor, at=T1)
        assert info.value.actor == actor
        assert "only" in str(info.value)


def test_every_unlisted_pair_is_invalid() -> None:
    unlisted = [p for p in itertools.product(ClaimStatus, ClaimStatus) if p not in TRANSITIONS]
    assert unlisted
    for current, target in unlisted:
        with pytest.raises(InvalidTransition) as info:
            transition(_claim(current), target, actor_kind="system", at=T1)
        assert (info.value.current, info.value.target) == (current.value, target.value)


def test_nothing_rejects_automatically() -> None:
    adverse = {ClaimStatus.REJECTED, ClaimStatus.PARTIALLY_APPROVED}
    for (_, target), actors in TRANSITIONS.items():
        if target in adverse:
            assert actors == {"reviewer"}


def test_only_the_system_auto_approves_and_only_after_routing() -> None:
    into = {p: a for p, a in TRANSITIONS.items() if p[1] is ClaimStatus.AUTO_APPROVED}
    assert into == {(ClaimStatus.ROUTED, ClaimStatus.AUTO_APPROVED): {"system"}}


def test_every_state_is_reachable_from_submitted() -> None:
    seen, todo = {ClaimStatus.SUBMITTED}, [ClaimStatus.SUBMITTED]
    while todo:
        for nxt in allowed_targets(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(ClaimStatus)


def test_message_lists_the_allowed_moves() -> None:
    with pytest.raises(InvalidTransition, match="awaiting_merchant"):
        transition(_claim(ClaimStatus.ROUTED), ClaimStatus.REJECTED, actor_kind="reviewer", at=T1)
    with pytest.raises(InvalidTransition, match="none"):
        transition(
            _claim(ClaimStatus.AUTO_APPROVED), ClaimStatus.APPEALED, actor_kind="buyer", at=T1
        )


def test_transition_keeps_extra_changes() -> None:
    moved = transition(
        _claim(ClaimStatus.ROUTED),
        ClaimStatus.IN_REVIEW,
        actor_kind="system",
        at=T1,
        due_at=T1,
        assignee_id=None,
    )
    assert moved.due_at == T1
