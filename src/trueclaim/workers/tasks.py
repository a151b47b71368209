"""Celery tasks: thin shells around the use cases. Idempotent by job key (claim, round,
evidence ids), acknowledged late, retried with exponential backoff.

Start a worker with ``trueclaim worker``; it builds ``Settings`` from the environment.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from trueclaim.adapters.queue.celery import SWEEP_TASK, VERIFY_TASK, make_celery
from trueclaim.domain.services.context import Services
from trueclaim.domain.services.verification import run_verification
from trueclaim.settings import Settings

if TYPE_CHECKING:
    from celery import Celery, Task

    from trueclaim.wiring import Runtime

log = logging.getLogger(__name__)
_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def _services_for(settings: Settings) -> Services:
    """The worker process's services, built once (worker threads share them)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            from trueclaim.adapters.queue.celery import CeleryJobQueue
            from trueclaim.wiring import build_runtime

            _runtime = build_runtime(settings, queue=CeleryJobQueue(make_celery(settings)))
        return _runtime.services


def create_worker_app(settings: Settings) -> Celery:
    """The Celery app with trueclaim's tasks registered."""
    app = make_celery(settings)

    def verify_claim(task: Task, tenant_id: str, claim_id: str, round: int, job_key: str) -> str:
        try:
            return run_verification(_services_for(settings), tenant_id, claim_id, round, job_key)
        except Exception as exc:
            log.exception("verification job %s failed", job_key)
            countdown = settings.job_retry_backoff_s * 2**task.request.retries
            raise task.retry(exc=exc, countdown=countdown) from exc

    def sweep_timers() -> int:
        from trueclaim.wiring import run_timers_once

        return run_timers_once(_services_for(settings), settings)

    # Registered by call rather than as decorators: Celery ships no type information, and an
    # untyped decorator would erase these functions' signatures for mypy.
    app.task(name=VERIFY_TASK, bind=True, acks_late=True, max_retries=settings.job_max_retries)(
        verify_claim
    )
    app.task(name=SWEEP_TASK, acks_late=True)(sweep_timers)
    return app
