"""Consecutive shop photos of one product: how many read as a copy of the other?

Usage: python benchmarks/consecutive_shots.py [--jobs N] [--out ROWS.json]

Each grocery product folder (``../shared/data/grocery/*/photos``) holds a run of phone photos
taken a moment apart: the same shelf, the product turned or moved in the hand, the camera a
step closer or aside. Each photo is checked against the next one as its only reference, with
only the derivation detector, three times: as shipped, with the moved-object rule off
(``matching.MOVED_MIN_SHIFT`` = 1.0, so no object counts as moved) and with the
beyond-the-frame rule off (``derivation.BEYOND_MIN_SHARE`` = 2.0, so no evidence counts as
showing more of the scene than the reference). Every such pair is genuine (no photo was made
from the other), so every pair reported as derived is a false alarm; the script prints the
three counts and, for every pair either rule clears, which one does.

The shared data is looked up beside the checkout, or where ``TRUECLAIM_SHARED_DATA`` says.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import cv2

from trueclaim.forensics import EngineParams, derivation, matching, verify

SHARED = Path(
    os.environ.get(
        "TRUECLAIM_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
)
ONLY = EngineParams(detectors=("derivation",))


def _derived_score(evidence: bytes, reference: bytes) -> float:
    report = verify([evidence], [reference], params=ONLY)
    scores = [f.score for f in report.findings if f.code == "derived-from-reference"]
    return max(scores, default=0.0)


def _run(pair: tuple[str, str]) -> dict[str, Any]:
    cv2.setNumThreads(1)
    evidence, reference = (Path(p).read_bytes() for p in pair)
    row: dict[str, Any] = {"evidence": pair[0], "reference": pair[1]}
    row["score"] = _derived_score(evidence, reference)
    for key, module, name, off in (
        ("without_moved", matching, "MOVED_MIN_SHIFT", 1.0),
        ("without_beyond", derivation, "BEYOND_MIN_SHARE", 2.0),
    ):
        shipped = getattr(module, name)
        setattr(module, name, off)
        try:
            row[key] = _derived_score(evidence, reference)
        finally:
            setattr(module, name, shipped)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="write every pair's scores")
    args = parser.parse_args()
    root = SHARED / "grocery"
    if not root.is_dir():
        raise SystemExit(f"no grocery photos at {root}: set TRUECLAIM_SHARED_DATA")
    pairs = []
    for product in sorted(p for p in root.iterdir() if (p / "photos").is_dir()):
        photos = sorted(str(p) for p in (product / "photos").glob("*.jpg"))
        pairs += list(itertools.pairwise(photos))
    with Pool(args.jobs) as pool:
        rows = pool.map(_run, pairs, chunksize=8)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    derived = sum(r["score"] > 0 for r in rows)
    print(f"{len(rows)} consecutive pairs in {root}")
    print(
        f"reported as derived: {derived} (without the moved-object rule: "
        f"{sum(r['without_moved'] > 0 for r in rows)}; without the beyond-the-frame rule: "
        f"{sum(r['without_beyond'] > 0 for r in rows)})"
    )
    for r in rows:
        cleared_by = [
            name
            for key, name in (("without_moved", "moved object"), ("without_beyond", "beyond"))
            if r[key] > 0 and r["score"] == 0
        ]
        if cleared_by or r["score"] > 0:
            state = f"still derived ({r['score']:.2f})" if r["score"] > 0 else "cleared"
            rules = f" by {' and '.join(cleared_by)}" if cleared_by else ""
            print(f"  {Path(r['evidence']).name} vs {Path(r['reference']).name}: {state}{rules}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
