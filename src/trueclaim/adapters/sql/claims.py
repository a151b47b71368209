"""ClaimRepository over SQL: claims, evidence, responses, decisions, appeals, the review queue."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, func, insert, select, update

from trueclaim.adapters.sql import tables as t
from trueclaim.adapters.sql.engine import is_postgresql
from trueclaim.adapters.sql.errors import translate_errors
from trueclaim.adapters.sql.events import append_in
from trueclaim.domain.audit import PendingEvent
from trueclaim.domain.buyers import BuyerRecord
from trueclaim.domain.claims import (
    Claim,
    ClaimStatus,
    ClaimType,
    Evidence,
    EvidenceSource,
    MerchantResponse,
    ResponseKind,
    Stance,
)
from trueclaim.domain.decisions import FORGERY_REASONS, Appeal, Decision, Outcome, ReasonCode
from trueclaim.domain.errors import ClaimNotFound, Conflict, NotFound
from trueclaim.domain.ports import ClaimRecord

_PULL_RETRIES = 50
_EVENT_RETRIES = 20


class _StaleVersion(Exception):
    """The claim's version moved on; no retry can help."""


_TIMED = (ClaimStatus.AWAITING_MERCHANT, ClaimStatus.MORE_EVIDENCE, ClaimStatus.IN_REVIEW)


class SqlClaimRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add_claim(
        self, claim: Claim, evidence: Sequence[Evidence], events: Sequence[PendingEvent] = ()
    ) -> None:
        with translate_errors("storing claim"), self._engine.begin() as c:
            c.execute(insert(t.claims).values(id=claim.id, **_claim_values(claim)))
            for e in evidence:
                c.execute(insert(t.evidence).values(**_evidence_values(e)))
            for event in events:
                append_in(c, event)

    def get_claim(self, tenant_id: str, claim_id: str) -> Claim:
        with translate_errors("reading claim"), self._engine.connect() as c:
            row = c.execute(
                select(t.claims).where(
                    (t.claims.c.id == claim_id) & (t.claims.c.tenant_id == tenant_id)
                )
            ).first()
        if row is None:
            raise ClaimNotFound(claim_id)
        return _claim(row)

    def locate_claim(self, claim_id: str) -> Claim:
        """A claim in any tenant, for operator tools on the database host (``trueclaim export``)."""
        with translate_errors("reading claim"), self._engine.connect() as c:
            row = c.execute(select(t.claims).where(t.claims.c.id == claim_id)).first()
        if row is None:
            raise ClaimNotFound(claim_id)
        return _claim(row)

    def claim_by_idempotency_key(self, tenant_id: str, key: str) -> Claim | None:
        with translate_errors("reading claim"), self._engine.connect() as c:
            row = c.execute(
                select(t.claims).where(
                    (t.claims.c.idempotency_key == key) & (t.claims.c.tenant_id == tenant_id)
                )
            ).first()
        return None if row is None else _claim(row)

    def save_claim(
        self,
        claim: Claim,
        expected_version: int,
        events: Sequence[PendingEvent] = (),
        records: Sequence[ClaimRecord] = (),
    ) -> None:
        """Store a changed claim if nobody changed it since ``expected_version``, together with
        the rows that came with the change (evidence, response, decision, appeal) and the events
        that record it: one transaction."""
        c_ = t.claims.c
        for _ in range(_EVENT_RETRIES):
            try:
                with translate_errors("updating claim"), self._engine.begin() as c:
                    done = c.execute(
                        update(t.claims)
                        .where(
                            (c_.id == claim.id)
                            & (c_.tenant_id == claim.tenant_id)
                            & (c_.version == expected_version)
                        )
                        .values(**_claim_values(claim))
                    ).rowcount
                    if done != 1:
                        raise _StaleVersion
                    for record in records:
                        _insert_record(c, record)
                    for event in events:
                        append_in(c, event)
                return
            except _StaleVersion:
                break
            except Conflict:
                continue  # another event took the stream position; retry the transaction
        raise Conflict(
            f"Claim {claim.id} was changed by someone else (expected version "
            f"{expected_version}); reload it and try again."
        )

    def list_claims(
        self, tenant_id: str, *, merchant_id: str | None = None, status: ClaimStatus | None = None
    ) -> list[Claim]:
        q = select(t.claims).where(t.claims.c.tenant_id == tenant_id)
        if merchant_id is not None:
            q = q.where(t.claims.c.merchant_id == merchant_id)
        if status is not None:
            q = q.where(t.claims.c.status == status.value)
        with translate_errors("listing claims"), self._engine.connect() as c:
            rows = c.execute(q.order_by(t.claims.c.created_at, t.claims.c.id)).all()
        return [_claim(r) for r in rows]

    def pull_next_for_review(
        self,
        tenant_id: str,
        reviewer_id: str,
        at: datetime,
        event_for: Callable[[Claim], PendingEvent] | None = None,
    ) -> Claim | None:
        """Assign the most urgent unassigned claim. One row is locked at a time (SELECT ... FOR
        UPDATE SKIP LOCKED on PostgreSQL) and the update checks the version everywhere, so two
        reviewers never get the same claim; a reviewer who loses a race tries the next one."""
        c_ = t.claims.c
        q = (
            select(t.claims)
            .where(
                (c_.tenant_id == tenant_id)
                & (c_.status == ClaimStatus.IN_REVIEW.value)
                & c_.assignee_id.is_(None)
                & ~c_.excluded_reviewers_json.contains(json.dumps(reviewer_id), autoescape=True)
            )
            .order_by(c_.due_at, c_.created_at, c_.id)
            .limit(1)
        )
        if is_postgresql(self._engine):
            q = q.with_for_update(skip_locked=True)
        for _ in range(_PULL_RETRIES):
            try:
                claim = self._assign_one(q, reviewer_id, at, event_for)
            except Conflict:
                continue  # the claim's event stream moved on; nothing was assigned, try again
            if claim is None or isinstance(claim, Claim):
                return claim
        return None

    def _assign_one(
        self,
        q: Select[Any],
        reviewer_id: str,
        at: datetime,
        event_for: Callable[[Claim], PendingEvent] | None,
    ) -> Claim | bool | None:
        """One attempt: the claim assigned, None when the queue is empty, False on a lost race."""
        c_ = t.claims.c
        with translate_errors("pulling from the review queue"), self._engine.begin() as c:
            row = c.execute(q).first()
            if row is None:
                return None
            done = c.execute(
                update(t.claims)
                .where((c_.id == row.id) & (c_.version == row.version))
                .values(assignee_id=reviewer_id, version=row.version + 1, updated_at=at)
            ).rowcount
            if done != 1:
                return False
            claim = self._reload(c, row.id)
            if event_for is not None:
                append_in(c, event_for(claim))
            return claim

    def due_claims(self, at: datetime, tenant_id: str | None = None) -> list[Claim]:
        c_ = t.claims.c
        q = select(t.claims).where(c_.status.in_([s.value for s in _TIMED]) & (c_.due_at <= at))
        if tenant_id is not None:
            q = q.where(c_.tenant_id == tenant_id)
        with translate_errors("reading due claims"), self._engine.connect() as c:
            return [_claim(r) for r in c.execute(q.order_by(c_.due_at, c_.id)).all()]

    def stalled_claims(
        self, statuses: Sequence[ClaimStatus], updated_before: datetime
    ) -> list[Claim]:
        """Claims (any tenant) in one of ``statuses`` not changed since ``updated_before``."""
        c_ = t.claims.c
        q = select(t.claims).where(
            c_.status.in_([s.value for s in statuses]) & (c_.updated_at <= updated_before)
        )
        with translate_errors("reading stalled claims"), self._engine.connect() as c:
            return [_claim(r) for r in c.execute(q.order_by(c_.updated_at, c_.id)).all()]

    def buyer_record(self, tenant_id: str, buyer_ref: str, since: datetime) -> BuyerRecord:
        c_, d_ = t.claims.c, t.decisions.c
        mine = (c_.tenant_id == tenant_id) & (c_.buyer_ref == buyer_ref)
        with translate_errors("reading buyer record"), self._engine.connect() as c:
            recent = c.execute(
                select(func.count()).select_from(t.claims).where(mine & (c_.created_at >= since))
            ).scalar_one()
            forged = c.execute(
                select(func.count(func.distinct(c_.id)))
                .select_from(t.claims.join(t.decisions, d_.claim_id == c_.id))
                .where(
                    mine
                    & (c_.status == ClaimStatus.REJECTED.value)
                    & (d_.outcome == Outcome.REJECTED.value)
                    & d_.reason_code.in_([r.value for r in FORGERY_REASONS])
                )
            ).scalar_one()
        return BuyerRecord(buyer_ref, int(recent), int(forged))

    def add_evidence(self, evidence: Sequence[Evidence]) -> None:
        with translate_errors("storing evidence"), self._engine.begin() as c:
            for e in evidence:
                _insert_record(c, e)

    def claims_sharing_evidence(self, tenant_id: str, claim_id: str) -> list[str]:
        """Other claims of the tenant with a buyer file byte-identical to one of this claim's."""
        e_ = t.evidence.c
        mine = select(e_.sha256).where(
            (e_.claim_id == claim_id) & (e_.source == EvidenceSource.BUYER.value)
        )
        q = (
            select(e_.claim_id)
            .distinct()
            .where(
                (e_.tenant_id == tenant_id)
                & (e_.claim_id != claim_id)
                & (e_.source == EvidenceSource.BUYER.value)
                & e_.sha256.in_(mine)
            )
            .order_by(e_.claim_id)
        )
        with translate_errors("finding reused evidence"), self._engine.connect() as c:
            return [r.claim_id for r in c.execute(q).all()]

    def list_evidence(self, tenant_id: str, claim_id: str) -> list[Evidence]:
        e_ = t.evidence.c
        with translate_errors("listing evidence"), self._engine.connect() as c:
            rows = c.execute(
                select(t.evidence)
                .where((e_.tenant_id == tenant_id) & (e_.claim_id == claim_id))
                .order_by(e_.round, e_.uploaded_at, e_.id)
            ).all()
        return [
            Evidence(
                r.id,
                r.tenant_id,
                r.claim_id,
                r.round,
                EvidenceSource(r.source),
                r.sha256,
                r.size_bytes,
                r.content_type,
                r.filename,
                r.uploaded_at,
            )
            for r in rows
        ]

    def get_evidence(self, tenant_id: str, claim_id: str, evidence_id: str) -> Evidence:
        for e in self.list_evidence(tenant_id, claim_id):
            if e.id == evidence_id:
                return e
        raise NotFound("evidence", evidence_id)

    def add_response(self, response: MerchantResponse) -> None:
        with translate_errors("storing merchant response"), self._engine.begin() as c:
            _insert_record(c, response)

    def list_responses(self, tenant_id: str, claim_id: str) -> list[MerchantResponse]:
        m = t.merchant_responses.c
        with translate_errors("listing merchant responses"), self._engine.connect() as c:
            rows = c.execute(
                select(t.merchant_responses)
                .where((m.tenant_id == tenant_id) & (m.claim_id == claim_id))
                .order_by(m.created_at, m.id)
            ).all()
        return [
            MerchantResponse(
                r.id,
                r.tenant_id,
                r.claim_id,
                r.merchant_id,
                Stance(r.stance),
                ResponseKind(r.kind),
                r.statement,
                tuple(json.loads(r.evidence_ids_json)),
                r.created_at,
            )
            for r in rows
        ]

    def add_decision(self, decision: Decision) -> None:
        with translate_errors("storing decision"), self._engine.begin() as c:
            _insert_record(c, decision)

    def list_decisions(self, tenant_id: str, claim_id: str) -> list[Decision]:
        d_ = t.decisions.c
        with translate_errors("listing decisions"), self._engine.connect() as c:
            rows = c.execute(
                select(t.decisions)
                .where((d_.tenant_id == tenant_id) & (d_.claim_id == claim_id))
                .order_by(d_.decided_at, d_.id)
            ).all()
        return [
            Decision(
                r.id,
                r.tenant_id,
                r.claim_id,
                r.reviewer_id,
                Outcome(r.outcome),
                ReasonCode(r.reason_code),
                r.note,
                r.decided_at,
                r.appeal_round,
                r.approved_amount_minor,
            )
            for r in rows
        ]

    def add_appeal(self, appeal: Appeal) -> None:
        with translate_errors("storing appeal"), self._engine.begin() as c:
            _insert_record(c, appeal)

    def list_appeals(self, tenant_id: str, claim_id: str) -> list[Appeal]:
        a_ = t.appeals.c
        with translate_errors("listing appeals"), self._engine.connect() as c:
            rows = c.execute(
                select(t.appeals)
                .where((a_.tenant_id == tenant_id) & (a_.claim_id == claim_id))
                .order_by(a_.created_at, a_.id)
            ).all()
        return [
            Appeal(
                r.id,
                r.tenant_id,
                r.claim_id,
                r.appellant,
                r.statement,
                r.created_at,
                r.excluded_reviewer_id,
            )
            for r in rows
        ]

    @staticmethod
    def _reload(c: Connection, claim_id: str) -> Claim:
        return _claim(c.execute(select(t.claims).where(t.claims.c.id == claim_id)).one())


