"""Run every detector over a claim's evidence and turn the findings into one Report."""

from __future__ import annotations

import importlib
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.errors import InvalidParameter
from trueclaim.forensics.params import EngineParams
from trueclaim.forensics.scoring import score_findings
from trueclaim.forensics.types import CaseContext, Finding, Report, Severity
from trueclaim.forensics.version import ENGINE_VERSION

DetectFn = Callable[[Case, Mapping[str, Any]], Sequence[Finding]]


def load_detector(name: str) -> DetectFn:
    """Return the ``detect`` function of the detector module ``name``."""
    module = importlib.import_module(f"trueclaim.forensics.{name}")
    fn: DetectFn = module.detect
    return fn


def verify(
    evidence: Sequence[bytes],
    references: Sequence[bytes] = (),
    context: CaseContext | None = None,
    *,
    params: EngineParams | None = None,
) -> Report:
    """Check a claim's evidence photos against the order's reference photos.

    Parameters
    ----------
    evidence : sequence of bytes
        The buyer's files, as uploaded.
    references : sequence of bytes, optional
        The merchant's listing, packing or earlier photos of the goods.
    context : CaseContext, optional
        Ship and delivery times, product; absent values are neutral.
    params : EngineParams, optional
        Thresholds and detector options; defaults are the calibrated ones.

    Returns
    -------
    Report
        Findings, risk in [0, 1], verdict, per-detector timings.

    Raises
    ------
    InvalidParameter
        If no evidence is given.
    """
    params = params or EngineParams()
    if not evidence:
        raise InvalidParameter("verify needs at least one evidence image; none was given.")
    t_start = time.perf_counter()
    case = Case(
        evidence=tuple(
            Item(i, "evidence", b, analysis_max_side=params.analysis_max_side)
            for i, b in enumerate(evidence)
        ),
        references=tuple(
            Item(i, "reference", b, analysis_max_side=params.analysis_max_side)
            for i, b in enumerate(references)
        ),
        context=context or CaseContext(),
        cache={},
    )
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    for item in (*case.evidence, *case.references):
        # Evidence: the analysis decode. References: a small preview; their analysis decode
        # is left to the detectors that need it (derivation matches only the closest ones).
        _ = item.ok
    timings["decode"] = (time.perf_counter() - t0) * 1000.0

    findings: list[Finding] = list(_unreadable_findings(case))
    for name in params.detectors:
        t0 = time.perf_counter()
        try:
            findings.extend(load_detector(name)(case, params.options_for(name)))
        except Exception as exc:  # a detector bug must not lose the whole claim
            findings.append(_detector_failed(name, exc))
        timings[name] = (time.perf_counter() - t0) * 1000.0

    t0 = time.perf_counter()
    scored = score_findings(
        findings,
        review_threshold=params.review_threshold,
        forgery_threshold=params.forgery_threshold,
    )
    timings["scoring"] = (time.perf_counter() - t0) * 1000.0
    timings["total"] = (time.perf_counter() - t_start) * 1000.0
    ordered = sorted(findings, key=lambda f: (-f.severity.rank, -f.score))
    return Report(
        findings=tuple(ordered),
        risk=scored.risk,
        verdict=scored.verdict,
        engine_version=ENGINE_VERSION,
        timings_ms=timings,
        inputs=tuple(i.summary() for i in (*case.evidence, *case.references)),
        drivers=scored.drivers,
        thresholds={"review": params.review_threshold, "forgery": params.forgery_threshold},
    )


def _unreadable_findings(case: Case) -> list[Finding]:
    out = []
    for item in (*case.evidence, *case.references):
        if item.ok:
            continue
        is_evidence = item.role == "evidence"
        out.append(
            Finding(
                detector="decode",
                code="evidence-unreadable" if is_evidence else "reference-unreadable",
                severity=Severity.MEDIUM if is_evidence else Severity.LOW,
                score=1.0 if is_evidence else 0.5,
                message_en=f"{item.role.capitalize()} file {item.index + 1} cannot be read: "
                f"{item.error}",
                message_zh=f"{'证据' if is_evidence else '参考'}文件 {item.index + 1} 无法读取:"
                f"{item.error}",
                evidence_index=item.index if is_evidence else None,
                reference_index=None if is_evidence else item.index,
                data={"reason": getattr(item.error, "reason", None)},
            )
        )
    return out


def _detector_failed(name: str, exc: Exception) -> Finding:
    return Finding(
        detector=name,
        code="detector-failed",
        severity=Severity.LOW,
        score=0.0,
        message_en=f"The {name} check failed with an internal error ({type(exc).__name__}: "
        f"{exc}); its signals are missing from this report.",
        message_zh=f"{name} 检测出现内部错误({type(exc).__name__}),本报告缺少该项结果。",
        data={"traceback": traceback.format_exc(limit=8)},
    )
