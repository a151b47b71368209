"""``trueclaim export CLAIM_ID out.zip``: the evidence bundle of one claim."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trueclaim.cli.commands._runtime import load_settings
from trueclaim.cli.errors import CLIError


def export(
    claim_id: Annotated[str, typer.Argument(help="The claim's id (clm_...).")],
    out: Annotated[Path, typer.Argument(help="Where to write the zip.")],
) -> None:
    """Write originals, their SHA-256 manifest, the report (JSON + HTML) and the event chain."""
    from trueclaim.domain.errors import ClaimNotFound
    from trueclaim.domain.services.export import export_claim
    from trueclaim.domain.tenants import Principal, Role
    from trueclaim.wiring import build_runtime

    runtime = build_runtime(load_settings())
    try:
        try:
            claim = runtime.services.repos.claims.locate_claim(claim_id)
        except ClaimNotFound as exc:
            where = runtime.engine.url.render_as_string(hide_password=True)
            raise CLIError(
                f"No claim {claim_id!r} in {where}. Check the id and TRUECLAIM_DATABASE_URL."
            ) from exc
        operator = Principal(claim.tenant_id, Role.PLATFORM_ADMIN, "cli-export")
        data = export_claim(runtime.services, operator, claim_id)
    finally:
        runtime.close()
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise CLIError(f"Cannot write {out}: {exc.strerror}.") from exc
    typer.echo(f"wrote {out} ({len(data)} bytes); check it with: trueclaim verify-bundle {out}")
