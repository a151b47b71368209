"""Run the engine over a manifest and append one JSON line per case to a results file.

A results line is ``{"id", "risk", "verdict", "codes", "mask", "elapsed_ms"}`` plus the extra
keys ``findings`` (code, score, severity, detector), ``timings_ms`` and ``engine_version``; a
case that fails, runs over the time limit or crashes its worker process has ``"error"`` with the
reason and null risk. ``mask`` is the engine's localisation of the first evidence image,
written as ``masks/<id>.png`` beside the results.
Runs resume: ids already in the results file are skipped.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from trueclaim.bench.manifest import BenchCase
from trueclaim.bench.pool import run_pooled
from trueclaim.forensics import EngineParams, verify
from trueclaim.forensics.types import mask_to_png

Result = dict[str, Any]

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]+")


def mask_relpath(case_id: str) -> str:
    """Where a case's predicted mask goes, relative to the results file."""
    if _SAFE_ID.fullmatch(case_id) and not case_id.startswith("."):
        return f"masks/{case_id}.png"
    digest = hashlib.sha1(case_id.encode("utf-8")).hexdigest()[:10]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", case_id).strip("._")[:80] or "case"
    return f"masks/{stem}-{digest}.png"


def run_case(case: BenchCase, results_dir: Path, params: EngineParams | None = None) -> Result:
    """Run the engine on one case; never raises for a case-level failure."""
    t0 = time.perf_counter()
    try:
        evidence = [_read(p, "evidence") for p in case.evidence]
        references = [_read(p, "reference") for p in case.references]
        t0 = time.perf_counter()
        report = verify(evidence, references, case.context, params=params)
        elapsed_ms = (time.perf_counter() - t0) * 1000.0
        mask_rel: str | None = None
        localization = report.localization(0)
        if localization is not None:
            mask_rel = mask_relpath(case.id)
            target = results_dir / mask_rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(mask_to_png(localization))
        return {
            "id": case.id,
            "risk": round(float(report.risk), 6),
            "verdict": report.verdict.value,
            "codes": list(report.codes),
            "mask": mask_rel,
            "elapsed_ms": round(elapsed_ms, 2),
            "findings": [
                {
                    "code": f.code,
                    "score": round(float(f.score), 4),
                    "severity": f.severity.value,
                    "detector": f.detector,
                    "evidence_index": f.evidence_index,
                }
                for f in report.findings
            ],
            "timings_ms": {k: round(v, 2) for k, v in report.timings_ms.items()},
            "engine_version": report.engine_version,
        }
    except Exception as exc:  # one bad case must not stop a run of thousands
        return {
            "id": case.id,
            "risk": None,
            "verdict": None,
            "codes": [],
            "mask": None,
            "elapsed_ms": round((time.perf_counter() - t0) * 1000.0, 2),
            "error": f"{type(exc).__name__}: {exc}",
        }


def _read(path: Path, role: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{role} file {path} does not exist") from exc


def load_results(path: Path) -> list[Result]:
    """Every well-formed line of a results file (a torn last line is dropped)."""
    if not path.exists():
        return []
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "id" in obj:
            out.append(obj)
    return out


def _prepare_results(path: Path, retry_errors: bool) -> set[str]:
    """Ids already done; rewrites the file if it holds torn lines or retried errors."""
    if not path.exists():
        return set()
    raw_lines = [r for r in path.read_text(encoding="utf-8").splitlines() if r.strip()]
    kept = load_results(path)
    if retry_errors:
        kept = [r for r in kept if "error" not in r]
    if len(kept) != len(raw_lines) or (raw_lines and not path.read_bytes().endswith(b"\n")):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), "utf-8")
        tmp.replace(path)
    return {str(r["id"]) for r in kept}


def pending_cases(
    cases: Sequence[BenchCase], results_path: Path, *, retry_errors: bool = False
) -> list[BenchCase]:
    """The cases of a manifest that a results file does not hold yet."""
    done = _prepare_results(results_path, retry_errors)
    return [c for c in cases if c.id not in done]


DEFAULT_CASE_TIMEOUT_S = 120.0


def run_cases(
    cases: Sequence[BenchCase],
    results_path: Path,
    *,
    jobs: int = 1,
    params: EngineParams | None = None,
    on_result: Callable[[Result], None] | None = None,
    case_timeout_s: float = DEFAULT_CASE_TIMEOUT_S,
) -> list[Result]:
    """Run ``cases`` and append each result to ``results_path`` as it finishes.

    Cases run in ``jobs`` worker processes (see ``bench.pool``): a case that takes longer than
    ``case_timeout_s`` gets ``"error": "timed out after N s"``, a case whose worker dies gets an
    error naming that, and the run goes on. With ``case_timeout_s=0`` (no limit) and one job,
    cases run in this process.
    """
    if case_timeout_s < 0:
        raise ValueError(f"case_timeout_s must be >= 0 (0 = no limit), not {case_timeout_s}")
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_dir = results_path.resolve().parent
    out: list[Result] = []
    with results_path.open("a", encoding="utf-8") as fh:
        for result in _results(cases, results_dir, jobs, params, case_timeout_s):
            fh.write(json.dumps(result, ensure_ascii=False) + "\n")
            fh.flush()
            out.append(result)
            if on_result is not None:
                on_result(result)
    return out


def _results(
    cases: Sequence[BenchCase],
    results_dir: Path,
    jobs: int,
    params: EngineParams | None,
    timeout_s: float,
) -> Iterator[Result]:
    if timeout_s == 0 and (jobs <= 1 or len(cases) <= 1):
        for case in cases:
            yield run_case(case, results_dir, params)
        return
    work = functools.partial(run_case, results_dir=results_dir, params=params)
    for outcome in run_pooled(cases, work, jobs=jobs, timeout_s=timeout_s):
        if outcome.result is not None:
            yield outcome.result
        else:
            yield {
                "id": outcome.case.id,
                "risk": None,
                "verdict": None,
                "codes": [],
                "mask": None,
                "elapsed_ms": outcome.elapsed_ms,
                "error": outcome.failure,
            }
