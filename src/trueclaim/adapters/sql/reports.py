"""ReportRepository over SQL: one report per job key, and job bookkeeping."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, insert, select, update

from trueclaim.adapters.sql import tables as t
from trueclaim.adapters.sql.errors import translate_errors
from trueclaim.adapters.sql.events import append_in
from trueclaim.domain.audit import PendingEvent
from trueclaim.domain.errors import Conflict
from trueclaim.domain.ports import Job, StoredReport

_RETRIES = 20


class SqlReportRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add_report_once(
        self, report: StoredReport, events: Sequence[PendingEvent] = ()
    ) -> tuple[StoredReport, bool]:
        """Insert (with ``events``, one transaction) unless a report with this job key exists;
        returns (stored, created)."""
        r = report
        for _ in range(_RETRIES):
            try:
                with translate_errors("storing report"), self._engine.begin() as c:
                    c.execute(
                        insert(t.reports).values(
                            id=r.id,
                            tenant_id=r.tenant_id,
                            claim_id=r.claim_id,
                            round=r.round,
                            job_key=r.job_key,
                            risk=r.risk,
                            verdict=r.verdict,
                            report_json=r.report_json,
                            html_sha256=r.html_sha256,
                            routing_signals_json=json.dumps(dict(r.routing_signals)),
                            created_at=r.created_at,
                        )
                    )
                    for event in events:
                        append_in(c, event)
                return report, True
            except Conflict:
                existing = self._by_job_key(r.job_key)
                if existing is not None:
                    return existing, False
                # the event stream moved on under us; try again
        raise Conflict(
            f"Could not store the report for job {r.job_key}: the claim's event stream "
            "kept changing. The job will be retried."
        )

    def latest_report(self, tenant_id: str, claim_id: str) -> StoredReport | None:
        found = self.list_reports(tenant_id, claim_id)
        return found[-1] if found else None

    def list_reports(self, tenant_id: str, claim_id: str) -> list[StoredReport]:
        r_ = t.reports.c
        with translate_errors("listing reports"), self._engine.connect() as c:
            rows = c.execute(
                select(t.reports)
                .where((r_.tenant_id == tenant_id) & (r_.claim_id == claim_id))
                .order_by(r_.round, r_.created_at, r_.id)
            ).all()
        return [_report(r) for r in rows]

    def _by_job_key(self, key: str) -> StoredReport | None:
        with translate_errors("reading report"), self._engine.connect() as c:
            row = c.execute(select(t.reports).where(t.reports.c.job_key == key)).first()
        return None if row is None else _report(row)

    def start_job(self, job: Job) -> Job:
        """Record an attempt (the first creates the row); returns the job with its count."""
        j_ = t.jobs.c
        with translate_errors("recording job start"), self._engine.begin() as c:
            done = c.execute(
                update(t.jobs)
                .where(j_.key == job.key)
                .values(status="running", attempts=j_.attempts + 1, updated_at=job.updated_at)
            ).rowcount
            if done == 0:
                c.execute(
                    insert(t.jobs).values(
                        key=job.key,
                        tenant_id=job.tenant_id,
                        claim_id=job.claim_id,
                        round=job.round,
                        status="running",
                        attempts=1,
                        last_error=None,
                        updated_at=job.updated_at,
                    )
                )
        found = self.get_job(job.key)
        if found is None:  # pragma: no cover - just written
            raise Conflict(f"job {job.key} vanished")
        return found

    def finish_job(self, key: str, status: str, error: str | None, at: datetime) -> None:
        with translate_errors("recording job end"), self._engine.begin() as c:
            c.execute(
                update(t.jobs)
                .where(t.jobs.c.key == key)
                .values(status=status, last_error=error, updated_at=at)
            )

    def get_job(self, key: str) -> Job | None:
        with translate_errors("reading job"), self._engine.connect() as c:
            r = c.execute(select(t.jobs).where(t.jobs.c.key == key)).first()
        return None if r is None else _job(r)

    def list_jobs(self, tenant_id: str, claim_id: str) -> list[Job]:
        j_ = t.jobs.c
        with translate_errors("listing jobs"), self._engine.connect() as c:
            rows = c.execute(
                select(t.jobs)
                .where((j_.tenant_id == tenant_id) & (j_.claim_id == claim_id))
                .order_by(j_.round, j_.key)
            ).all()
        return [_job(r) for r in rows]


def _report(row: Row[Any]) -> StoredReport:
    return StoredReport(
        row.id,
        row.tenant_id,
        row.claim_id,
        row.round,
        row.job_key,
        row.risk,
        row.verdict,
        row.report_json,
        row.html_sha256,
        json.loads(row.routing_signals_json),
        row.created_at,
    )


def _job(r: Row[Any]) -> Job:
    return Job(
        r.key, r.tenant_id, r.claim_id, r.round, r.status, r.attempts, r.last_error, r.updated_at
    )
