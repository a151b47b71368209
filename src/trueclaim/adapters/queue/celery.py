"""Celery on Redis: late acks, one prefetched job per worker, lost workers' jobs redelivered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trueclaim.adapters.errors import QueueError

if TYPE_CHECKING:
    from celery import Celery

    from trueclaim.settings import Settings

VERIFY_TASK = "trueclaim.verify_claim"
SWEEP_TASK = "trueclaim.sweep_timers"


def make_celery(settings: Settings) -> Celery:
    """The Celery app for ``settings`` (tasks are registered by ``trueclaim.workers.tasks``)."""
    from celery import Celery

    app = Celery("trueclaim", broker=settings.redis_url, backend=None)
    app.conf.update(
        task_default_queue=settings.celery_queue,
        task_acks_late=True,  # a job is acknowledged only after it finished
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.celery_visibility_timeout_s,
            "unacked_restore_interval": min(10, settings.celery_visibility_timeout_s),
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
        beat_schedule={"sweep-timers": {"task": SWEEP_TASK, "schedule": settings.timer_interval_s}},
    )
    return app


class CeleryJobQueue:
    """Sends verification jobs to the Celery workers; the job key is the task id."""

    def __init__(self, app: Celery) -> None:
        self._app = app

    def enqueue_verification(self, tenant_id: str, claim_id: str, round: int, job_key: str) -> None:
        try:
            self._app.send_task(
                VERIFY_TASK, args=(tenant_id, claim_id, round, job_key), task_id=job_key
            )
        except Exception as exc:
            raise QueueError(
                f"Cannot send job {job_key} to the broker: {exc}. "
                "Check TRUECLAIM_REDIS_URL and that Redis is running."
            ) from exc
