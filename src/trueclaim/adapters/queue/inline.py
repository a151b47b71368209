"""The in-process job queue: a thread pool with retries and backoff.

Also the fake for tests (it ships with the package, as httpx ships ``MockTransport``):
``join()`` waits until every queued job has finished.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from trueclaim.adapters.errors import QueueError

log = logging.getLogger(__name__)
Handler = Callable[[str, str, int, str], object]


class InlineJobQueue:
    """Runs jobs on ``threads`` worker threads; a failed job is retried ``max_retries`` times."""

    def __init__(self, *, threads: int = 2, max_retries: int = 3, backoff_s: float = 1.0) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="trueclaim-job")
        self._handler: Handler | None = None
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()
        self.failures: list[tuple[str, BaseException]] = []

    def bind(self, handler: Handler) -> None:
        """Set the function that runs a verification job (the services are built after us)."""
        self._handler = handler

    def enqueue_verification(self, tenant_id: str, claim_id: str, round: int, job_key: str) -> None:
        if self._handler is None:
            raise QueueError("The in-process queue has no job handler; call bind() when wiring.")
        handler = self._handler
        future = self._pool.submit(self._run, handler, tenant_id, claim_id, round, job_key)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _run(
        self, handler: Handler, tenant_id: str, claim_id: str, round: int, job_key: str
    ) -> None:
        for attempt in range(self._max_retries + 1):
            try:
                handler(tenant_id, claim_id, round, job_key)
                return
            except Exception as exc:
                log.exception("job %s failed (attempt %d)", job_key, attempt + 1)
                if attempt == self._max_retries:
                    self.failures.append((job_key, exc))
                    return
                time.sleep(self._backoff_s * 2**attempt)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def join(self, timeout_s: float = 60.0) -> None:
        """Wait until no job is queued or running."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return
            for f in pending:
                f.result(timeout=max(0.0, deadline - time.monotonic()))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
