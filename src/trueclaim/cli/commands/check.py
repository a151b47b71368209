"""``trueclaim check``: verify evidence photos from the command line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from trueclaim.cli.errors import InputError
from trueclaim.forensics import CaseContext, EngineParams, Report, Verdict, verify
from trueclaim.forensics.params import NO_OCR
from trueclaim.reporting import NamedFile, render_report_html

EXIT_BY_VERDICT = {
    Verdict.GENUINE_LIKELY: 0,
    Verdict.NEEDS_REVIEW: 10,
    Verdict.FORGERY_LIKELY: 20,
}


def check(
    evidence: Annotated[list[Path], typer.Argument(help="The buyer's photo file(s).")],
    reference: Annotated[
        list[Path] | None,
        typer.Option("--reference", "-r", help="A merchant photo of the goods (repeatable)."),
    ] = None,
    delivered_at: Annotated[
        str | None,
        typer.Option(help="Delivery time, ISO 8601 with offset, e.g. 2025-11-12T10:00:00+08:00."),
    ] = None,
    shipped_at: Annotated[str | None, typer.Option(help="Ship time, ISO 8601 with offset.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")
    ] = None,
    no_ocr: Annotated[
        bool,
        typer.Option(
            "--no-ocr",
            help="Skip the OCR model: visible AI marks and the screen detector's text lines "
            "(faster).",
        ),
    ] = False,
) -> None:
    """Check evidence photos against reference photos and print a verdict.

    Exit status: 0 genuine-likely, 10 needs-review, 20 forgery-likely, 2 unusable input.
    """
    evidence_files = [_read_input(p, "evidence") for p in evidence]
    reference_files = [_read_input(p, "reference") for p in reference or []]
    context = CaseContext(
        delivered_at=_parse_time(delivered_at, "--delivered-at"),
        shipped_at=_parse_time(shipped_at, "--shipped-at"),
    )
    params = EngineParams(detector_options=NO_OCR if no_ocr else {})
    result = verify(
        [f.data for f in evidence_files],
        [f.data for f in reference_files],
        context,
        params=params,
    )
    if as_json:
        typer.echo(result.to_json())
    else:
        _print_human(result, evidence_files, reference_files)
    if report is not None:
        try:
            report.write_text(
                render_report_html(result, evidence_files, reference_files), encoding="utf-8"
            )
        except OSError as exc:
            raise InputError(f"Cannot write the report to {report}: {exc.strerror}.") from exc
        if not as_json:
            Console().print(f"report written to [bold]{report}[/]")
    unreadable = [s for s in result.inputs if s.role == "evidence" and s.status != "ok"]
    if unreadable:
        names = ", ".join(evidence_files[s.index].name for s in unreadable)
        raise InputError(
            f"{len(unreadable)} evidence file(s) could not be read ({names}): "
            f"{unreadable[0].reason}"
        )
    raise typer.Exit(EXIT_BY_VERDICT[result.verdict])


def _read_input(path: Path, role: str) -> NamedFile:
    if not path.exists():
        raise InputError(f"{role} file {path} does not exist. Check the path.")
    if path.is_dir():
        raise InputError(f"{role} path {path} is a directory. Pass image files, e.g. {path}/*.jpg.")
    try:
        return NamedFile(path.name, path.read_bytes())
    except OSError as exc:
        raise InputError(
            f"Cannot read {role} file {path}: {exc.strerror}. Check its permissions."
        ) from exc


def _parse_time(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(
            f"{option} {text!r} is not an ISO 8601 time; write e.g. 2025-11-12T10:00:00+08:00."
        ) from exc
    if value.tzinfo is None:
        raise InputError(f"{option} {text!r} has no timezone; add an offset such as +08:00 or Z.")
    return value


def _print_human(result: Report, evidence: list[NamedFile], references: list[NamedFile]) -> None:
    console = Console(highlight=False)
    colour = {"genuine-likely": "green", "needs-review": "yellow", "forgery-likely": "red"}[
        result.verdict.value
    ]
    console.print(
        f"[bold {colour}]{result.verdict.value}[/]  risk {result.risk:.2f}  "
        f"({len(evidence)} evidence, {len(references)} reference, "
        f"{result.timings_ms.get('total', 0):.0f} ms, engine {result.engine_version})"
    )
    if result.drivers:
        console.print("driven by: " + ", ".join(result.drivers))
    if not result.findings:
        console.print("No findings. 未发现异常。")
        return
    style = {
        "critical": "bold red",
        "high": "red",
        "medium": "yellow",
        "low": "cyan",
        "info": "dim",
    }
    for f in result.findings:
        where = f" (evidence {f.evidence_index + 1})" if f.evidence_index is not None else ""
        console.print(
            f"[{style[f.severity.value]}]{f.severity.value:>8}[/] [bold]{f.code}[/]{where}"
            f"  score {f.score:.2f}"
        )
        # soft_wrap: the terminal wraps, so codes and producer ids are never cut.
        console.print(f"         {f.message_en}", soft_wrap=True, markup=False)
        console.print(f"         {f.message_zh}", soft_wrap=True, markup=False)