def _claim_values(claim: Claim) -> dict[str, Any]:
    return {
        "tenant_id": claim.tenant_id,
        "merchant_id": claim.merchant_id,
        "order_id": claim.order_id,
        "buyer_ref": claim.buyer_ref,
        "type": claim.type.value,
        "reason": claim.reason,
        "amount_minor": claim.amount_minor,
        "currency": claim.currency,
        "statement": claim.statement,
        "status": claim.status.value,
        "created_at": claim.created_at,
        "updated_at": claim.updated_at,
        "version": claim.version,
        "round": claim.round,
        "assignee_id": claim.assignee_id,
        "excluded_reviewers_json": json.dumps(list(claim.excluded_reviewers)),
        "due_at": claim.due_at,
        "appeal_count": claim.appeal_count,
        "routing_reasons_json": json.dumps(list(claim.routing_reasons)),
        "risk": claim.risk,
        "verdict": claim.verdict,
        "idempotency_key": claim.idempotency_key,
        "request_sha256": claim.request_sha256,
    }


def _claim(row: Row[Any]) -> Claim:
    return Claim(
        id=row.id,
        tenant_id=row.tenant_id,
        merchant_id=row.merchant_id,
        order_id=row.order_id,
        buyer_ref=row.buyer_ref,
        type=ClaimType(row.type),
        reason=row.reason,
        amount_minor=row.amount_minor,
        currency=row.currency,
        statement=row.statement,
        status=ClaimStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        round=row.round,
        assignee_id=row.assignee_id,
        excluded_reviewers=tuple(json.loads(row.excluded_reviewers_json)),
        due_at=row.due_at,
        appeal_count=row.appeal_count,
        routing_reasons=tuple(json.loads(row.routing_reasons_json)),
        risk=row.risk,
        verdict=row.verdict,
        idempotency_key=row.idempotency_key,
        request_sha256=row.request_sha256,
    )


