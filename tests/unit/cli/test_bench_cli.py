"""`trueclaim bench make / run / score` end to end on a tiny folder built from bundled photos."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from trueclaim.cli.main import app

runner = CliRunner()


def _save(path: Path, rgb: np.ndarray, side: int = 240, *, camera: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(rgb)
    im.thumbnail((side, side))
    exif = Image.Exif()
    if camera:
        exif[0x010F] = camera  # Make
    im.save(path, quality=90, exif=exif)


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    from skimage import data

    return {
        "cat": data.chelsea(),
        "coffee": data.coffee(),
        "astronaut": data.astronaut(),
        "rocket": data.rocket(),
    }


@pytest.fixture(scope="module")
def products(tmp_path_factory: pytest.TempPathFactory, photos: dict[str, np.ndarray]) -> Path:
    root = tmp_path_factory.mktemp("products")
    for product, (listing, others) in {
        "Cat-Plush": ("cat", ("coffee", "astronaut", "rocket")),
        "Coffee-Cup": ("coffee", ("cat", "rocket", "astronaut")),
    }.items():
        _save(root / product / "listing" / f"{product}_Iconic.jpg", photos[listing])
        for i, name in enumerate(others):
            rgb = photos[name][:, ::-1] if i % 2 else photos[name]
            _save(
                root / product / "photos" / f"{product}_{i:03d}.jpg", np.ascontiguousarray(rgb), 200
            )
    return root


def _manifest(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_make_run_score_resume(tmp_path: Path, products: Path) -> None:
    out = tmp_path / "set"
    made = runner.invoke(
        app, ["bench", "make", str(products), str(out), "--seed", "3", "--limit", "8"]
    )
    assert made.exit_code == 0, made.output
    cases = _manifest(out / "manifest.jsonl")
    assert len(cases) == 8
    assert {c["label"] for c in cases} == {"forged", "genuine"}
    for c in cases:
        assert set(c) == {"id", "evidence", "references", "label", "kind", "mask", "context"}
        assert (out / c["evidence"][0]).is_file()  # type: ignore[index]
        assert all((out / r).is_file() for r in c["references"])  # type: ignore[union-attr]
        if c["mask"] is not None:
            mask = np.asarray(Image.open(out / str(c["mask"])))
            ev = Image.open(out / c["evidence"][0])  # type: ignore[index]
            assert mask.shape[:2] == (ev.height, ev.width) and mask.any()
        assert c["label"] == "genuine" or str(c["kind"]).startswith("listing-")

    # the same seed gives the same set, byte for byte
    again = runner.invoke(
        app, ["bench", "make", str(products), str(tmp_path / "set2"), "--seed", "3", "--limit", "8"]
    )
    assert again.exit_code == 0
    assert (out / "manifest.jsonl").read_text() == (
        tmp_path / "set2" / "manifest.jsonl"
    ).read_text()
    first = cases[0]
    assert (out / first["evidence"][0]).read_bytes() == (
        tmp_path / "set2" / first["evidence"][0]
    ).read_bytes()  # type: ignore[index]

    results = tmp_path / "run" / "results.jsonl"
    ran = runner.invoke(
        app, ["bench", "run", str(out / "manifest.jsonl"), "--out", str(results), "--no-ocr"]
    )
    assert ran.exit_code == 0, ran.output
    lines = _manifest(results)
    assert [r["id"] for r in lines] == [c["id"] for c in cases]
    for r in lines:
        assert {"id", "risk", "verdict", "codes", "mask", "elapsed_ms", "findings"} <= set(r)
        assert 0.0 <= r["risk"] <= 1.0  # type: ignore[operator]
        if r["mask"] is not None:
            assert r["mask"] == f"masks/{r['id']}.png"
            assert (results.parent / str(r["mask"])).is_file()

    rerun = runner.invoke(app, ["bench", "run", str(out / "manifest.jsonl"), "--out", str(results)])
    assert rerun.exit_code == 0 and "nothing to run" in rerun.output
    assert len(_manifest(results)) == 8

    scored = runner.invoke(
        app,
        [
            "bench",
            "score",
            str(out / "manifest.jsonl"),
            str(results),
            "--json",
            "--plot",
            str(tmp_path / "roc.png"),
        ],
    )
    assert scored.exit_code == 0, scored.output
    figures = json.loads(scored.stdout)
    assert figures["cases"] == 8 and figures["errors"] == 0 and figures["missing"] == 0
    assert 0.0 <= figures["roc_auc"] <= 1.0
    assert set(figures["flagged_by_kind"]) == {str(c["kind"]) for c in cases}
    assert figures["mask_cases"] == sum(1 for c in cases if c["mask"] is not None)
    assert (tmp_path / "roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    painted = sum(1 for c in cases if c["mask"] is not None)
    if painted:  # generation.jsonl beside the manifest names the damage of each forgery
        assert sum(d["cases"] for d in figures["flagged_by_damage"].values()) == painted

    table = runner.invoke(app, ["bench", "score", str(out / "manifest.jsonl"), str(results)])
    assert table.exit_code == 0 and "ROC AUC" in table.output


def test_make_on_a_plain_photo_folder(tmp_path: Path, photos: dict[str, np.ndarray]) -> None:
    src = tmp_path / "camera"
    for name, rgb in photos.items():
        _save(src / f"{name}.jpg", rgb, 256, camera="" if name == "cat" else "TestCam")
    Image.fromarray(photos["coffee"]).save(src / "coffee.png")  # same stem as coffee.jpg
    (src / "tiny.jpg").write_bytes(b"not an image")
    out = tmp_path / "set"
    made = runner.invoke(
        app, ["bench", "make", str(src), str(out), "--kinds", "photo-damage*,genuine-*"]
    )
    assert made.exit_code == 0, made.output
    cases = _manifest(out / "manifest.jsonl")
    assert len({c["id"] for c in cases}) == len(cases)
    kinds = {str(c["kind"]) for c in cases}
    assert all(k.startswith(("photo-damage", "genuine-other-photo")) for k in kinds)
    camera_files = {(src / f"{n}.jpg").read_bytes() for n in photos if n != "cat"}
    honest = [c for c in cases if c["kind"] == "genuine-other-photo"]
    assert honest
    for c in honest:  # an honest photo is a different photo, as is, that names a camera:
        # cat.jpg (no camera data) and coffee.png are sources of forgeries only
        assert (out / c["evidence"][0]).read_bytes() in camera_files  # type: ignore[index]
        assert c["evidence"][0] != c["references"][0]  # type: ignore[index]
    assert any("cat" in str(c["references"]) for c in cases)
    assert "tiny.jpg" in made.output  # skipped sources are named


def test_failing_case_is_recorded_not_lost_with_workers(
    tmp_path: Path, photos: dict[str, np.ndarray]
) -> None:
    _save(tmp_path / "a.jpg", photos["cat"])
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(
        json.dumps({"id": "ok", "evidence": ["a.jpg"], "label": "genuine"})
        + "\n"
        + json.dumps({"id": "gone", "evidence": ["missing.jpg"], "label": "forged", "kind": "x"})
        + "\n",
        "utf-8",
    )
    results = tmp_path / "r.jsonl"
    ran = runner.invoke(
        app, ["bench", "run", str(manifest), "--out", str(results), "--no-ocr", "--jobs", "2"]
    )
    assert ran.exit_code == 0, ran.output
    by_id = {r["id"]: r for r in _manifest(results)}
    assert set(by_id) == {"ok", "gone"}
    assert "missing.jpg" in str(by_id["gone"]["error"]) and by_id["gone"]["risk"] is None
    assert "error" not in by_id["ok"]
    scored = runner.invoke(app, ["bench", "score", str(manifest), str(results), "--json"])
    assert scored.exit_code == 0
    assert json.loads(scored.stdout)["errors"] == 1


def test_bad_manifest_exits_2_with_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trueclaim.cli.errors import error_handler

    manifest = tmp_path / "m.jsonl"
    manifest.write_text(
        '{"id": "a", "evidence": ["x.jpg"], "label": "forged"}\n{"id": "b", "oops": 1}\n'
    )
    for argv in (
        ["bench", "run", str(manifest), "--out", str(tmp_path / "r.jsonl")],
        ["bench", "score", str(manifest), str(tmp_path / "r.jsonl")],
    ):
        with pytest.raises(SystemExit) as info, error_handler():
            app(argv, standalone_mode=False)
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "line 2" in err and "oops" in err
