"""``trueclaim serve`` with zero configuration: prints the URL and a first admin key, serves."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_prints_url_and_admin_key_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUECLAIM_")}
    env["TRUECLAIM_PORT"] = str(port)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from trueclaim.cli.main import main; main()", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        key = None
        while key is None and time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line and proc.poll() is not None:
                break
            lines.append(line)
            found = re.search(r"(tc_[A-Za-z0-9_\-]+)", line)
            key = found.group(1) if found else None
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}" in output, output
        assert key, output
        body = None
        while time.monotonic() < deadline:
            try:
                r = httpx.get(
                    f"http://127.0.0.1:{port}/v1/tenant", headers={"X-API-Key": key}, timeout=2
                )
                body = r.json()
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert body is not None and body["is_operator"] is True
        assert (tmp_path / "trueclaim-data" / "trueclaim.db").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout:
            proc.stdout.close()


def test_a_failed_timer_run_does_not_stop_the_timers(caplog) -> None:
    import threading

    from trueclaim.cli.commands.serve import run_timers

    stop = threading.Event()
    calls: list[int] = []

    def sweep() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database briefly unreachable")
        stop.set()

    run_timers(stop, 0.001, sweep)
    assert len(calls) == 2
    assert "timer run failed" in caplog.text