def _evidence_values(e: Evidence) -> dict[str, Any]:
    return {
        "id": e.id,
        "tenant_id": e.tenant_id,
        "claim_id": e.claim_id,
        "round": e.round,
        "source": e.source.value,
        "sha256": e.sha256,
        "size_bytes": e.size_bytes,
        "content_type": e.content_type,
        "filename": e.filename,
        "uploaded_at": e.uploaded_at,
    }


def _insert_record(c: Connection, record: ClaimRecord) -> None:
    """Insert one of the rows that hang off a claim."""
    if isinstance(record, Evidence):
        c.execute(insert(t.evidence).values(**_evidence_values(record)))
    elif isinstance(record, MerchantResponse):
        r = record
        c.execute(
            insert(t.merchant_responses).values(
                id=r.id,
                tenant_id=r.tenant_id,
                claim_id=r.claim_id,
                merchant_id=r.merchant_id,
                stance=r.stance.value,
                kind=r.kind.value,
                statement=r.statement,
                evidence_ids_json=json.dumps(list(r.evidence_ids)),
                created_at=r.created_at,
            )
        )
    elif isinstance(record, Decision):
        d = record
        c.execute(
            insert(t.decisions).values(
                id=d.id,
                tenant_id=d.tenant_id,
                claim_id=d.claim_id,
                reviewer_id=d.reviewer_id,
                outcome=d.outcome.value,
                reason_code=d.reason_code.value,
                note=d.note,
                decided_at=d.decided_at,
                appeal_round=d.appeal_round,
                approved_amount_minor=d.approved_amount_minor,
            )
        )
    else:
        a = record
        c.execute(
            insert(t.appeals).values(
                id=a.id,
                tenant_id=a.tenant_id,
                claim_id=a.claim_id,
                appellant=a.appellant,
                statement=a.statement,
                created_at=a.created_at,
                excluded_reviewer_id=a.excluded_reviewer_id,
            )
        )
