from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from tests.conftest import encode
from trueclaim.cli.main import app

runner = CliRunner()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_check_json_and_report(tmp_path: Path, photo: np.ndarray) -> None:
    ev = _write(tmp_path, "claim.jpg", encode(photo, "JPEG", quality=90))
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["check", str(ev), "--json", "--no-ocr", "--report", str(out)])
    assert result.exit_code in (0, 10, 20), result.output
    report = json.loads(result.stdout)
    assert report["verdict"] in ("genuine-likely", "needs-review", "forgery-likely")
    assert 0.0 <= report["risk"] <= 1.0
    assert report["inputs"][0]["status"] == "ok"
    assert {"genuine-likely": 0, "needs-review": 10, "forgery-likely": 20}[
        report["verdict"]
    ] == result.exit_code
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "data:image/jpeg;base64," in page


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "nope.jpg")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_directory_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "is a directory" in result.output


def test_unreadable_path_exits_2(tmp_path: Path, photo: np.ndarray) -> None:
    import os

    p = _write(tmp_path, "locked.jpg", encode(photo))
    p.chmod(0)
    try:
        if os.access(p, os.R_OK):  # running as root: permissions do not bind
            p.chmod(0o644)
            p = tmp_path / "dangling.jpg"
            p.symlink_to(tmp_path / "gone.jpg")
        result = runner.invoke(app, ["check", str(p)])
    finally:
        if p.exists():
            p.chmod(0o644)
    assert result.exit_code == 2


def test_corrupt_evidence_exits_2_with_reason(tmp_path: Path, photo: np.ndarray) -> None:
    data = encode(photo)
    p = _write(tmp_path, "cut.jpg", data[: len(data) // 3])
    result = runner.invoke(app, ["check", str(p), "--no-ocr"])
    assert result.exit_code == 2
    assert "truncated" in result.output


def test_wrong_extension_still_checked(tmp_path: Path, photo: np.ndarray) -> None:
    p = _write(tmp_path, "photo.gif", encode(photo, "PNG"))
    result = runner.invoke(app, ["check", str(p), "--json", "--no-ocr"])
    assert result.exit_code in (0, 10, 20)
    assert json.loads(result.stdout)["inputs"][0]["format"] == "PNG"


def test_naive_delivery_time_is_refused(tmp_path: Path, photo: np.ndarray) -> None:
    p = _write(tmp_path, "a.jpg", encode(photo))
    result = runner.invoke(app, ["check", str(p), "--delivered-at", "2025-11-12T10:00:00"])
    assert result.exit_code == 2
    assert "timezone" in result.output
    result = runner.invoke(app, ["check", str(p), "--delivered-at", "yesterday"])
    assert result.exit_code == 2
    assert "ISO 8601" in result.output
