"""Connects adapters to the use cases for a ``Settings``: the one composition root that the
API, the worker and the CLI share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from trueclaim.adapters.blobs import LocalBlobStore, S3BlobStore
from trueclaim.adapters.migrations import upgrade
from trueclaim.adapters.queue.inline import InlineJobQueue
from trueclaim.adapters.sql import SqlRepositories, make_engine
from trueclaim.domain.policy import RoutingPolicy
from trueclaim.domain.ports import BlobStore, JobQueue, Verifier
from trueclaim.domain.services.claims import requeue_stalled
from trueclaim.domain.services.context import Services
from trueclaim.domain.services.review import expire_due
from trueclaim.domain.services.verification import run_verification
from trueclaim.forensics import CaseContext, EngineParams, Report, verify
from trueclaim.forensics.params import NO_OCR
from trueclaim.reporting import NamedFile, render_report_html
from trueclaim.settings import Settings


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Runtime:
    """What a shell holds on to: the services and the adapters it must close."""

    settings: Settings
    engine: Engine
    services: Services
    queue: JobQueue

    def close(self) -> None:
        if isinstance(self.queue, InlineJobQueue):
            self.queue.shutdown()
        self.engine.dispose()


def build_runtime(
    settings: Settings, *, queue: JobQueue | None = None, migrate: bool = True
) -> Runtime:
    """Engine (migrated), blob store, queue and services for ``settings``."""
    if settings.effective_database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url, schema=settings.database_schema)
    if migrate:
        upgrade(engine)
    if queue is None:
        queue = _make_queue(settings)
    services = Services(
        repos=SqlRepositories(engine),
        blobs=make_blob_store(settings),
        queue=queue,
        clock=SystemClock(),
        verifier=_make_verifier(settings),
        renderer=_render,
        policy=make_policy(settings),
        buyer_key=settings.secret_key,
        max_appeals=settings.max_appeals,
        job_pause_s=settings.job_pause_s,
    )
    if isinstance(queue, InlineJobQueue):
        queue.bind(lambda t, c, r, k: run_verification(services, t, c, r, k))
    return Runtime(settings, engine, services, queue)


def run_timers_once(services: Services, settings: Settings) -> int:
    """One timer run: expired windows and review SLAs, then claims whose verification job was
    lost (see ``requeue_stalled``). Returns how many claims it acted on."""
    moved = expire_due(services)
    requeued = requeue_stalled(services, older_than=timedelta(seconds=settings.job_stall_s))
    return len(moved) + len(requeued)


def make_blob_store(settings: Settings) -> BlobStore:
    if settings.media_backend == "s3":
        return S3BlobStore.connect(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            prefix=settings.s3_prefix,
        )
    return LocalBlobStore(settings.effective_media_dir)


def make_policy(settings: Settings) -> RoutingPolicy:
    return RoutingPolicy(
        auto_approve_max_risk=settings.auto_approve_max_risk,
        auto_approve_max_amount_minor=settings.auto_approve_max_amount_minor,
        max_recent_claims=settings.max_recent_claims,
        max_confirmed_forgeries=settings.max_confirmed_forgeries,
        merchant_response_window=timedelta(hours=settings.merchant_response_window_h),
        review_sla=timedelta(hours=settings.review_sla_h),
        more_evidence_window=timedelta(hours=settings.more_evidence_window_h),
    )


def _make_queue(settings: Settings) -> JobQueue:
    if settings.queue_backend == "celery":
        from trueclaim.adapters.queue.celery import CeleryJobQueue, make_celery

        return CeleryJobQueue(make_celery(settings))
    return InlineJobQueue(
        threads=settings.worker_threads,
        max_retries=settings.job_max_retries,
        backoff_s=settings.job_retry_backoff_s,
    )


def _make_verifier(settings: Settings) -> Verifier:
    params = EngineParams(detector_options={} if settings.engine_ocr else NO_OCR)

    def _verify(
        evidence: Sequence[bytes], references: Sequence[bytes], context: CaseContext | None
    ) -> Report:
        return verify(evidence, references, context, params=params)

    return _verify


def _render(
    report: Report, evidence: Sequence[tuple[str, bytes]], references: Sequence[tuple[str, bytes]]
) -> str:
    return render_report_html(
        report,
        [NamedFile(n, d) for n, d in evidence],
        [NamedFile(n, d) for n, d in references],
        title="trueclaim claim report",
    )
