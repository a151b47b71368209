"""Time of the tamper detector per large JPEG, by stage.

Usage: ``python benchmarks/tamper_timing.py [--data ../shared/data] [--repeat 3]``

Runs the detector on the camera JPEGs of 10 MP and more in the shared development images (a
12 MP phone photo among them) and on a synthetic 12 MP photo (a scikit-image photo enlarged to
4032x3024 with sensor-like noise, saved at quality 92), and prints the median milliseconds of
the whole detector and of its stages (decode, double-JPEG, JPEG ghost, copy-move).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from trueclaim.forensics import tamper
from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.copy_move import find_copy_move
from trueclaim.forensics.jpeg_traces import double_jpeg_strength, jpeg_ghost, quantization_tables
from trueclaim.forensics.types import CaseContext


def _synthetic() -> bytes:
    from skimage import data

    rng = np.random.default_rng(0)
    big = cv2.resize(data.astronaut(), (4032, 3024), interpolation=cv2.INTER_CUBIC).astype(float)
    big = np.clip(big + rng.normal(0, 3, big.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, format="JPEG", quality=92)
    return buf.getvalue()


def _ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def _time_file(data: bytes, repeat: int) -> str:
    def item() -> Item:
        return Item(0, "evidence", data, analysis_max_side=1024)

    def whole() -> None:
        case = Case(evidence=(item(),), references=(), context=CaseContext(), cache={})
        tamper.detect(case, {})

    it = item()
    full, analysis = it.full, it.analysis
    if full is None or analysis is None:
        return ""
    gray = cv2.cvtColor(full.pixels, cv2.COLOR_RGB2GRAY)
    q = quantization_tables(data).get(0)
    stages = {
        "all": _ms(whole, repeat),
        "decode": _ms(lambda: (item().analysis, item().full), repeat),
        "copy-move": _ms(lambda: find_copy_move(analysis.pixels), repeat),
    }
    if q is not None:
        stages["double-jpeg"] = _ms(lambda: double_jpeg_strength(gray, q), repeat)
        stages["ghost"] = _ms(lambda: jpeg_ghost(gray, q), repeat)
    mp = full.width * full.height / 1e6
    text = ", ".join(f"{k} {v:.0f}" for k, v in stages.items())
    return f"({mp:.1f} MP, orientation {full.orientation}): ms {text}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    files: list[tuple[str, bytes]] = [("synthetic 4032x3024 q92", _synthetic())]
    for p in sorted((args.data / "camera").rglob("*.jp*g")):
        try:
            with Image.open(p) as im:
                if im.size[0] * im.size[1] >= 10_000_000:
                    files.append((p.name, p.read_bytes()))
        except OSError:
            continue
    for name, data in files:
        line = _time_file(data, args.repeat)
        if line:
            print(f"{name} {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
