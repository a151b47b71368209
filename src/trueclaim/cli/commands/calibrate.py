"""``trueclaim bench make-mixed`` and ``trueclaim bench fit``: the risk model's calibration.

One command chain refits the packaged model::

    trueclaim bench make-mixed ../shared/data /tmp/mixed --seed 1
    trueclaim bench run /tmp/mixed/manifest.jsonl --out /tmp/mixed/results.jsonl --jobs 2
    trueclaim bench fit /tmp/mixed/manifest.jsonl /tmp/mixed/results.jsonl --write
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trueclaim.cli.errors import InputError


def make_mixed(
    shared_dir: Annotated[Path, typer.Argument(help="The shared/data folder.")],
    out_dir: Annotated[Path, typer.Argument(help="Where to write manifest.jsonl and files.")],
    seed: Annotated[int, typer.Option(help="Seed of the forgery generator.")] = 0,
    derived_limit: Annotated[int, typer.Option(help="Cases per derived part (0 = all).")] = 400,
    taken_limit: Annotated[int, typer.Option(help="Files per as-is folder (0 = all).")] = 60,
) -> None:
    """Build the mixed set: derived forgeries, AI-labelled files, screens, honest photos."""
    from trueclaim.bench.make import MakeError
    from trueclaim.bench.mixed import make_mixed as build

    try:
        summary = build(
            shared_dir,
            out_dir,
            seed=seed,
            derived_limit=derived_limit or None,
            taken_limit=taken_limit or None,
        )
    except (FileNotFoundError, MakeError) as exc:
        raise InputError(str(exc)) from exc
    console = Console(highlight=False)
    table = Table("kind", "cases")
    for kind, n in sorted(summary.by_kind.items()):
        table.add_row(kind, str(n))
    console.print(table)
    console.print(
        f"{summary.cases} cases in {out_dir / 'manifest.jsonl'}"
        + (f"; {len(summary.skipped)} skipped" if summary.skipped else "")
    )


def fit(
    manifest: Annotated[Path, typer.Argument(help="The labelled case manifest.")],
    results: Annotated[Path, typer.Argument(help="`bench run` results for it.")],
    write: Annotated[
        bool, typer.Option("--write", help="Replace the packaged score_model.json.")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Write the model JSON here instead.")] = None,
    version: Annotated[str, typer.Option(help="Version string stored in the model.")] = "fit",
) -> None:
    """Fit the risk model's per-finding weights and interactions on bench results."""
    from trueclaim.bench.fit import FitCase, fit_score_model
    from trueclaim.bench.manifest import ManifestError, load_manifest
    from trueclaim.bench.runner import load_results

    try:
        cases = {c.id: c for c in load_manifest(manifest)}
    except ManifestError as exc:
        raise InputError(f"bad manifest: {exc}") from exc
    if not results.is_file():
        raise InputError(f"results file {results} does not exist; run `trueclaim bench run` first.")
    fit_cases = []
    missing_findings = 0
    for row in load_results(results):
        case = cases.get(str(row.get("id")))
        if case is None or case.label == "unlabeled" or row.get("error"):
            continue
        if "findings" not in row:
            missing_findings += 1
            continue
        fit_cases.append(FitCase(int(case.is_forged), row["findings"]))
    if missing_findings:
        raise InputError(
            f"{missing_findings} results lines have no 'findings'; rerun `bench run` with this "
            "version into a new results file."
        )
    try:
        result = fit_score_model(fit_cases)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    text = result.to_model_json(
        version=version,
        note=f"Fitted by `trueclaim bench fit` on {manifest.name} ({len(fit_cases)} cases).",
    )
    console = Console(highlight=False)
    table = Table("code", "weight", "cases")
    for code, w in sorted(result.weights.items(), key=lambda kv: -kv[1]):
        table.add_row(code, f"{w:+.2f}", str(result.codes_seen.get(code, 0)))
    for (a, b), v in sorted(result.interactions.items(), key=lambda kv: -kv[1]):
        if round(v, 4) > 0:
            table.add_row(f"{a} + {b}", f"{v:+.2f}", "(together)")
    console.print(table)
    console.print(
        f"intercept {result.intercept:+.2f}; {result.n_forged} forged, {result.n_genuine} "
        f"genuine; balanced log loss {result.log_loss:.4f}"
    )
    target = out
    if write:
        target = Path(str(resources.files("trueclaim.forensics").joinpath("score_model.json")))
    if target is not None:
        target.write_text(text, encoding="utf-8")
        console.print(f"model written to {target}")
    elif not write:
        typer.echo(json.dumps(json.loads(text), indent=2))
