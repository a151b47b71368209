"""Worker processes for ``bench run``: a time limit per case, and crash isolation.

Each worker is a persistent process (spawned once, reused case after case) that runs one case
at a time, so the parent always knows which case a worker holds. A case over the time limit
has its worker killed and replaced; a worker that dies (a crash in native code, the OOM
killer) has its case run once more in a fresh worker, and reported as failed if that worker
dies too. Nothing here knows what a case is beyond its ``id``.

Test hook: ``TRUECLAIM_BENCH_TEST_CRASH_ID=<case id>`` makes the worker exit abruptly
(``os._exit``) when it starts that case, so tests can check crash isolation. It is refused
when ``TRUECLAIM_ENVIRONMENT=production``.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol, TypeVar

CRASH_HOOK = "TRUECLAIM_BENCH_TEST_CRASH_ID"
# a fresh worker first imports the engine; that time does not count against the case
_STARTUP_GRACE_S = 120.0
_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


C = TypeVar("C", bound=_HasId)


@dataclass(frozen=True)
class Outcome:
    """What became of one case: its ``result``, or why it has none (``failure``)."""

    case: Any
    result: dict[str, Any] | None
    failure: str | None
    elapsed_ms: float | None


def crash_hook_id() -> str | None:
    """The case id of the crash test hook, or None; raises if set in production."""
    value = os.environ.get(CRASH_HOOK) or None
    if value is not None and os.environ.get("TRUECLAIM_ENVIRONMENT") == "production":
        raise RuntimeError(
            f"{CRASH_HOOK} is a test hook and is refused with TRUECLAIM_ENVIRONMENT=production; "
            "unset it."
        )
    return value


def _die_with_parent(parent_pid: int) -> None:
    """On Linux, have the kernel kill this worker when the parent dies (even by SIGKILL).

    Without it a worker stuck in a blocking call (a hung case) would outlive a killed run.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # it died before we asked
        os._exit(1)


def _worker_main(conn: Connection, work: Callable[[Any], dict[str, Any]], parent_pid: int) -> None:
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    crash_id = crash_hook_id()
    while True:
        try:
            case = conn.recv()
        except EOFError:  # the parent is gone
            return
        if case is None:
            return
        conn.send(("start", None))
        if crash_id is not None and case.id == crash_id:
            os._exit(70)
        conn.send(("done", work(case)))


class _Worker:
    def __init__(self, ctx: Any, work: Callable[[Any], dict[str, Any]]) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_worker_main, args=(child, work, os.getpid()), name="trueclaim-bench"
        )
        self.proc.start()
        child.close()
        self.case: Any = None
        self.sent_at = 0.0
        self.started_at: float | None = None
        self.fresh = True

    def give(self, case: Any) -> None:
        self.case, self.sent_at, self.started_at = case, time.monotonic(), None
        with contextlib.suppress(OSError):  # it died while idle: `_check` sees that and requeues
            self.conn.send(case)

    def deadline(self, timeout_s: float) -> float:
        if self.started_at is not None:
            return self.started_at + timeout_s
        return self.sent_at + timeout_s + (_STARTUP_GRACE_S if self.fresh else 0.0)

    def elapsed_ms(self) -> float:
        start = self.started_at if self.started_at is not None else self.sent_at
        return round((time.monotonic() - start) * 1000.0, 2)

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # it may be gone already
            self.conn.send(None)
        self.proc.join(5)
        self.kill()


def run_pooled(
    cases: Sequence[C],
    work: Callable[[C], dict[str, Any]],
    *,
    jobs: int,
    timeout_s: float,
) -> Iterator[Outcome]:
    """Run ``work(case)`` for every case in ``jobs`` workers; yield outcomes as they finish.

    ``timeout_s`` of 0 means no limit. ``work`` must be picklable (a module-level function or
    a ``functools.partial`` of one).
    """
    crash_hook_id()  # refuse the test hook in production before starting anything
    ctx = multiprocessing.get_context("spawn")  # no forked copies of native thread pools
    queue: deque[C] = deque(cases)
    died_once: set[str] = set()
    workers: list[_Worker] = []
    size = max(1, min(jobs, len(cases)))
    try:
        while queue or any(w.case is not None for w in workers):
            for w in workers:
                if w.case is None and queue:
                    w.give(queue.popleft())
            while queue and len(workers) < size:
                workers.append(_Worker(ctx, work))
                workers[-1].give(queue.popleft())
            busy = [w for w in workers if w.case is not None]
            wait_s = None
            if timeout_s > 0:
                wait_s = max(0.0, min(w.deadline(timeout_s) for w in busy) - time.monotonic())
            ready = set(wait([x for w in busy for x in (w.conn, w.proc.sentinel)], wait_s))
            for w in busy:
                outcome = _check(w, ready, timeout_s, died_once, queue)
                if outcome is not None:
                    yield outcome
            workers = [w for w in workers if w.proc.is_alive() or w.case is not None]
    finally:
        for w in workers:
            if w.case is None:
                w.stop()
            else:
                w.kill()


def _check(
    w: _Worker, ready: set[Any], timeout_s: float, died_once: set[str], queue: deque[Any]
) -> Outcome | None:
    """Read what worker ``w`` has to say; an outcome when its case is over."""
    case = w.case
    try:
        while w.conn.poll():
            kind, payload = w.conn.recv()
            if kind == "start":
                w.started_at = time.monotonic()
            else:
                w.case, w.fresh = None, False
                return Outcome(case, payload, None, None)
    except (EOFError, OSError):
        pass  # it died; its sentinel says so below
    if w.proc.sentinel in ready or not w.proc.is_alive():
        w.proc.join(5)
        code = w.proc.exitcode
        w.kill()
        w.case = None
        if case.id not in died_once:  # once more in a fresh worker: it may not be this case's fault
            died_once.add(case.id)
            queue.appendleft(case)
            return None
        return Outcome(
            case,
            None,
            f"the worker process died on this case (exit code {code}; a crash in native code?)",
            None,
        )
    if timeout_s > 0 and time.monotonic() >= w.deadline(timeout_s):
        elapsed = w.elapsed_ms()
        w.kill()
        w.case = None
        return Outcome(case, None, f"timed out after {timeout_s:g} s", elapsed)
    return None
