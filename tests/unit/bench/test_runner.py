"""Resuming a run: which cases are still to do, torn lines, retried errors, mask names."""

from __future__ import annotations

import json
from pathlib import Path

from trueclaim.bench.manifest import BenchCase
from trueclaim.bench.runner import load_results, mask_relpath, pending_cases
from trueclaim.forensics import CaseContext


def _cases(*ids: str) -> list[BenchCase]:
    return [
        BenchCase(i, (Path("x.jpg"),), (), "forged", "k", None, CaseContext(), n + 1)
        for n, i in enumerate(ids)
    ]


def test_done_ids_are_skipped_and_a_torn_last_line_is_dropped(tmp_path: Path) -> None:
    results = tmp_path / "r.jsonl"
    results.write_text(json.dumps({"id": "a", "risk": 0.5}) + "\n" + '{"id": "b", "ri', "utf-8")
    todo = pending_cases(_cases("a", "b", "c"), results)
    assert [c.id for c in todo] == ["b", "c"]
    assert results.read_text("utf-8").endswith("\n")  # safe to append to
    assert [r["id"] for r in load_results(results)] == ["a"]


def test_retry_errors_runs_failed_cases_again(tmp_path: Path) -> None:
    results = tmp_path / "r.jsonl"
    results.write_text(
        json.dumps({"id": "a", "risk": 0.5})
        + "\n"
        + json.dumps({"id": "b", "risk": None, "error": "x"})
        + "\n"
    )
    assert [c.id for c in pending_cases(_cases("a", "b"), results)] == []
    assert [c.id for c in pending_cases(_cases("a", "b"), results, retry_errors=True)] == ["b"]
    assert [r["id"] for r in load_results(results)] == ["a"]


def test_mask_paths() -> None:
    assert mask_relpath("banana-f03") == "masks/banana-f03.png"
    odd = mask_relpath("a/b c")
    assert odd.startswith("masks/a_b_c-") and odd.endswith(".png") and odd != mask_relpath("a/b_c")
