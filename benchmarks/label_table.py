"""Print a markdown table: file -> AI labels found, over a folder of images.

Usage: python benchmarks/label_table.py [FOLDER] [--ocr] [--timings]
(default FOLDER: ../shared/data/ai beside the checkout). Runs the provenance and watermark
detectors only; OCR of visible marks is off unless --ocr is given.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from trueclaim.forensics import EngineParams, verify

INFO_CODES = {"camera-origin", "c2pa-manifest-present", "metadata-absent"}


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    root = (
        Path(args[0])
        if args
        else Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ai"
    )
    ocr = "--ocr" in argv
    params = EngineParams(
        detectors=("provenance", "watermark"),
        detector_options={"watermark": {"ocr": ocr, "ocr_when_proven": ocr}},
    )
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    print("| file | labels found (code: detail) | ms |")
    print("|---|---|---|")
    for path in files:
        t0 = time.perf_counter()
        report = verify([path.read_bytes()], params=params)
        ms = (time.perf_counter() - t0) * 1000
        parts = []
        for f in report.findings:
            if f.code in INFO_CODES or f.detector not in ("provenance", "watermark"):
                continue
            parts.append(f"`{f.code}` ({f.severity.value}): {_detail(f.data)}")
        print(f"| {path.relative_to(root)} | {'<br>'.join(parts) or '—'} | {ms:.0f} |")
    return 0


def _detail(data: object) -> str:
    if not isinstance(data, dict):
        return ""
    for key in (
        "producer",
        "generator",
        "digital_source_type",
        "code",
        "vendor",
        "payload",
        "text",
        "reasons",
        "markers",
        "software",
        "validation_state",
        "error",
    ):
        value = data.get(key)
        if value:
            if isinstance(value, dict):
                value = value.get("product") or value.get("code")
            text = str(value).replace("|", "/").replace("\n", " ")
            return text[:70]
    return ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
