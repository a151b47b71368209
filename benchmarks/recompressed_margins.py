"""Masks of painted damage saved as JPEG, with and without the file's own coding.

Usage: python benchmarks/recompressed_margins.py [--data ../shared/data] [--corr 0.8 ...]

Paints damage into grocery listing photos with the bench's own forger
(``bench.forge.paint_damage``: shatter, crack, tear, stain and burn, each with and without a
regenerated margin), saves each as a JPEG (quality 80, 85 or 90) and runs ``verify`` with only
the derivation detector against the listing. Prints the mean mask IoU of unregenerated and
regenerated edits when the localiser does not know the evidence's JPEG coding (as before round
21) and when it does, for each ``--corr`` value of ``localize.RECODED_CORR``. Needs the shared
data (``grocery/*/listing``).

Round 21 (8 listings x 6 seeds x 2 = 96 forgeries): unregenerated 0.687 without the coding,
0.745 / 0.735 / 0.717 with it at 0.8 / 0.85 / 0.9; regenerated 0.737, then 0.732 / 0.738 /
0.738.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from trueclaim.bench.forge import paint_damage
from trueclaim.bench.metrics import mask_iou
from trueclaim.forensics import EngineParams, derivation, localize, verify
from trueclaim.forensics.decode import decode_image

PRODUCTS = ("Zucchini", "Garlic", "Anjou", "Lemon", "Carrots", "Red-Beet", "Mango", "Orange")
DAMAGES = ("shatter", "crack", "tear", "shatter", "stain", "burn")
ONLY = EngineParams(detectors=("derivation",))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
    parser.add_argument("--corr", type=float, nargs="+", default=[localize.RECODED_CORR])
    args = parser.parse_args()
    cv2.setNumThreads(1)
    own_grid_coding = derivation._own_grid_coding
    rows: dict[bool, list[list[float]]] = {False: [], True: []}
    for product in PRODUCTS:
        listing_path = next((args.data / "grocery" / product / "listing").glob("*.jpg"), None)
        if listing_path is None:
            raise SystemExit(f"no listing photo for {product} under {args.data / 'grocery'}")
        listing = listing_path.read_bytes()
        pixels = decode_image(listing).pixels
        for regenerate in (False, True):
            for seed, damage in enumerate(DAMAGES):
                painted = paint_damage(
                    pixels, np.random.default_rng(seed), damage=damage, regenerate=regenerate
                )
                buf = io.BytesIO()
                Image.fromarray(painted.image).save(buf, format="JPEG", quality=80 + 5 * (seed % 3))
                evidence = buf.getvalue()
                row = []
                derivation._own_grid_coding = lambda item: None  # type: ignore[assignment]
                row.append(
                    mask_iou(
                        painted.mask, verify([evidence], [listing], params=ONLY).localization(0)
                    )
                )
                derivation._own_grid_coding = own_grid_coding  # type: ignore[assignment]
                for corr in args.corr:
                    localize.RECODED_CORR = corr
                    report = verify([evidence], [listing], params=ONLY)
                    row.append(mask_iou(painted.mask, report.localization(0)))
                rows[regenerate].append(row)
    print(
        "| edits | cases | without the coding | "
        + " | ".join(f"corr {c}" for c in args.corr)
        + " |"
    )
    print("|---|---|---|" + "---|" * len(args.corr))
    for regenerate, found in rows.items():
        means = np.mean(np.array(found), axis=0)
        name = "regenerated" if regenerate else "unregenerated"
        print(f"| {name} | {len(found)} | " + " | ".join(f"{m:.3f}" for m in means) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
