"""`bench run` survives a case that hangs (time limit) and a worker process that dies."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import encode
from trueclaim.bench.manifest import BenchCase
from trueclaim.bench.pool import CRASH_HOOK, crash_hook_id
from trueclaim.bench.runner import load_results, pending_cases, run_cases
from trueclaim.forensics import CaseContext

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")


@pytest.fixture(scope="module")
def image_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    rgb = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
    path = tmp_path_factory.mktemp("img") / "ok.jpg"
    path.write_bytes(encode(rgb, "JPEG"))
    return path


def _case(case_id: str, evidence: Path, line: int) -> BenchCase:
    return BenchCase(case_id, (evidence,), (), "genuine", "k", None, CaseContext(), line)


def _ok_result(r: dict[str, object]) -> bool:
    return "error" not in r and isinstance(r["risk"], float) and r["verdict"] is not None


def test_a_hanging_case_times_out_and_the_run_goes_on(tmp_path: Path, image_file: Path) -> None:
    fifo = tmp_path / "never.jpg"
    os.mkfifo(fifo)  # opening it for reading blocks until a writer comes: none ever does
    cases = [_case("a", image_file, 1), _case("hang", fifo, 2), _case("b", image_file, 3)]
    results_path = tmp_path / "out" / "results.jsonl"

    # Long enough for an ordinary case on a loaded machine (1.5 s was not, beside a bench run).
    out = run_cases(cases, results_path, jobs=1, case_timeout_s=4.0)

    by_id = {r["id"]: r for r in out}
    assert sorted(by_id) == ["a", "b", "hang"]
    assert by_id["hang"]["error"] == "timed out after 4 s"
    assert by_id["hang"]["risk"] is None and by_id["hang"]["mask"] is None
    assert _ok_result(by_id["a"]) and _ok_result(by_id["b"])
    assert set(by_id["a"]) >= {"id", "risk", "verdict", "codes", "mask", "elapsed_ms"}
    # the file holds the same lines, and a rerun has nothing left to do
    assert {r["id"] for r in load_results(results_path)} == {"a", "b", "hang"}
    assert pending_cases(cases, results_path) == []


def test_a_worker_that_dies_fails_only_its_case(
    tmp_path: Path, image_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CRASH_HOOK, "boom")
    monkeypatch.delenv("TRUECLAIM_ENVIRONMENT", raising=False)
    cases = [_case(i, image_file, n) for n, i in enumerate(("a", "boom", "b", "c"), 1)]

    out = run_cases(cases, tmp_path / "results.jsonl", jobs=2, case_timeout_s=60)

    by_id = {r["id"]: r for r in out}
    assert len(out) == 4 and sorted(by_id) == ["a", "b", "boom", "c"]
    assert "worker process died" in str(by_id["boom"]["error"])
    assert by_id["boom"]["risk"] is None
    assert all(_ok_result(by_id[i]) for i in ("a", "b", "c"))


def test_the_crash_hook_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CRASH_HOOK, "boom")
    monkeypatch.setenv("TRUECLAIM_ENVIRONMENT", "production")
    with pytest.raises(RuntimeError, match="test hook"):
        crash_hook_id()


def test_a_negative_time_limit_is_refused(tmp_path: Path, image_file: Path) -> None:
    with pytest.raises(ValueError, match="case_timeout_s"):
        run_cases([_case("a", image_file, 1)], tmp_path / "r.jsonl", case_timeout_s=-1)
