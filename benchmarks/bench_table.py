"""Regenerate the results table of ``docs/benchmark.md`` in one command.

Usage: ``python benchmarks/bench_table.py [--out /tmp/trueclaim-bench] [--jobs 2] [--limit N]``

For each set (``../shared/data/grocery``, ``../shared/data/camera``, seed 1, with the
magnetic-tile damage textures) this makes the cases unless ``OUT/<set>/manifest.jsonl``
exists, runs the engine (resuming: done cases are skipped), scores the run, writes
``OUT/<set>/roc.png`` and ``OUT/<set>/score.json``, and prints one Markdown row per set for the
table in ``docs/benchmark.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SETS = ("grocery", "camera")


_CLI = [sys.executable, "-c", "from trueclaim.cli.main import main; main()"]


def _trueclaim(*args: str) -> None:
    subprocess.run([*_CLI, *args], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/trueclaim-bench"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="at most this many cases per set")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows = []
    for name in SETS:
        out = args.out / name
        manifest = out / "manifest.jsonl"
        if not manifest.exists():
            make = [
                "bench",
                "make",
                str(SHARED / name),
                str(out),
                "--seed",
                str(args.seed),
                "--damage-dir",
                str(SHARED / "damage" / "magnetic-tile"),
            ]
            if args.limit:
                make += ["--limit", str(args.limit)]
            _trueclaim(*make)
        results = out / "results.jsonl"
        _trueclaim("bench", "run", str(manifest), "--out", str(results), "--jobs", str(args.jobs))
        score = subprocess.run(
            [
                *_CLI,
                "bench",
                "score",
                str(manifest),
                str(results),
                "--json",
                "--plot",
                str(out / "roc.png"),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (out / "score.json").write_text(score, encoding="utf-8")
        s = json.loads(score)
        rows.append(_row(f"{name}, seed {args.seed}", s))
    print(
        "| set | engine | date | forged / genuine | ROC AUC | TPR @ 1% FPR | TPR @ 0.1% FPR "
        "| mask IoU | p50 / p95 s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    return 0


def _row(label: str, s: dict[str, object]) -> str:
    def f(key: str, pct: bool = False) -> str:
        v = s.get(key)
        if not isinstance(v, (int, float)):
            return "-"
        return f"{100 * v:.1f}%" if pct else f"{v:.3f}"

    p50, p95 = s.get("latency_p50_ms"), s.get("latency_p95_ms")
    lat = (
        f"{p50 / 1000:.2f} / {p95 / 1000:.2f}"
        if isinstance(p50, float) and isinstance(p95, float)
        else "-"
    )
    engine = ", ".join(s.get("engine_versions") or []) or "-"  # type: ignore[arg-type]
    return (
        f"| {label} | {engine} | {date.today().isoformat()} | {s['forged']} / {s['genuine']} | "
        f"{f('roc_auc')} | {f('tpr_at_fpr_1pct', True)} | {f('tpr_at_fpr_0_1pct', True)} | "
        f"{f('mean_mask_iou')} | {lat} |"
    )


if __name__ == "__main__":
    raise SystemExit(main())
