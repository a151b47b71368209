"""SQL repositories on SQLite and PostgreSQL (the same tests, parametrized)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)

from tests.service_support import PG_URL, service_unavailable
from trueclaim.adapters.errors import StorageError
from trueclaim.adapters.migrations import current_revision, upgrade
from trueclaim.adapters.sql import SqlRepositories, make_engine, normalize_database_url
from trueclaim.adapters.sql.errors import ERROR_MAP, translate_errors
from trueclaim.domain.audit import PendingEvent, verify_chain
from trueclaim.domain.claims import Claim, ClaimStatus, ClaimType, Evidence, EvidenceSource
from trueclaim.domain.decisions import Decision, Outcome, ReasonCode
from trueclaim.domain.errors import ClaimNotFound, Conflict, NotFound, ValidationFailed
from trueclaim.domain.orders import Order, OrderItem
from trueclaim.domain.ports import Job, StoredReport
from trueclaim.domain.tenants import ApiKey, Merchant, Role, Tenant

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def repos(request, tmp_path) -> Iterator[SqlRepositories]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
        upgrade(engine)
        yield SqlRepositories(engine)
        engine.dispose()
        return
    schema = f"tc_repo_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_database_url(PG_URL))
    try:
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        service_unavailable(f"PostgreSQL at {PG_URL}", exc)
    engine = make_engine(PG_URL, schema=schema)
    upgrade(engine)
    try:
        yield SqlRepositories(engine)
    finally:
        engine.dispose()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _seed(repos: SqlRepositories, tenant_id: str = "ten_a") -> Order:
    repos.tenants.add_tenant(Tenant(tenant_id, "A", T0))
    repos.tenants.add_merchant(Merchant(f"mer_{tenant_id}", tenant_id, "shop", T0))
    order = Order(
        f"ord_{tenant_id}",
        tenant_id,
        f"mer_{tenant_id}",
        "X1",
        "buyer",
        (OrderItem("S", "t", 1, 100),),
        100,
        "CNY",
        T0,
        T0,
        T0 + timedelta(days=1),
    )
    repos.orders.add_order(order)
    return order


def _claim(order: Order, n: int = 1, **kw) -> Claim:
    base = dict(
        id=f"clm_{order.tenant_id}_{n}",
        tenant_id=order.tenant_id,
        merchant_id=order.merchant_id,
        order_id=order.id,
        buyer_ref=order.buyer_ref,
        type=ClaimType.REFUND_ONLY,
        reason="r",
        amount_minor=100,
        currency="CNY",
        statement="",
        status=ClaimStatus.IN_REVIEW,
        created_at=T0 + timedelta(minutes=n),
        updated_at=T0,
        due_at=T0 + timedelta(hours=n),
    )
    base.update(kw)
    return Claim(**base)


def test_migration_is_idempotent(repos) -> None:
    upgrade(repos.engine)
    assert current_revision(repos.engine) == "0001"


def test_round_trip_keeps_every_field_and_timezone(repos) -> None:
    order = _seed(repos)
    assert repos.orders.get_order("ten_a", order.id) == order
    claim = _claim(
        order, excluded_reviewers=("key_x",), routing_reasons=("ai-label-found",), risk=0.5
    )
    ev = Evidence(
        "evi_1", "ten_a", claim.id, 1, EvidenceSource.BUYER, "a" * 64, 3, "image/png", "x.png", T0
    )
    repos.claims.add_claim(claim, [ev])
    assert repos.claims.get_claim("ten_a", claim.id) == claim
    assert repos.claims.list_evidence("ten_a", claim.id) == [ev]
    assert repos.claims.get_claim("ten_a", claim.id).created_at.tzinfo is not None


def test_other_tenant_sees_nothing(repos) -> None:
    order = _seed(repos)
    _seed(repos, "ten_b")
    repos.claims.add_claim(_claim(order), [])
    with pytest.raises(ClaimNotFound):
        repos.claims.get_claim("ten_b", "clm_ten_a_1")
    with pytest.raises(NotFound):
        repos.orders.get_order("ten_b", order.id)
    assert repos.claims.list_claims("ten_b") == []


def test_save_claim_refuses_stale_versions(repos) -> None:
    order = _seed(repos)
    claim = _claim(order)
    repos.claims.add_claim(claim, [])
    newer = Claim(
        **{**{f: getattr(claim, f) for f in claim.__slots__}, "version": 2, "reason": "changed"}
    )
    repos.claims.save_claim(newer, expected_version=1)
    with pytest.raises(Conflict):
        repos.claims.save_claim(newer, expected_version=1)


def test_pull_next_never_assigns_twice(repos) -> None:
    order = _seed(repos)
    for n in range(1, 4):
        repos.claims.add_claim(_claim(order, n), [])
    got: list[str] = []
    lock = threading.Lock()

    def pull(reviewer: str) -> None:
        claim = repos.claims.pull_next_for_review("ten_a", reviewer, T0)
        if claim is not None:
            with lock:
                got.append(claim.id)

    threads = [threading.Thread(target=pull, args=(f"rev_{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [f"clm_ten_a_{n}" for n in range(1, 4)]


def test_pull_next_skips_excluded_reviewers_and_orders_by_due_time(repos) -> None:
    order = _seed(repos)
    repos.claims.add_claim(_claim(order, 1, excluded_reviewers=("rev_1",)), [])
    repos.claims.add_claim(_claim(order, 2), [])
    assert repos.claims.pull_next_for_review("ten_a", "rev_1", T0).id == "clm_ten_a_2"
    assert repos.claims.pull_next_for_review("ten_a", "rev_1", T0) is None
    assert repos.claims.pull_next_for_review("ten_a", "rev_2", T0).assignee_id == "rev_2"


def test_buyer_record_counts_claims_and_confirmed_forgeries(repos) -> None:
    order = _seed(repos)
    repos.claims.add_claim(_claim(order, 1, status=ClaimStatus.REJECTED), [])
    repos.claims.add_claim(_claim(order, 2, status=ClaimStatus.APPROVED), [])
    repos.claims.add_decision(
        Decision(
            "dec_1",
            "ten_a",
            "clm_ten_a_1",
            "rev",
            Outcome.REJECTED,
            ReasonCode.EVIDENCE_FORGED,
            "",
            T0,
        )
    )
    repos.claims.add_decision(
        Decision(
            "dec_2",
            "ten_a",
            "clm_ten_a_2",
            "rev",
            Outcome.APPROVED,
            ReasonCode.DAMAGE_CONFIRMED,
            "",
            T0,
        )
    )
    record = repos.claims.buyer_record("ten_a", "buyer", T0 - timedelta(days=1))
    assert (record.claims_recent, record.confirmed_forgeries) == (2, 1)
    assert repos.claims.buyer_record("ten_a", "someone-else", T0).claims_recent == 0


def test_due_claims(repos) -> None:
    order = _seed(repos)
    repos.claims.add_claim(_claim(order, 1, status=ClaimStatus.AWAITING_MERCHANT), [])
    repos.claims.add_claim(_claim(order, 5, status=ClaimStatus.AWAITING_MERCHANT), [])
    assert [c.id for c in repos.claims.due_claims(T0 + timedelta(hours=2))] == ["clm_ten_a_1"]


def test_one_report_per_job_key(repos) -> None:
    order = _seed(repos)
    repos.claims.add_claim(_claim(order), [])
    report = StoredReport(
        "rep_1", "ten_a", "clm_ten_a_1", 1, "k1", 0.5, "needs-review", "{}", "b" * 64, {"x": 1}, T0
    )
    assert repos.reports.add_report_once(report) == (report, True)
    stored, created = repos.reports.add_report_once(
        StoredReport(**{**{f: getattr(report, f) for f in report.__slots__}, "id": "rep_2"})
    )
    assert (stored.id, created) == ("rep_1", False)
    assert len(repos.reports.list_reports("ten_a", "clm_ten_a_1")) == 1


def test_job_attempts_are_counted(repos) -> None:
    job = Job("k1", "ten_a", "clm", 1, "running", 0, None, T0)
    assert repos.reports.start_job(job).attempts == 1
    assert repos.reports.start_job(job).attempts == 2
    repos.reports.finish_job("k1", "failed", "boom", T0)
    assert (repos.reports.get_job("k1").status, repos.reports.get_job("k1").last_error) == (
        "failed",
        "boom",
    )


def test_event_chain_appends_concurrently_and_verifies(repos) -> None:
    def write(n: int) -> None:
        for i in range(5):
            repos.events.append("ten_a", "clm_1", "test", f"w{n}", {"i": i, "zh": "证据"}, T0)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = [e.to_dict() for e in repos.events.list_events("ten_a", "clm_1")]
    assert [e["seq"] for e in events] == list(range(1, 16))
    assert verify_chain(events) == []
    assert repos.events.list_events("ten_b", "clm_1") == []


def test_event_tampering_in_the_database_is_detected(repos) -> None:
    for i in range(3):
        repos.events.append("ten_a", "clm_1", "test", "sys", {"i": i}, T0)
    with repos.engine.begin() as c:
        c.execute(text("UPDATE events SET data_json = '{\"i\": 99}' WHERE seq = 2"))
    breaks = verify_chain([e.to_dict() for e in repos.events.list_events("ten_a", "clm_1")])
    assert [b.seq for b in breaks] == [2]
    assert "altered" in breaks[0].reason


def test_keys_and_revocation(repos) -> None:
    _seed(repos)
    key = ApiKey("key_1", "ten_a", Role.REVIEWER, "r", "c" * 64, T0)
    repos.tenants.add_key(key)
    assert repos.tenants.key_by_secret_hash("c" * 64) == key
    assert repos.tenants.revoke_key("ten_a", "key_1", T0).revoked_at == T0
    with pytest.raises(NotFound):
        repos.tenants.revoke_key("ten_b", "key_1", T0)


def test_a_key_change_and_its_event_commit_together(repos) -> None:
    _seed(repos)
    key = ApiKey("key_2", "ten_a", Role.REVIEWER, "r", "d" * 64, T0)

    def event(kind: str, **data: object) -> PendingEvent:
        return PendingEvent("ten_a", "tenant:ten_a", kind, "platform_admin:key_0", data, T0)

    with pytest.raises(ValueError):  # the event cannot be stored: neither is the key
        repos.tenants.add_key(key, [event("key.created", risk=float("nan"))])
    assert repos.tenants.key_by_secret_hash("d" * 64) is None
    repos.tenants.add_key(key, [event("key.created", key_id="key_2")])
    with pytest.raises(ValueError):
        repos.tenants.revoke_key("ten_a", "key_2", T0, [event("key.revoked", x=float("inf"))])
    assert repos.tenants.key_by_secret_hash("d" * 64) == key  # still active
    repos.tenants.revoke_key("ten_a", "key_2", T0, [event("key.revoked", key_id="key_2")])
    events = repos.events.list_events("ten_a", "tenant:ten_a")
    assert [e.kind for e in events] == ["key.created", "key.revoked"]
    assert verify_chain([e.to_dict() for e in events]) == []


def test_driver_errors_become_ours_with_the_cause(repos) -> None:
    _seed(repos)
    with pytest.raises(Conflict) as info:
        repos.tenants.add_tenant(Tenant("ten_a", "again", T0))
    assert isinstance(info.value.__cause__, IntegrityError)


@pytest.mark.parametrize(
    "driver_error", [IntegrityError, OperationalError, DataError, DBAPIError, SQLAlchemyError]
)
def test_every_expected_driver_error_has_a_mapping(driver_error) -> None:
    assert driver_error in {d for d, _, _ in ERROR_MAP}
    exc = (
        driver_error("stmt", {}, Exception("x"))
        if driver_error is not SQLAlchemyError
        else driver_error("x")
    )
    with (
        pytest.raises((Conflict, ValidationFailed, StorageError)) as info,
        translate_errors("doing a thing"),
    ):
        raise exc
    assert info.value.__cause__ is exc
