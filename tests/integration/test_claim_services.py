"""Use cases end to end on SQLite with a fake engine (the Verifier port) and a settable clock:
auto-approval, hard rules, timers, more evidence, merchant acceptance, buyer record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from tests.service_support import sqlite_settings
from trueclaim.adapters.errors import QueueError
from trueclaim.domain.audit import verify_chain
from trueclaim.domain.claims import ClaimStatus, ClaimType, ResponseKind, Stance
from trueclaim.domain.decisions import Outcome, ReasonCode
from trueclaim.domain.errors import InvalidTransition, PermissionDenied
from trueclaim.domain.orders import OrderItem
from trueclaim.domain.ports import Job, JobQueue
from trueclaim.domain.services import claims, review
from trueclaim.domain.services.context import Services, UploadedFile
from trueclaim.domain.services.orders import create_order
from trueclaim.domain.services.tenants import (
    bootstrap_tenant,
    create_key,
    create_merchant,
    set_standing,
)
from trueclaim.domain.tenants import Principal, Role
from trueclaim.forensics.types import CaseContext, Finding, Report, Severity, Verdict
from trueclaim.wiring import build_runtime, run_timers_once

PNG = UploadedFile("e.png", "image/png", b"\x89PNG\r\n\x1a\nfake")


@dataclass
class FakeClock:
    at: datetime = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


@dataclass
class FakeEngine:
    """Returns the queued reports in order (the last one repeats)."""

    reports: list[Report] = field(default_factory=list)
    calls: int = 0

    def __call__(
        self, evidence: Sequence[bytes], references: Sequence[bytes], context: CaseContext | None
    ) -> Report:
        self.calls += 1
        return self.reports[min(self.calls, len(self.reports)) - 1]


def _report(risk: float, verdict: Verdict, *codes: tuple[str, str]) -> Report:
    findings = tuple(
        Finding(d, c, Severity.CRITICAL, 0.9, "en", "zh", evidence_index=0) for d, c in codes
    )
    return Report(findings, risk, verdict, "fake", {})


CLEAN = _report(0.05, Verdict.GENUINE_LIKELY)
AI = _report(0.05, Verdict.GENUINE_LIKELY, ("provenance", "tc260-aigc-label"))


@dataclass
class World:
    svc: Services
    clock: FakeClock
    engine: FakeEngine
    admin: Principal
    buyer: Principal
    merchant: Principal
    reviewers: tuple[Principal, Principal]
    merchant_id: str
    queue: object
    made: int = 0

    def claim(self, amount: int = 1000, account: str = "buyer-1", file: UploadedFile | None = None):
        """File a claim (with a file of its own unless ``file`` is given) and let it verify."""
        self.made += 1
        file = file or UploadedFile("e.png", "image/png", PNG.data + str(self.made).encode())
        order = create_order(
            self.svc,
            self.admin,
            merchant_id=self.merchant_id,
            external_id=f"o{self.engine.calls}-{amount}-{account}-{self.clock.at.timestamp()}",
            buyer_account_id=account,
            items=[OrderItem("S", "thing", 1, 50_000)],
            amount_minor=50_000,
            currency="CNY",
            shipped_at=None,
            delivered_at=None,
        )
        c, _ = claims.submit_claim(
            self.svc,
            self.buyer,
            order_id=order.id,
            type=ClaimType.REFUND_ONLY,
            reason="broken",
            amount_minor=amount,
            statement="",
            files=[file],
            idempotency_key=None,
        )
        self.queue.join()
        return self.svc.repos.claims.get_claim(c.tenant_id, c.id)


@pytest.fixture
def world(tmp_path) -> World:
    runtime = build_runtime(sqlite_settings(tmp_path))
    svc = runtime.services
    clock, engine = FakeClock(), FakeEngine([CLEAN])
    svc.clock, svc.verifier = clock, engine
    svc.renderer = lambda report, evidence, references: "<html>fake</html>"
    tenant, _ = bootstrap_tenant(svc, "t", is_operator=True)
    admin = Principal(tenant.id, Role.PLATFORM_ADMIN, "key_admin")
    merchant = create_merchant(svc, admin, "shop", True)

    def principal(role: Role, merchant_id: str | None = None) -> Principal:
        key, _ = create_key(svc, admin, role, role.value, merchant_id)
        return Principal(tenant.id, role, key.id, merchant_id)

    w = World(
        svc,
        clock,
        engine,
        admin,
        principal(Role.BUYER_CHANNEL),
        principal(Role.MERCHANT, merchant.id),
        (principal(Role.REVIEWER), principal(Role.REVIEWER)),
        merchant.id,
        runtime.queue,
    )
    yield w
    runtime.close()


def _to_review(w: World, claim):
    claim, _ = review.respond_as_merchant(
        w.svc,
        w.merchant,
        claim.id,
        stance=Stance.CONTEST,
        kind=ResponseKind.STATEMENT,
        statement="no",
        files=[],
    )
    return review.pull_next(w.svc, w.reviewers[0])


def test_clean_small_claim_is_auto_approved(world) -> None:
    claim = world.claim()
    assert claim.status is ClaimStatus.AUTO_APPROVED
    assert claim.routing_reasons == ("low-risk",)


def test_ai_label_blocks_auto_approval_and_merchant_answers_first(world) -> None:
    world.engine.reports = [AI]
    claim = world.claim()
    assert claim.status is ClaimStatus.AWAITING_MERCHANT
    assert "ai-label-found" in claim.routing_reasons
    assert claim.due_at == world.clock.at + timedelta(hours=48)


def test_merchant_not_in_good_standing_goes_straight_to_review(world) -> None:
    world.engine.reports = [AI]
    set_standing(world.svc, world.admin, world.merchant_id, False)
    assert world.claim().status is ClaimStatus.IN_REVIEW


def test_merchant_window_expiry_goes_to_review_never_to_a_refund(world) -> None:
    world.engine.reports = [AI]
    claim = world.claim()
    world.clock.at += timedelta(hours=47)
    assert review.expire_due(world.svc) == []
    world.clock.at += timedelta(hours=2)
    (moved,) = review.expire_due(world.svc)
    assert moved.status is ClaimStatus.IN_REVIEW
    assert moved.id == claim.id


def test_review_sla_breach_returns_the_claim_to_the_queue(world) -> None:
    world.engine.reports = [AI]
    claim = _to_review(world, world.claim())
    assert claim.assignee_id == world.reviewers[0].key_id
    world.clock.at += timedelta(hours=25)
    (moved,) = review.expire_due(world.svc)
    assert (moved.status, moved.assignee_id) == (ClaimStatus.IN_REVIEW, None)
    assert review.pull_next(world.svc, world.reviewers[1]).id == claim.id


def test_more_evidence_reruns_verification_and_returns_to_review(world) -> None:
    world.engine.reports = [AI, CLEAN]
    claim = _to_review(world, world.claim())
    claim, _ = review.decide(
        world.svc,
        world.reviewers[0],
        claim.id,
        outcome=Outcome.MORE_EVIDENCE,
        reason_code=ReasonCode.INSUFFICIENT_EVIDENCE,
        note="closer photo please",
        approved_amount_minor=None,
    )
    assert claim.status is ClaimStatus.MORE_EVIDENCE
    claims.add_evidence(
        world.svc, world.buyer, claim.id, [UploadedFile("b.jpg", "image/jpeg", b"\xff\xd8\xffmore")]
    )
    world.queue.join()
    again = world.svc.repos.claims.get_claim(claim.tenant_id, claim.id)
    assert again.round == 2
    assert len(world.svc.repos.reports.list_reports(claim.tenant_id, claim.id)) == 2
    # A clean second round does not wash out the first round's label; it goes back to a reviewer.
    assert again.status is ClaimStatus.IN_REVIEW
    assert {"ai-label-found", "more-evidence-received"} <= set(again.routing_reasons)


def test_more_evidence_window_expiry_goes_to_review(world) -> None:
    world.engine.reports = [AI]
    claim = _to_review(world, world.claim())
    review.decide(
        world.svc,
        world.reviewers[0],
        claim.id,
        outcome=Outcome.MORE_EVIDENCE,
        reason_code=ReasonCode.INSUFFICIENT_EVIDENCE,
        note="",
        approved_amount_minor=None,
    )
    world.clock.at += timedelta(hours=73)
    (moved,) = review.expire_due(world.svc)
    assert moved.status is ClaimStatus.IN_REVIEW


def test_merchant_accepting_approves_and_cannot_be_appealed_by_the_merchant(world) -> None:
    world.engine.reports = [AI]
    claim = world.claim()
    claim, _ = review.respond_as_merchant(
        world.svc,
        world.merchant,
        claim.id,
        stance=Stance.ACCEPT,
        kind=ResponseKind.STATEMENT,
        statement="ok",
        files=[],
    )
    assert claim.status is ClaimStatus.APPROVED
    with pytest.raises(InvalidTransition):
        review.appeal(world.svc, world.merchant, claim.id, "changed my mind")


def test_confirmed_forgery_feeds_the_next_claims_routing(world) -> None:
    world.engine.reports = [AI]
    claim = _to_review(world, world.claim(account="repeat"))
    review.decide(
        world.svc,
        world.reviewers[0],
        claim.id,
        outcome=Outcome.REJECTED,
        reason_code=ReasonCode.EVIDENCE_FORGED,
        note="",
        approved_amount_minor=None,
    )
    world.engine.reports = [CLEAN]
    second = world.claim(account="repeat")
    assert second.status is ClaimStatus.AWAITING_MERCHANT
    assert "buyer-confirmed-forgeries" in second.routing_reasons
    assert world.claim(account="someone-new").status is ClaimStatus.AUTO_APPROVED


def test_only_the_assigned_reviewer_decides_and_appeals_exclude_them(world) -> None:
    world.engine.reports = [AI]
    claim = _to_review(world, world.claim())
    with pytest.raises(PermissionDenied):
        review.decide(
            world.svc,
            world.reviewers[1],
            claim.id,
            outcome=Outcome.APPROVED,
            reason_code=ReasonCode.DAMAGE_CONFIRMED,
            note="",
            approved_amount_minor=None,
        )
    review.decide(
        world.svc,
        world.reviewers[0],
        claim.id,
        outcome=Outcome.APPROVED,
        reason_code=ReasonCode.DAMAGE_CONFIRMED,
        note="",
        approved_amount_minor=None,
    )
    claim, appeal = review.appeal(world.svc, world.merchant, claim.id, "the photo is fake")
    assert appeal.appellant == "merchant" and claim.status is ClaimStatus.IN_REVIEW
    assert review.pull_next(world.svc, world.reviewers[0]) is None
    assert review.pull_next(world.svc, world.reviewers[1]).id == claim.id


def test_an_appeal_moves_to_appealed_and_back_to_review_in_one_transaction(world) -> None:
    world.engine.reports = [AI]
    claim = _to_review(world, world.claim())
    review.decide(
        world.svc,
        world.reviewers[0],
        claim.id,
        outcome=Outcome.APPROVED,
        reason_code=ReasonCode.DAMAGE_CONFIRMED,
        note="",
        approved_amount_minor=None,
    )
    saved: list[ClaimStatus] = []
    save_claim = world.svc.repos.claims.save_claim

    def recording(updated, *args, **kwargs):
        saved.append(updated.status)
        return save_claim(updated, *args, **kwargs)

    world.svc.repos.claims.save_claim = recording
    claim, _ = review.appeal(world.svc, world.merchant, claim.id, "the photo is fake")
    assert saved == [ClaimStatus.IN_REVIEW]  # never stored half-way, in ``appealed``
    events = world.svc.repos.events.list_events(claim.tenant_id, claim.id)
    moves = [(e.data["from"], e.data["to"]) for e in events if e.kind == "claim.status_changed"]
    assert moves[-2:] == [("approved", "appealed"), ("appealed", "in_review")]
    assert verify_chain([e.to_dict() for e in events]) == []
    stored = world.svc.repos.claims.get_claim(claim.tenant_id, claim.id)
    assert stored == claim and stored.appeal_count == 1


def test_a_failing_engine_keeps_the_job_record(world) -> None:
    def broken(*_: object) -> Report:
        raise RuntimeError("engine down")

    world.svc.verifier = broken
    world.queue._max_retries = 0
    claim = world.claim()
    assert claim.status is ClaimStatus.VERIFYING
    (job_key, _error) = world.queue.failures[0]
    job = world.svc.repos.reports.get_job(job_key)
    assert (job.status, job.attempts) == ("failed", 1)
    assert "RuntimeError: engine down" in job.last_error and "Traceback" in job.last_error


def test_a_transient_engine_failure_is_retried(world) -> None:
    calls = {"n": 0}

    def flaky(*args: object) -> Report:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("temporary")
        return AI

    world.svc.verifier = flaky
    claim = world.claim()
    assert claim.status is ClaimStatus.AWAITING_MERCHANT
    (job,) = world.svc.repos.reports.list_jobs(claim.tenant_id, claim.id)
    assert (job.status, job.attempts, job.last_error) == ("done", 2, None)


def test_a_job_redelivered_after_routing_half_done_finishes_it(world) -> None:
    from dataclasses import replace

    from trueclaim.domain.services.claims import job_key
    from trueclaim.domain.services.verification import run_verification

    world.engine.reports = [AI]
    claim = world.claim()
    events_before = len(world.svc.repos.events.list_events(claim.tenant_id, claim.id))
    # Simulate a worker that died right after the "routed" move.
    half = replace(claim, status=ClaimStatus.ROUTED, version=claim.version + 1, due_at=None)
    world.svc.repos.claims.save_claim(half, expected_version=claim.version)
    evidence = world.svc.repos.claims.list_evidence(claim.tenant_id, claim.id)
    key = job_key(claim.id, 1, [e.id for e in evidence])
    assert run_verification(world.svc, claim.tenant_id, claim.id, 1, key) == "merchant"
    done = world.svc.repos.claims.get_claim(claim.tenant_id, claim.id)
    assert done.status is ClaimStatus.AWAITING_MERCHANT
    assert world.engine.calls == 1  # the stored report was reused, the engine not run again
    assert run_verification(world.svc, claim.tenant_id, claim.id, 1, key) == "stale"
    assert len(world.svc.repos.events.list_events(claim.tenant_id, claim.id)) == events_before + 1


def test_a_claim_changed_during_the_timer_run_does_not_stop_the_others(world) -> None:
    world.engine.reports = [AI]
    made = {world.claim().id, world.claim().id}
    world.clock.at += timedelta(hours=49)
    snapshot = world.svc.repos.claims.due_claims(world.clock.at)
    assert {c.id for c in snapshot} == made
    answered, other = snapshot
    # The merchant answers the first claim just as its window closes, after the sweep read it.
    review.respond_as_merchant(
        world.svc,
        world.merchant,
        answered.id,
        stance=Stance.CONTEST,
        kind=ResponseKind.STATEMENT,
        statement="no",
        files=[],
    )
    world.svc.repos.claims.due_claims = lambda at, tenant_id=None: snapshot
    (moved,) = review.expire_due(world.svc)
    assert (moved.id, moved.status) == (other.id, ClaimStatus.IN_REVIEW)


def test_timers_run_per_tenant(world) -> None:
    world.engine.reports = [AI]
    world.claim()
    world.clock.at += timedelta(hours=49)
    assert review.expire_due(world.svc, "ten_other") == []
    assert len(review.expire_due(world.svc, world.admin.tenant_id)) == 1


def test_concurrent_submissions_with_one_idempotency_key_make_one_claim(world) -> None:
    import threading

    order = create_order(
        world.svc,
        world.admin,
        merchant_id=world.merchant_id,
        external_id="race",
        buyer_account_id="b",
        items=[OrderItem("S", "t", 1, 100)],
        amount_minor=100,
        currency="CNY",
        shipped_at=None,
        delivered_at=None,
    )
    results: list[tuple[str, bool]] = []

    def go() -> None:
        c, created = claims.submit_claim(
            world.svc,
            world.buyer,
            order_id=order.id,
            type=ClaimType.REFUND_ONLY,
            reason="r",
            amount_minor=100,
            statement="",
            files=[PNG],
            idempotency_key="same-key",
        )
        results.append((c.id, created))

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    world.queue.join()
    assert len({cid for cid, _ in results}) == 1
    assert sum(created for _, created in results) == 1


def test_the_same_file_in_a_second_claim_is_not_auto_approved(world) -> None:
    first = world.claim(account="a", file=PNG)
    assert first.status is ClaimStatus.AUTO_APPROVED
    second = world.claim(account="b", file=PNG)  # byte-identical evidence file, another buyer
    assert second.status is ClaimStatus.AWAITING_MERCHANT
    assert "evidence-reused" in second.routing_reasons
    assert world.svc.repos.claims.claims_sharing_evidence(second.tenant_id, second.id) == [first.id]


# A submission that failed half-way (claim stored, job not queued) is finished by its replay
# with the same Idempotency-Key, so the claim never stays in ``verifying`` without a job.
@dataclass
class FlakyQueue:
    """Refuses the first ``failures`` jobs (as a broker that is down would), then delegates."""

    inner: JobQueue
    failures: int = 1
    sent: list[str] = field(default_factory=list)

    def enqueue_verification(self, tenant_id: str, claim_id: str, round: int, job_key: str) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise QueueError("broker down")
        self.sent.append(job_key)
        self.inner.enqueue_verification(tenant_id, claim_id, round, job_key)


def _submit(w: World, order_id: str, key: str | None = "k-1") -> tuple[str, ClaimStatus, bool]:
    claim, created = claims.submit_claim(
        w.svc,
        w.buyer,
        order_id=order_id,
        type=ClaimType.REFUND_ONLY,
        reason="broken",
        amount_minor=100,
        statement="",
        files=[PNG],
        idempotency_key=key,
    )
    return claim.id, claim.status, created


def _order(w: World) -> str:
    return create_order(
        w.svc,
        w.admin,
        merchant_id=w.merchant_id,
        external_id="o-recovery",
        buyer_account_id="b",
        items=[OrderItem("S", "t", 1, 100)],
        amount_minor=100,
        currency="CNY",
        shipped_at=None,
        delivered_at=None,
    ).id


def test_replay_after_a_lost_job_queues_it_and_the_claim_is_routed(world) -> None:
    flaky = FlakyQueue(world.svc.queue)
    world.svc.queue = flaky
    order_id = _order(world)
    with pytest.raises(QueueError):
        _submit(world, order_id)
    (stuck,) = world.svc.repos.claims.list_claims(world.buyer.tenant_id)
    assert stuck.status is ClaimStatus.VERIFYING and flaky.sent == []

    claim_id, _, created = _submit(world, order_id)
    world.queue.join()
    assert (claim_id, created) == (stuck.id, False)
    assert len(flaky.sent) == 1
    routed = world.svc.repos.claims.get_claim(stuck.tenant_id, stuck.id)
    assert routed.status is ClaimStatus.AUTO_APPROVED
    assert world.engine.calls == 1


def test_replay_of_a_verified_claim_runs_nothing_again(world) -> None:
    flaky = FlakyQueue(world.svc.queue, failures=0)
    world.svc.queue = flaky
    order_id = _order(world)
    first_id, _, created = _submit(world, order_id)
    world.queue.join()
    assert created
    again_id, status, created_again = _submit(world, order_id)
    world.queue.join()
    assert (again_id, status, created_again) == (first_id, ClaimStatus.AUTO_APPROVED, False)
    assert len(flaky.sent) == 1 and world.engine.calls == 1


@dataclass
class LosingQueue:
    """A queue whose jobs are lost (the in-process queue of a server that was restarted)."""

    lost: list[str] = field(default_factory=list)

    def enqueue_verification(self, tenant_id: str, claim_id: str, round: int, job_key: str) -> None:
        self.lost.append(job_key)


def test_a_lost_job_is_queued_again_once_the_claim_has_stalled(world) -> None:
    real, world.svc.queue = world.svc.queue, LosingQueue()
    claim = world.claim()
    assert claim.status is ClaimStatus.VERIFYING
    world.svc.queue = real
    grace = timedelta(minutes=10)
    assert claims.requeue_stalled(world.svc, older_than=grace) == []  # not stalled yet
    world.clock.at += timedelta(minutes=11)
    assert claims.requeue_stalled(world.svc, older_than=grace) == [claim.id]
    world.queue.join()
    routed = world.svc.repos.claims.get_claim(claim.tenant_id, claim.id)
    assert routed.status is ClaimStatus.AUTO_APPROVED and world.engine.calls == 1
    world.clock.at += timedelta(minutes=11)
    assert claims.requeue_stalled(world.svc, older_than=grace) == []


def test_a_failed_job_is_left_for_operators(world) -> None:
    def broken(*_: object) -> Report:
        raise RuntimeError("engine down")

    world.svc.verifier = broken
    world.queue._max_retries = 0
    failed = world.claim()
    assert failed.status is ClaimStatus.VERIFYING
    world.clock.at += timedelta(minutes=11)
    assert claims.requeue_stalled(world.svc, older_than=timedelta(minutes=10)) == []


def test_a_running_job_is_queued_again_only_once_it_went_silent(world) -> None:
    real, world.svc.queue = world.svc.queue, LosingQueue()
    claim = world.claim()
    (key,) = world.svc.queue.lost
    world.svc.queue = real
    grace = timedelta(minutes=10)
    world.clock.at += timedelta(minutes=11)
    job = Job(key, claim.tenant_id, claim.id, claim.round, "running", 0, None, world.clock.at)
    world.svc.repos.reports.start_job(job)  # a worker picked it up just now
    assert claims.requeue_stalled(world.svc, older_than=grace) == []
    world.clock.at += timedelta(minutes=11)  # ... and died without a word
    assert claims.requeue_stalled(world.svc, older_than=grace) == [claim.id]
    world.queue.join()
    assert world.svc.repos.claims.get_claim(claim.tenant_id, claim.id).status is (
        ClaimStatus.AUTO_APPROVED
    )


def test_a_timer_run_expires_windows_and_requeues_lost_jobs(world, tmp_path) -> None:
    world.engine.reports = [AI]
    world.claim()  # awaits the merchant
    real, world.svc.queue = world.svc.queue, LosingQueue()
    lost = world.claim()
    world.svc.queue = real
    world.clock.at += timedelta(hours=49)
    assert run_timers_once(world.svc, sqlite_settings(tmp_path, job_stall_s=600)) == 2
    world.queue.join()
    assert world.svc.repos.claims.get_claim(lost.tenant_id, lost.id).status is (
        ClaimStatus.AWAITING_MERCHANT
    )
