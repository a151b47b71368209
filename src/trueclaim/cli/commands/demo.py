"""``trueclaim demo``: forge a claim from a bundled photo, check it and an honest one, report.

Everything is offline: the photos ship with scikit-image, the forgery comes from the bench
generator (a crack painted in, then crop, recompression and phone-screenshot framing).
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from PIL import Image
from rich.console import Console

from trueclaim.cli.errors import InputError

SEED = 20251112
_TZ = timezone(timedelta(hours=8))


def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the photos and report.")
    ] = Path("trueclaim-demo"),
    seed: Annotated[int, typer.Option(help="Seed of the forgery generator.")] = SEED,
) -> None:
    """Make a forged claim from a bundled photo, check it, and write the HTML report."""
    from skimage import data

    from trueclaim.bench.forge import paint_damage
    from trueclaim.bench.transforms import apply_transforms, fake_camera_exif
    from trueclaim.cli.commands.check import _print_human
    from trueclaim.forensics import CaseContext, verify
    from trueclaim.reporting import NamedFile, render_report_html

    console = Console(highlight=False)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"Cannot create the output folder {out}: {exc.strerror}.") from exc
    rng = np.random.default_rng(seed)
    delivered = datetime(2025, 11, 12, 10, 0, tzinfo=_TZ)
    context = CaseContext(delivered_at=delivered, claimed_at=delivered + timedelta(days=1))

    listing_px = np.ascontiguousarray(data.chelsea())  # type: ignore[no-untyped-call]
    listing = NamedFile("listing.jpg", _jpeg(listing_px, quality=92))

    painted = paint_damage(listing_px, rng, damage="crack", regenerate=False)
    forged_px, forged_mask = apply_transforms(
        painted.image, painted.mask, ["crop", "jpeg", "screenshot"], rng
    )
    forged = NamedFile("claim-forged.jpg", _jpeg(forged_px, quality=80))

    honest_px = np.ascontiguousarray(data.coffee())  # type: ignore[no-untyped-call]
    exif = fake_camera_exif(rng, (delivered + timedelta(hours=5)).replace(tzinfo=None))
    honest = NamedFile("claim-genuine.jpg", _jpeg(honest_px, quality=90, exif=exif))

    for f in (listing, forged, honest):
        (out / f.name).write_bytes(f.data)
    if forged_mask is not None:
        Image.fromarray(forged_mask).save(out / "claim-forged-mask.png")

    written = []
    for title, evidence, stem in (
        (
            "Forged claim: listing photo with a painted crack, cropped, recompressed, "
            "screenshotted",
            forged,
            "report",
        ),
        ("Honest claim: the buyer's own photo", honest, "report-genuine"),
    ):
        report = verify([evidence.data], [listing.data], context)
        console.rule(title)
        _print_human(report, [evidence], [listing])
        path = out / f"{stem}.html"
        path.write_text(
            render_report_html(report, [evidence], [listing], title=title), encoding="utf-8"
        )
        written.append(path)
    console.rule()
    console.print(
        "files in [bold]"
        + str(out)
        + "[/]: "
        + ", ".join(p.name for p in sorted(out.iterdir()) if p.is_file())
    )
    console.print(f"open [bold]{written[0]}[/] to see the forged claim's report.")


def _jpeg(rgb: np.ndarray, *, quality: int, exif: Image.Exif | None = None) -> bytes:
    buf = io.BytesIO()
    if exif is None:
        Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    else:
        Image.fromarray(rgb).save(buf, format="JPEG", quality=quality, exif=exif)
    return buf.getvalue()
