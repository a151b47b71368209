"""False alarms of the tamper detector on honest photos of the shared development images.

Usage: ``python benchmarks/tamper_false_alarms.py [--data ../shared/data] [--grocery-step 5]``

Counts, per folder, the findings per code and severity, and the files flagged above
needs-review (a finding of severity medium or higher with score >= 0.5). Every file in these
folders is an honest photo (or a test graphic), so every flagged file is a false alarm.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from trueclaim.forensics import tamper
from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.types import CaseContext, Severity


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
    ap.add_argument("--grocery-step", type=int, default=5, help="use every n-th grocery photo")
    args = ap.parse_args(argv)
    for folder in ("camera", "screens/photos", "grocery"):
        files = sorted(p for p in (args.data / folder).rglob("*") if p.is_file())
        if folder == "grocery":
            files = [p for p in files if p.parent.name == "photos"][:: args.grocery_step]
        codes: Counter[str] = Counter()
        flagged: list[str] = []
        n = 0
        t0 = time.perf_counter()
        for p in files:
            item = Item(0, "evidence", p.read_bytes(), analysis_max_side=1024)
            if not item.ok:
                continue
            n += 1
            case = Case(evidence=(item,), references=(), context=CaseContext(), cache={})
            hit = False
            for f in tamper.detect(case, {}):
                codes[f"{f.code}:{f.severity.value}"] += 1
                hit |= f.severity.rank >= Severity.MEDIUM.rank and f.score >= 0.5
            if hit:
                flagged.append(str(p.relative_to(args.data)))
        ms = (time.perf_counter() - t0) / max(n, 1) * 1000
        print(
            f"{folder}: {n} files, flagged above needs-review {len(flagged)} "
            f"({len(flagged) / max(n, 1):.1%}), "
            f"{ms:.0f} ms/file"
        )
        print(f"   findings: {dict(sorted(codes.items()))}")
        for name in flagged:
            print(f"   flagged: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
