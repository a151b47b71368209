"""Join a manifest with a results file and compute the benchmark's figures.

Detection figures use forged vs genuine cases that ran without error; ``unlabeled`` cases
are left out. Mask IoU is over cases whose manifest has a mask (a case without a predicted
mask, or that failed, counts 0). Latency is over cases that ran.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from trueclaim.bench.manifest import BenchCase
from trueclaim.bench.metrics import (
    MetricError,
    RocCurve,
    mask_iou,
    percentile,
    roc_auc,
    roc_curve,
    tpr_at_fpr,
)
from trueclaim.forensics.types import Mask


@dataclass(frozen=True, slots=True)
class KindFigure:
    """How often one kind of case is flagged at the 1%-FPR threshold."""

    kind: str
    label: str
    cases: int
    flagged: int
    mean_risk: float
    auc_vs_genuine: float | None = None  # this forged kind against every genuine case

    @property
    def share_flagged(self) -> float:
        return self.flagged / self.cases if self.cases else math.nan


@dataclass(frozen=True, slots=True)
class BenchSummary:
    """Every figure ``bench score`` prints."""

    cases: int
    forged: int
    genuine: int
    unlabeled: int
    errors: int
    missing: int
    auc: float | None
    tpr_at_1pct: float | None
    threshold_1pct: float | None
    tpr_at_0_1pct: float | None
    threshold_0_1pct: float | None
    by_kind: tuple[KindFigure, ...]
    mask_cases: int
    mean_mask_iou: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    engine_versions: tuple[str, ...]
    stage_latency_ms: dict[str, tuple[float, float]] = field(default_factory=dict)  # p50, p95
    roc: RocCurve | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else round(float(v), 6)

        kind_labels = Counter(k.kind for k in self.by_kind)
        return {
            "cases": self.cases,
            "forged": self.forged,
            "genuine": self.genuine,
            "unlabeled": self.unlabeled,
            "errors": self.errors,
            "missing": self.missing,
            "roc_auc": num(self.auc),
            "tpr_at_fpr_1pct": num(self.tpr_at_1pct),
            "threshold_fpr_1pct": num(self.threshold_1pct),
            "tpr_at_fpr_0_1pct": num(self.tpr_at_0_1pct),
            "threshold_fpr_0_1pct": num(self.threshold_0_1pct),
            "flagged_by_kind": {
                (k.kind if kind_labels[k.kind] == 1 else f"{k.kind} ({k.label})"): {
                    "label": k.label,
                    "cases": k.cases,
                    "flagged": k.flagged,
                    "share_flagged": num(k.share_flagged),
                    "mean_risk": num(k.mean_risk),
                    "auc_vs_genuine": num(k.auc_vs_genuine),
                }
                for k in self.by_kind
            },
            "mask_cases": self.mask_cases,
            "mean_mask_iou": num(self.mean_mask_iou),
            "latency_p50_ms": num(self.latency_p50_ms),
            "latency_p95_ms": num(self.latency_p95_ms),
            "engine_versions": list(self.engine_versions),
            "stage_latency_ms": {
                k: {"p50": num(v[0]), "p95": num(v[1])} for k, v in self.stage_latency_ms.items()
            },
            "notes": list(self.notes),
        }


def summarize(
    cases: Sequence[BenchCase], results: Sequence[dict[str, Any]], results_dir: Path
) -> BenchSummary:
    """Compute the figures for ``cases`` from ``results`` (masks relative to ``results_dir``)."""
    by_id = {str(r["id"]): r for r in results}
    notes: list[str] = []
    ran = [(c, by_id[c.id]) for c in cases if c.id in by_id and by_id[c.id].get("risk") is not None]
    errors = sum(1 for c in cases if c.id in by_id and by_id[c.id].get("risk") is None)
    missing = sum(1 for c in cases if c.id not in by_id)
    if errors:
        notes.append(f"{errors} case(s) failed and are left out of detection figures.")
    if missing:
        notes.append(f"{missing} case(s) have no result yet; run `trueclaim bench run` again.")

    labelled = [(c, r) for c, r in ran if c.label in ("forged", "genuine")]
    y = np.array([c.is_forged for c, _ in labelled], dtype=bool)
    s = np.array([float(r["risk"]) for _, r in labelled], dtype=np.float64)
    auc = t1 = th1 = t01 = th01 = None
    roc = None
    threshold = math.inf
    try:
        auc = roc_auc(y, s)
        roc = roc_curve(y, s)
        p1 = tpr_at_fpr(y, s, 0.01)
        p01 = tpr_at_fpr(y, s, 0.001)
        t1, th1, t01, th01 = p1.tpr, p1.threshold, p01.tpr, p01.threshold
        threshold = p1.threshold
    except MetricError as exc:
        notes.append(f"no detection figures: {exc}")

    by_kind = group_figures(
        [(c.kind, c.label, float(r["risk"])) for c, r in ran],
        threshold,
        [float(r["risk"]) for c, r in ran if c.label == "genuine"],
    )

    ious = []
    for c in cases:
        if c.mask is None:
            continue
        truth = read_mask(c.mask)
        result = by_id.get(c.id)
        pred = None
        if result is not None and result.get("mask"):
            pred = read_mask(results_dir / str(result["mask"]))
        ious.append(mask_iou(truth, pred))

    latencies = [float(r["elapsed_ms"]) for _, r in ran if r.get("elapsed_ms") is not None]
    stages: dict[str, list[float]] = defaultdict(list)
    for _, r in ran:
        for stage, ms in (r.get("timings_ms") or {}).items():
            if isinstance(ms, (int, float)):
                stages[str(stage)].append(float(ms))
    versions = sorted({str(r["engine_version"]) for _, r in ran if r.get("engine_version")})
    return BenchSummary(
        cases=len(cases),
        forged=sum(1 for c in cases if c.label == "forged"),
        genuine=sum(1 for c in cases if c.label == "genuine"),
        unlabeled=sum(1 for c in cases if c.label == "unlabeled"),
        errors=errors,
        missing=missing,
        auc=auc,
        tpr_at_1pct=t1,
        threshold_1pct=th1,
        tpr_at_0_1pct=t01,
        threshold_0_1pct=th01,
        by_kind=by_kind,
        mask_cases=len(ious),
        mean_mask_iou=float(np.mean(ious)) if ious else None,
        latency_p50_ms=percentile(latencies, 50) if latencies else None,
        latency_p95_ms=percentile(latencies, 95) if latencies else None,
        engine_versions=tuple(versions),
        stage_latency_ms={k: (percentile(v, 50), percentile(v, 95)) for k, v in stages.items()},
        roc=roc,
        notes=tuple(notes),
    )


def group_figures(
    rows: Sequence[tuple[str, str, float]], threshold: float, genuine_risks: Sequence[float]
) -> tuple[KindFigure, ...]:
    """Share flagged at ``threshold`` per (group, label) of ``(group, label, risk)`` rows."""
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for group, label, risk in rows:
        groups[(group, label)].append(risk)
    return tuple(
        KindFigure(
            kind=kind,
            label=label,
            cases=len(risks),
            flagged=sum(1 for v in risks if v >= threshold),
            mean_risk=float(np.mean(risks)),
            auc_vs_genuine=_kind_auc(risks, list(genuine_risks)) if label == "forged" else None,
        )
        for (kind, label), risks in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    )


def damage_figures(
    cases: Sequence[BenchCase],
    results: Sequence[dict[str, Any]],
    summary: BenchSummary,
    generation: Path,
) -> tuple[KindFigure, ...]:
    """Share flagged per damage painted, from the ``generation.jsonl`` that ``make`` wrote."""
    damage: dict[str, str] = {}
    for raw in generation.read_text(encoding="utf-8").splitlines():
        try:
            detail = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(detail, dict) and detail.get("damage"):
            damage[str(detail["id"])] = str(detail["damage"])
    by_id = {str(r["id"]): r for r in results if r.get("risk") is not None}
    ran = [(c, float(by_id[c.id]["risk"])) for c in cases if c.id in by_id]
    threshold = summary.threshold_1pct if summary.threshold_1pct is not None else math.inf
    return group_figures(
        [(damage[c.id], c.label, risk) for c, risk in ran if c.id in damage],
        threshold,
        [risk for c, risk in ran if c.label == "genuine"],
    )


def _kind_auc(forged: list[float], genuine: list[float]) -> float | None:
    if not forged or not genuine:
        return None
    return roc_auc([True] * len(forged) + [False] * len(genuine), forged + genuine)


def read_mask(path: Path) -> Mask:
    """A mask PNG as booleans (white, i.e. > 127 in grey, = marked)."""
    with Image.open(path) as im:
        if im.mode in ("RGBA", "LA", "PA"):
            rgba = im.convert("RGBA")
            grey = np.asarray(rgba.convert("L"), dtype=np.uint8)
            alpha = np.asarray(rgba.getchannel("A"), dtype=np.uint8)
            return (grey > 127) & (alpha > 127)
        return np.asarray(im.convert("L"), dtype=np.uint8) > 127
