"""Print a markdown table: file -> AI labels found, over a folder of images.

Usage: python benchmarks/label_table.py [FOLDER] [--ocr] [--timings]
(default FOLDER: ../shared/data/ai beside the checkout). Runs the provenance and watermark
detectors only; OCR of visible marks is off unless --ocr is given.
"""

from __future__ import annotations

import sys
from pathlib import Path

from trueclaim.forensics import EngineParams, verify
from trueclaim.forensics.codes import AI_LABEL_CODES

INFO_CODES = {"camera-origin", "metadata-absent"}


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ai"
    root = Path(args[0]) if args else default
    ocr = "--ocr" in argv
    params = EngineParams(
        detectors=("provenance", "watermark"),
        detector_options={"watermark": {"ocr": ocr, "ocr_when_proven": ocr}},
    )
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    print("| file | AI labels found | other provenance findings |")
    print("|---|---|---|")
    labelled = 0
    for path in files:
        report = verify([path.read_bytes()], params=params)
        labels, other = [], []
        for f in report.findings:
            if f.code in INFO_CODES or f.detector not in ("provenance", "watermark"):
                continue
            cell = f"`{f.code}` ({f.severity.value}){_detail(f.code, f.data)}"
            (labels if f.code in AI_LABEL_CODES else other).append(cell)
        labelled += bool(labels)
        print(
            f"| {path.relative_to(root)} | {'<br>'.join(labels) or '—'} | "
            f"{'<br>'.join(other) or '—'} |"
        )
    print(f"\n{labelled} of {len(files)} files carry at least one AI label.")
    return 0


def _detail(code: str, data: dict[str, object]) -> str:
    if code == "tc260-aigc-label":
        producer = data.get("producer") or {}
        name = producer.get("product") if isinstance(producer, dict) else None
        return f": Label={data.get('label')}, producer {data.get('producer_code')} ({name})"
    if code.startswith("c2pa-ai"):
        dst, issuer = data.get("digital_source_type"), data.get("issuer")
        return f": {dst}, {issuer}, {data.get('validation_state')}"
    if code == "c2pa-manifest-invalid":
        codes = [str(c) for c in data.get("status_codes", []) if "Credential" not in str(c)]
        return f": {', '.join(codes)}"
    if code == "c2pa-manifest-unreadable":
        return f": {str(data.get('error'))[:60]}"
    if code in ("generator-metadata", "invisible-watermark"):
        return f": {data.get('generator')}"
    if code == "visible-ai-mark":
        return f": “{data.get('text')}” ({data.get('vendor') or 'generic'})"
    if code == "iptc-ai-source":
        return f": {data.get('code') or data.get('field')}"
    if code == "editing-software":
        software = data.get("software") or [["", ""]]
        return f": {software[0][1]}"  # type: ignore[index]
    if code == "metadata-inconsistent":
        return f": {', '.join(data.get('reasons', []))}"  # type: ignore[arg-type]
    return ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
