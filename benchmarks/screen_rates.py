"""Per-folder flag rates of the screen detector on the shared development images.

Usage: ``python benchmarks/screen_rates.py [--data ../shared/data] [--verbose]``

Prints, for each folder, how many files the ``screenshot`` (with ``screenshot-of-photo``) and
``screen-recapture`` codes flag at the detector's flag score (severity medium or higher), and
either of them. Positives:
``screens/recaptured``, ``screens/screenshots``; negatives: ``screens/photos``, ``camera``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trueclaim.forensics import screen
from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.types import CaseContext, Severity

FOLDERS = ("screens/recaptured", "screens/screenshots", "screens/photos", "camera")


def _flags(data: bytes) -> tuple[set[str], dict[str, float]] | None:
    item = Item(0, "evidence", data, analysis_max_side=1024)
    if not item.ok:
        return None
    case = Case(evidence=(item,), references=(), context=CaseContext(), cache={})
    findings = screen.detect(case, {})
    codes = {f.code for f in findings if f.severity.rank >= Severity.MEDIUM.rank}
    return codes, {f.code: f.score for f in findings}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
    ap.add_argument("--verbose", action="store_true", help="list every file with its scores")
    args = ap.parse_args(argv)
    print(f"{'folder':22s} {'files':>5s} {'screenshot':>10s} {'recapture':>9s} {'either':>7s}")
    for folder in FOLDERS:
        files = sorted(p for p in (args.data / folder).rglob("*") if p.is_file())
        n = shot = rec = either = 0
        for p in files:
            res = _flags(p.read_bytes())
            if res is None:
                continue
            codes, scores = res
            n += 1
            shot += bool(codes & {"screenshot", "screenshot-of-photo"})
            rec += "screen-recapture" in codes
            either += bool(codes)
            if args.verbose or (folder in ("screens/photos", "camera") and codes):
                print(f"   {p.relative_to(args.data)}: {sorted(codes)} {scores}")
        if n:
            print(f"{folder:22s} {n:5d} {shot / n:10.3f} {rec / n:9.3f} {either / n:7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
