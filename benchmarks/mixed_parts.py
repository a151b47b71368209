"""Per-part figures of a mixed set: each kind of forgery against the genuine cases it must beat.

Usage: ``python benchmarks/mixed_parts.py MANIFEST RESULTS [RESULTS ...]``

``MANIFEST`` is a ``trueclaim bench make-mixed`` manifest and ``RESULTS`` the ``bench run``
output for it (several files are read as one, e.g. runs over split manifests). For each part
it prints the ROC AUC and the TPR at the threshold where at most 1% of the part's own
negatives are flagged, with the bench's own metrics:

- derived forgeries (grocery and camera, every evasion) vs honest photos of the same goods;
- AI-labelled files, screenshots, recaptured screens, each vs ordinary photos + camera files
  (the issue's screen targets: >= 95% and >= 90% at <= 1% false alarms);
- the whole set.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from trueclaim.bench.manifest import BenchCase, load_manifest
from trueclaim.bench.metrics import roc_auc, tpr_at_fpr
from trueclaim.bench.runner import load_results

SCREEN_NEGATIVES = ("camera-file", "ordinary-photo")
DERIVED_KINDS = (
    "listing-damage",
    "listing-unedited",
    "own-photo-damage",
    "photo-damage",
    "photo-unedited",
)
PARTS: tuple[tuple[str, tuple[str, ...], tuple[str, ...] | None], ...] = (
    # name, positive kinds (prefix before "+"), negative kinds (None: every genuine case
    # that has references, i.e. honest photos of the ordered goods)
    (
        "derived forgeries vs honest photos",
        DERIVED_KINDS,
        None,
    ),
    ("AI-labelled vs ordinary photos + camera files", ("ai-labelled",), SCREEN_NEGATIVES),
    ("screenshots vs ordinary photos + camera files", ("screenshot",), SCREEN_NEGATIVES),
    ("recaptures vs ordinary photos + camera files", ("screen-recapture",), SCREEN_NEGATIVES),
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("manifest", type=Path)
    ap.add_argument("results", type=Path, nargs="+")
    args = ap.parse_args(argv)
    cases = load_manifest(args.manifest)
    risk: dict[str, float] = {}
    for path in args.results:
        for row in load_results(path):
            if "error" not in row:
                risk[str(row["id"])] = float(row["risk"])
    missing = [c.id for c in cases if c.id not in risk]
    if missing:
        print(f"{len(missing)} cases have no result (e.g. {missing[0]}); they are left out.")
    print(f"{'part':48s} {'pos/neg':>9s} {'AUC':>6s} {'TPR@1%':>7s} {'threshold':>9s}")
    rows = [(c, risk[c.id]) for c in cases if c.id in risk]
    for name, pos_kinds, neg_kinds in PARTS:
        pos = [r for c, r in rows if c.is_forged and _base(c) in pos_kinds]
        neg = [
            r
            for c, r in rows
            if c.label == "genuine" and (_base(c) in neg_kinds if neg_kinds else bool(c.references))
        ]
        _print(name, pos, neg)
    _print(
        "whole set",
        [r for c, r in rows if c.is_forged],
        [r for c, r in rows if c.label == "genuine"],
    )
    return 0


def _base(case: BenchCase) -> str:
    return case.kind.split("+", 1)[0]


def _print(name: str, pos: list[float], neg: list[float]) -> None:
    if not pos or not neg:
        print(f"{name:48s} {len(pos):4d}/{len(neg):<4d} (a class is empty)")
        return
    labels = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    scores = np.r_[pos, neg]
    op = tpr_at_fpr(labels, scores, 0.01)
    print(
        f"{name:48s} {len(pos):4d}/{len(neg):<4d} {roc_auc(labels, scores):6.3f} "
        f"{op.tpr:7.1%} {op.threshold:9.3f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
