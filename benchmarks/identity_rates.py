"""How often the identity detector matches or rejects grocery photos against listing photos.

Usage: ``python benchmarks/identity_rates.py [--data ../shared/data] [--step 2] [--others 8]``

For each product: its listing photo is the reference; its own shop photos (every ``step``-th)
are genuine evidence, which must never get ``not-the-ordered-product``; ``others`` photos of
other products (seeded choice) are evidence that should.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

from trueclaim.forensics import identity
from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.types import CaseContext


def _codes(listing: Path, photos: list[Path]) -> list[set[str]]:
    case = Case(
        evidence=tuple(
            Item(i, "evidence", p.read_bytes(), analysis_max_side=1024)
            for i, p in enumerate(photos)
        ),
        references=(Item(0, "reference", listing.read_bytes(), analysis_max_side=1024),),
        context=CaseContext(),
        cache={},
    )
    out: list[set[str]] = [set() for _ in photos]
    for f in identity.detect(case, {}):
        if f.evidence_index is not None:
            out[f.evidence_index].add(f.code)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
    ap.add_argument("--step", type=int, default=2)
    ap.add_argument("--others", type=int, default=8)
    ap.add_argument("--seed", type=int, default=2)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    products = sorted(p for p in (args.data / "grocery").iterdir() if p.is_dir())
    same: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for product in products:
        listing = sorted((product / "listing").iterdir())[0]
        own = sorted((product / "photos").iterdir())[:: args.step]
        picks = rng.sample([p for p in products if p != product], args.others)
        foreign = [rng.choice(sorted((p / "photos").iterdir())) for p in picks]
        for counter, photos in ((same, own), (other, foreign)):
            for codes in _codes(listing, photos):
                counter["n"] += 1
                for c in codes:
                    counter[c] += 1
    for name, c in (("same product", same), ("other product", other)):
        n = c.pop("n")
        rates = {k: f"{v}/{n} ({v / n:.1%})" for k, v in sorted(c.items())}
        print(f"{name}: {n} photos; {rates}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
