"""Per-image cost of the label checks: metadata parse, dwtDct decode, edge-band OCR.

Usage: python benchmarks/label_costs.py [FOLDER ...]
(default: ../shared/data/camera, ../shared/data/ai/generators, ../shared/data/screens/photos).
Prints, per folder, the median / 95th percentile / max milliseconds of each step and the
median image size. The full-resolution decode is timed separately (it is shared with other
detectors). Single-threaded timings on whatever machine runs it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.dwtdct import decode_all
from trueclaim.forensics.errors import ForensicsError
from trueclaim.forensics.metadata import read_metadata
from trueclaim.forensics.visible_marks import ocr_engine, read_edge_marks


def _ms(fn, *args):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn(*args)
    return (time.perf_counter() - t0) * 1000.0, out


def main(argv: list[str]) -> int:
    shared = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    folders = [Path(a) for a in argv] or [
        shared / "camera",
        shared / "ai" / "generators",
        shared / "screens" / "photos",
    ]
    ocr_engine()  # load once, outside the timings
    print("| folder | files | median px | metadata ms | decode ms | dwtDct ms | OCR ms |")
    print("|---|---|---|---|---|---|---|")
    for folder in folders:
        rows = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            t_meta, _ = _ms(read_metadata, data)
            try:
                t_dec, image = _ms(decode_image, data)
            except ForensicsError:
                continue
            t_wm, _ = _ms(decode_all, image.pixels)
            t_ocr, _ = _ms(read_edge_marks, image.pixels)
            rows.append((image.width * image.height, t_meta, t_dec, t_wm, t_ocr))
        if not rows:
            continue
        arr = np.array(rows, dtype=np.float64)
        cells = [f"{np.median(arr[:, 0]) / 1e6:.1f} MP"]
        for col in range(1, 5):
            v = arr[:, col]
            cells.append(f"{np.median(v):.1f} / {np.percentile(v, 95):.0f} / {v.max():.0f}")
        print(f"| {folder.name} | {len(rows)} | " + " | ".join(cells) + " |")
    print("\n(each cell: median / p95 / max)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
