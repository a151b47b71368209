"""Start and stop real ``trueclaim worker`` processes for tests (Celery on real Redis)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.service_support import service_unavailable

REDIS_URL = os.environ.get("TRUECLAIM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis at {REDIS_URL}", exc)


_QUEUES: list[str] = []


def unique_queue() -> str:
    """A queue of its own for one test (removed from Redis by the ``workers`` fixture)."""
    name = f"trueclaim-test-{uuid.uuid4().hex[:10]}"
    _QUEUES.append(name)
    return name


def _drop_queues() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    while _QUEUES:
        name = _QUEUES.pop()
        client.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
    client.close()


def worker_env(settings_env: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUECLAIM_")}
    env.update(settings_env)
    return env


class Workers:
    """Worker processes started by one test; each is ended by its own pid at teardown."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, settings_env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"worker-{len(self.procs) + 1}.log").open("wb")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from trueclaim.cli.main import main; main()",
                "worker",
                "--concurrency",
                "1",
            ],
            env=worker_env(settings_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL: the worker gets no chance to acknowledge or requeue anything."""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:] for p in sorted(self.log_dir.glob("worker-*.log"))
        )


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    redis_or_skip()
    w = Workers(tmp_path)
    yield w
    w.stop_all()
    _drop_queues()
