"""``trueclaim verify-bundle out.zip``: check an evidence bundle; exit 0 if intact, 1 if not."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trueclaim.cli.errors import InputError


def verify_bundle(
    bundle: Annotated[Path, typer.Argument(help="A zip written by `trueclaim export`.")],
) -> None:
    """Check every file's SHA-256, the event chain and the report's inputs; name any break."""
    from trueclaim.domain.bundle import verify_bundle as check

    try:
        data = bundle.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read {bundle}: {exc.strerror}. Check the path.") from exc
    problems = check(data)
    if problems:
        typer.echo(f"{bundle}: BROKEN ({len(problems)} problem(s))")
        for p in problems:
            typer.echo(f"  - {p}")
        raise typer.Exit(1)
    typer.echo(f"{bundle}: OK (every file matches its SHA-256; the event chain is intact)")
