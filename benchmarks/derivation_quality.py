"""Quality of the derivation detector alone on a bench manifest.

Usage: python benchmarks/derivation_quality.py MANIFEST [--out ROWS.jsonl] [--jobs N]
       [--set NAME=VALUE ...]

Runs ``verify`` with only the derivation detector on every case of a ``trueclaim bench make``
manifest and scores it with the bench's own metrics: the case score is the
``derived-from-reference`` finding's score (0 when absent), the mask is the report's
localisation. Prints ROC AUC, TPR at 1% FPR, the share of forged and genuine cases flagged,
mean mask IoU and, per kind, the share flagged and the IoU. The full-engine figures come from
``trueclaim bench run`` / ``score``; this isolates what derivation contributes.

``--jobs`` runs cases in that many processes (one OpenCV thread each). ``--set`` overrides a
module constant of ``trueclaim.forensics.localize`` for the run, e.g. ``--set CORE_LOW_Z=2.0``
(``module:NAME=VALUE`` for another module of ``trueclaim.forensics``); the value is read as a
Python literal. That is how the constants' neighbourhoods in ``docs/benchmark.md`` were
measured: a 300-case set takes about 15 s with two jobs (30 s with one).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import time
from collections import defaultdict
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from trueclaim.bench.manifest import BenchCase, load_manifest
from trueclaim.bench.metrics import mask_iou, roc_auc, tpr_at_fpr
from trueclaim.forensics import EngineParams, verify


def _prepare_process(settings: list[str]) -> None:
    """Once per process: one OpenCV thread, and each ``[module:]NAME=VALUE`` setting applied
    to a ``trueclaim.forensics`` module constant."""
    cv2.setNumThreads(1)
    for setting in settings:
        target, _, text = setting.partition("=")
        module_name, _, name = target.rpartition(":")
        module = importlib.import_module(f"trueclaim.forensics.{module_name or 'localize'}")
        if not hasattr(module, name):
            raise SystemExit(f"--set {setting}: {module.__name__} has no constant {name}")
        setattr(module, name, ast.literal_eval(text))


def _run(case: BenchCase) -> dict[str, Any]:
    evidence = [p.read_bytes() for p in case.evidence]
    references = [p.read_bytes() for p in case.references]
    t0 = time.perf_counter()
    report = verify(
        evidence, references, case.context, params=EngineParams(detectors=("derivation",))
    )
    elapsed = (time.perf_counter() - t0) * 1000.0
    score = max(
        (f.score for f in report.findings if f.code == "derived-from-reference"), default=0.0
    )
    iou = None
    if case.mask is not None:
        truth = np.asarray(Image.open(case.mask).convert("L")) > 127
        iou = mask_iou(truth, report.localization(0))
    return {
        "id": case.id,
        "kind": case.kind,
        "forged": case.is_forged,
        "score": score,
        "codes": list(report.codes),
        "iou": iou,
        "ms": elapsed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="write one JSON row per case")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="[MODULE:]NAME=VALUE",
        help="override a constant of trueclaim.forensics.localize (or MODULE) for this run",
    )
    args = parser.parse_args()
    _prepare_process(args.settings)
    cases = load_manifest(args.manifest)
    if args.jobs > 1:
        with Pool(args.jobs, initializer=_prepare_process, initargs=(args.settings,)) as pool:
            rows = pool.map(_run, cases, chunksize=4)
    else:
        rows = [_run(case) for case in cases]
    labels = [r["forged"] for r in rows]
    scores = [r["score"] for r in rows]
    op = tpr_at_fpr(labels, scores, 0.01)
    forged = [r for r in rows if r["forged"]]
    genuine = [r for r in rows if not r["forged"]]
    ious = [r["iou"] for r in rows if r["iou"] is not None]
    print(f"cases: {len(rows)} ({len(forged)} forged / {len(genuine)} genuine)")
    print(f"ROC AUC {roc_auc(labels, scores):.4f}; TPR at 1% FPR {op.tpr:.4f} (FPR {op.fpr:.4f})")
    print(
        f"flagged: forged {np.mean([r['score'] > 0 for r in forged]):.4f}, "
        f"genuine {np.mean([r['score'] > 0 for r in genuine]):.4f}"
    )
    print(f"mean mask IoU {np.mean(ious) if ious else float('nan'):.4f} over {len(ious)} masks")
    ms = [r["ms"] for r in rows]
    print(f"latency p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms")
    by_kind: dict[str, list[dict[str, object]]] = defaultdict(list)
    for r in rows:
        by_kind[str(r["kind"])].append(r)
    print("| kind | cases | flagged | mean IoU |")
    print("|---|---|---|---|")
    for kind, rs in sorted(by_kind.items()):
        kind_ious = [float(r["iou"]) for r in rs if r["iou"] is not None]  # type: ignore[arg-type]
        flagged = np.mean([float(r["score"]) > 0 for r in rs])  # type: ignore[arg-type]
        iou_text = f"{np.mean(kind_ious):.2f}" if kind_ious else "-"
        print(f"| {kind} | {len(rs)} | {flagged:.2f} | {iou_text} |")
    if args.out is not None:
        with args.out.open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
