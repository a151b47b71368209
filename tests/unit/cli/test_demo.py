"""`trueclaim demo` runs offline, writes its files and prints both verdicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from trueclaim.cli.main import app

runner = CliRunner()


def test_demo_writes_photos_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in (
        "listing.jpg",
        "claim-forged.jpg",
        "claim-genuine.jpg",
        "claim-forged-mask.png",
        "report.html",
        "report-genuine.html",
    ):
        assert (out / name).is_file(), name
    page = (out / "report.html").read_text("utf-8")
    assert page.startswith("<!doctype html>") and "data:image/jpeg;base64," in page
    verdicts = ("genuine-likely", "needs-review", "forgery-likely")
    assert sum(result.output.count(v) for v in verdicts) >= 2  # one verdict line per claim
    forged = Image.open(out / "claim-forged.jpg")
    mask = np.asarray(Image.open(out / "claim-forged-mask.png"))
    assert mask.shape[:2] == (forged.height, forged.width) and mask.any()
    assert forged.height > forged.width  # framed as a phone screenshot


def test_demo_is_seeded(tmp_path: Path) -> None:
    a = runner.invoke(app, ["demo", "--out", str(tmp_path / "a")])
    b = runner.invoke(app, ["demo", "--out", str(tmp_path / "b")])
    assert a.exit_code == b.exit_code == 0
    assert (tmp_path / "a" / "claim-forged.jpg").read_bytes() == (
        tmp_path / "b" / "claim-forged.jpg"
    ).read_bytes()
