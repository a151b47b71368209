"""``trueclaim bench``: build a labelled case set, run the engine on it, and score the run."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from trueclaim.cli.errors import CLIError, InputError

if TYPE_CHECKING:
    from trueclaim.bench.summary import KindFigure

app = typer.Typer(
    help="Measure detection quality on a labelled case manifest (make, run, score).",
    no_args_is_help=True,
)


def _load(manifest: Path):  # type: ignore[no-untyped-def]
    from trueclaim.bench.manifest import ManifestError, load_manifest

    try:
        return load_manifest(manifest)
    except ManifestError as exc:
        raise InputError(f"bad manifest: {exc}") from exc


@app.command("run")
def run(
    manifest: Annotated[Path, typer.Argument(help="The case manifest (JSON Lines).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Results file (JSON Lines); appended to.")
    ],
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes.")] = 1,
    retry_errors: Annotated[
        bool, typer.Option("--retry-errors", help="Run again the cases that failed last time.")
    ] = False,
    no_ocr: Annotated[
        bool,
        typer.Option(
            "--no-ocr",
            help="Skip the OCR model: visible AI marks and the screen detector's text lines "
            "(faster, less complete).",
        ),
    ] = False,
    case_timeout_s: Annotated[
        float,
        typer.Option(
            "--case-timeout-s",
            min=0,
            help="Time limit per case in seconds (0 = none); a case over it is recorded with "
            '"error": "timed out after N s" and the run goes on.',
        ),
    ] = 120.0,
) -> None:
    """Run the engine on every case; ids already in the results file are skipped.

    A case over --case-timeout-s, or one that crashes its worker, gets an "error" line.
    """
    from trueclaim.bench.runner import pending_cases, run_cases
    from trueclaim.forensics import EngineParams
    from trueclaim.forensics.params import NO_OCR

    cases = _load(manifest)
    todo = pending_cases(cases, out, retry_errors=retry_errors)
    console = Console(stderr=True, highlight=False)
    if not todo:
        console.print(f"all {len(cases)} cases already in {out}; nothing to run.")
        return
    params = EngineParams(detector_options=NO_OCR) if no_ocr else None
    failed = 0
    with Progress(
        TextColumn("[bold]bench run"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[last]}"),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("run", total=len(todo), last="")

        def step(result: dict[str, object]) -> None:
            nonlocal failed
            failed += "error" in result
            progress.update(task, advance=1, last=str(result["id"]))

        run_cases(
            todo, out, jobs=jobs, params=params, on_result=step, case_timeout_s=case_timeout_s
        )
    skipped = len(cases) - len(todo)
    console.print(
        f"ran {len(todo)} case(s)"
        + (f", skipped {skipped} already done" if skipped else "")
        + (f', [red]{failed} failed[/] (see "error" in {out})' if failed else "")
        + f"; results in {out}"
    )


@app.command("score")
def score(
    manifest: Annotated[Path, typer.Argument(help="The case manifest (JSON Lines).")],
    results: Annotated[Path, typer.Argument(help="Results written by `trueclaim bench run`.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the ROC curve as a PNG.")
    ] = None,
) -> None:
    """Print ROC AUC, TPR at 1% / 0.1% FPR, share flagged per kind, mask IoU and latency."""
    from trueclaim.bench.runner import load_results
    from trueclaim.bench.summary import damage_figures, summarize

    cases = _load(manifest)
    if not results.exists():
        raise InputError(f"results file {results} does not exist; run `trueclaim bench run` first.")
    try:
        summary = summarize(cases, load_results(results), results.resolve().parent)
    except FileNotFoundError as exc:
        raise InputError(
            f"a mask file is missing: {exc.filename}. Check the manifest's mask paths."
        ) from exc
    if plot is not None:
        if summary.roc is None:
            raise CLIError("no ROC curve to plot: the run needs both forged and genuine cases.")
        from trueclaim.bench.plot import plot_roc

        plot_roc(summary, plot)
    generation = manifest.parent / "generation.jsonl"  # written by `bench make`
    damages = (
        damage_figures(cases, load_results(results), summary, generation)
        if generation.is_file()
        else ()
    )
    if as_json:
        figures = summary.to_dict()
        if damages:
            figures["flagged_by_damage"] = {
                d.kind: {
                    "cases": d.cases,
                    "flagged": d.flagged,
                    "share_flagged": round(d.share_flagged, 6),
                    "auc_vs_genuine": None
                    if d.auc_vs_genuine is None
                    else round(d.auc_vs_genuine, 6),
                }
                for d in damages
            }
        typer.echo(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    _print_summary(summary, plot)
    if damages:
        _print_groups(
            "share flagged at the 1%-FPR threshold, per damage painted", damages, "damage"
        )


def _print_groups(title: str, groups: Sequence[KindFigure], first: str = "kind") -> None:
    table = Table(title=title)
    for col, just in (
        (first, "left"),
        ("label", "left"),
        ("cases", "right"),
        ("flagged", "right"),
        ("mean risk", "right"),
        ("AUC vs genuine", "right"),
    ):
        table.add_column(col, justify=just, no_wrap=col == first)  # type: ignore[arg-type]
    for k in groups:
        table.add_row(
            k.kind,
            k.label,
            str(k.cases),
            _fmt(k.share_flagged, True),
            _fmt(k.mean_risk),
            _fmt(k.auc_vs_genuine),
        )
    Console(highlight=False).print(table)


def _fmt(v: float | None, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{100 * v:.1f}%" if pct else f"{v:.3f}"


def _print_summary(summary, plot: Path | None) -> None:  # type: ignore[no-untyped-def]
    console = Console(highlight=False)
    head = Table(title="trueclaim bench", show_header=False)
    head.add_column("figure")
    head.add_column("value", justify="right")
    head.add_row(
        "cases (forged / genuine / unlabeled)",
        f"{summary.cases} ({summary.forged} / {summary.genuine} / {summary.unlabeled})",
    )
    if summary.errors or summary.missing:
        head.add_row("failed / missing", f"{summary.errors} / {summary.missing}")
    head.add_row("ROC AUC", _fmt(summary.auc))
    head.add_row(
        "TPR at 1% FPR",
        f"{_fmt(summary.tpr_at_1pct, True)}  (risk ≥ {_fmt(summary.threshold_1pct)})",
    )
    head.add_row(
        "TPR at 0.1% FPR",
        f"{_fmt(summary.tpr_at_0_1pct, True)}  (risk ≥ {_fmt(summary.threshold_0_1pct)})",
    )
    head.add_row(f"mean mask IoU ({summary.mask_cases} masks)", _fmt(summary.mean_mask_iou))
    head.add_row(
        "latency p50 / p95",
        f"{_fmt(summary.latency_p50_ms and summary.latency_p50_ms / 1000)} s / "
        f"{_fmt(summary.latency_p95_ms and summary.latency_p95_ms / 1000)} s",
    )
    for stage, (p50, p95) in summary.stage_latency_ms.items():
        head.add_row(f"  {stage} p50 / p95", f"{p50:.0f} ms / {p95:.0f} ms")
    head.add_row("engine", ", ".join(summary.engine_versions) or "-")
    console.print(head)
    _print_groups("share flagged at the 1%-FPR threshold, per kind", summary.by_kind)
    for note in summary.notes:
        console.print(f"[yellow]note:[/] {note}")
    if plot is not None:
        console.print(f"ROC curve written to [bold]{plot}[/]")


@app.command("make")
def make(
    source_dir: Annotated[
        Path, typer.Argument(help="Folder of real photos (products layout or any photos).")
    ],
    out_dir: Annotated[Path, typer.Argument(help="Where manifest.jsonl and the case files go.")],
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most this many cases (balanced).")
    ] = None,
    kinds: Annotated[
        str | None,
        typer.Option(help="Comma-separated kinds or patterns, e.g. 'listing-damage*,genuine-*'."),
    ] = None,
    damage_dir: Annotated[
        Path | None,
        typer.Option(
            help="Real damage photos with masks, e.g. ../shared/data/damage/magnetic-tile."
        ),
    ] = None,
) -> None:
    """Build a labelled case set: genuine photos and forgeries made the way buyers make them."""
    from trueclaim.bench.make import MakeError, make_bench

    if damage_dir is not None and not damage_dir.is_dir():
        raise InputError(f"--damage-dir {damage_dir} is not a folder.")
    console = Console(stderr=True, highlight=False)
    try:
        with console.status("making cases…") as status:
            summary = make_bench(
                source_dir,
                out_dir,
                seed=seed,
                limit=limit,
                kinds=[k.strip() for k in kinds.split(",") if k.strip()] if kinds else (),
                damage_dir=damage_dir,
                on_case=lambda cid: status.update(f"making cases… {cid}"),
            )
    except MakeError as exc:
        raise InputError(str(exc)) from exc
    table = Table(title=f"{summary.cases} cases in {out_dir / 'manifest.jsonl'}")
    table.add_column("kind")
    table.add_column("cases", justify="right")
    for kind in sorted(summary.by_kind):
        table.add_row(kind, str(summary.by_kind[kind]))
    Console(highlight=False).print(table)
    if summary.skipped:
        console.print(f"skipped {len(summary.skipped)} source(s):")
        for line in summary.skipped[:20]:
            console.print(f"  {line}")
