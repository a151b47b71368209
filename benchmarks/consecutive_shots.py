"""Consecutive shop photos of one product: how many read as a copy of the other?

Usage: python benchmarks/consecutive_shots.py [--jobs N] [--out ROWS.json]

Each grocery product folder (``../shared/data/grocery/*/photos``) holds a run of phone photos
taken a moment apart: the same shelf, the product turned or moved in the hand. Each photo is
checked against the next one as its only reference, with only the derivation detector, twice:
as shipped, and with the moved-object rule off (``matching.MOVED_MIN_SHIFT`` = 1.0, so no
object counts as moved). Every such pair is genuine (no photo was made from the other), so
every pair reported as derived is a false alarm; the script prints both counts and the pairs
the rule clears or still misses.

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

from trueclaim.forensics import EngineParams, matching, verify

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
    shipped = matching.MOVED_MIN_SHIFT
    with_rule = _derived_score(evidence, reference)
    matching.MOVED_MIN_SHIFT = 1.0
    try:
        without_rule = _derived_score(evidence, reference)
    finally:
        matching.MOVED_MIN_SHIFT = shipped
    return {"evidence": pair[0], "reference": pair[1], "score": with_rule, "without": without_rule}


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
    derived = [r for r in rows if r["score"] > 0]
    before = [r for r in rows if r["without"] > 0]
    print(f"{len(rows)} consecutive pairs in {root}")
    print(f"reported as derived: {len(derived)} (without the moved-object rule: {len(before)})")
    for r in rows:
        if r["without"] > 0:
            state = "cleared" if r["score"] == 0 else f"still derived ({r['score']:.2f})"
            print(f"  {Path(r['evidence']).name} vs {Path(r['reference']).name}: {state}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
