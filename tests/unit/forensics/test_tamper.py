from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import encode
from trueclaim.forensics import tamper
from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.errors import InvalidParameter
from trueclaim.forensics.types import CaseContext, Finding, Severity


def _run(data: bytes, **options: object) -> list[Finding]:
    item = Item(0, "evidence", data, analysis_max_side=1024)
    case = Case(evidence=(item,), references=(), context=CaseContext(), cache={})
    return list(tamper.detect(case, options))


def _decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.fixture
def coffee() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.coffee())


def test_quantization_tables_only_for_jpeg(photo: np.ndarray) -> None:
    tables = tamper.quantization_tables(encode(photo, "JPEG", quality=50))
    assert 0 in tables and tables[0].shape == (8, 8)
    assert tables[0][0, 0] > 1
    assert tamper.quantization_tables(encode(photo, "PNG")) == {}


def test_double_compression_is_seen(coffee: np.ndarray) -> None:
    once = encode(coffee, "JPEG", quality=90)
    twice = encode(_decode(encode(coffee, "JPEG", quality=60)), "JPEG", quality=90)
    assert not any(f.code == "double-jpeg" for f in _run(once))
    found = [f for f in _run(twice) if f.code == "double-jpeg"]
    assert found and found[0].severity.rank <= Severity.LOW.rank  # informative only


def test_double_compressed_paste_is_localised(coffee: np.ndarray) -> None:
    from skimage import data

    other = np.ascontiguousarray(data.astronaut()[::-1])  # never compressed
    forged = _decode(encode(coffee, "JPEG", quality=60)).copy()
    forged[60:200, 100:300] = other[60:200, 100:300]
    findings = _run(encode(forged, "JPEG", quality=90))
    assert any(f.code == "double-jpeg" for f in findings)
    local = [f for f in findings if f.code == "jpeg-inconsistency"]
    assert local and local[0].severity == Severity.MEDIUM and local[0].mask is not None
    box = local[0].regions[0]
    assert box.x <= 110 and box.x + box.width >= 290 and box.y <= 70 and box.y + box.height >= 190
    assert box.width * box.height < 0.4 * coffee.shape[0] * coffee.shape[1]


@pytest.mark.parametrize("q1, q2", [(60, 90), (50, 80)])
def test_honest_double_compression_is_not_localised(coffee: np.ndarray, q1: int, q2: int) -> None:
    twice = encode(_decode(encode(coffee, "JPEG", quality=q1)), "JPEG", quality=q2)
    assert not any(f.code in ("jpeg-inconsistency", "tamper-localized") for f in _run(twice))


def test_copy_move_is_found_and_localised(coffee: np.ndarray) -> None:
    forged = coffee.copy()
    forged[250:400, 380:540] = coffee[20:170, 20:180]
    findings = _run(encode(forged, "JPEG", quality=92))
    cm = [f for f in findings if f.code == "copy-move"]
    assert cm and cm[0].severity == Severity.MEDIUM
    labels = {r.label: r for r in cm[0].regions}
    copy = labels["copy"]
    assert 330 <= copy.x <= 430 and 200 <= copy.y <= 300
    assert abs(cm[0].data["dx"] - 360) < 10 and abs(cm[0].data["dy"] - 230) < 10


def test_copy_and_noise_agree_on_the_pasted_place(coffee: np.ndarray) -> None:
    import cv2

    rng = np.random.default_rng(0)
    noisy = np.clip(coffee.astype(np.float32) + rng.normal(0, 8, coffee.shape), 0, 255)
    noisy = noisy.astype(np.uint8)
    forged = noisy.copy()
    forged[250:400, 380:540] = cv2.GaussianBlur(noisy[20:170, 20:180], (0, 0), 1.2)  # smoothed copy
    findings = _run(encode(forged, "PNG"))
    local = [f for f in findings if f.code == "tamper-localized"]
    assert local and local[0].severity == Severity.MEDIUM and local[0].mask is not None
    box = local[0].regions[0]
    assert 360 <= box.x <= 420 and 230 <= box.y <= 300
    mask = local[0].mask
    assert mask[320, 460] and not mask[100, 100]


def _rotated_paste(img: np.ndarray, angle: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """``img`` with its patch [20:180, 20:180] turned, resized and pasted at [240:400, 380:540]."""
    import cv2

    patch = img[20:180, 20:180]
    m = cv2.getRotationMatrix2D((80, 80), angle, scale)
    warped = cv2.warpAffine(patch, m, (160, 160), flags=cv2.INTER_LINEAR)
    inside = cv2.warpAffine(np.full((160, 160), 255, np.uint8), m, (160, 160)) > 0
    forged = img.copy()
    forged[240:400, 380:540][inside] = warped[inside]
    ys, xs = np.nonzero(inside)
    return forged, np.array([380 + xs.min(), 240 + ys.min(), 380 + xs.max(), 240 + ys.max()])


@pytest.mark.parametrize("angle, scale", [(30, 0.8), (-45, 1.0)])
def test_rotated_and_scaled_copy_is_found(coffee: np.ndarray, angle: float, scale: float) -> None:
    forged, (x0, y0, x1, y1) = _rotated_paste(coffee, angle, scale)
    findings = _run(encode(forged, "JPEG", quality=92))
    cm = [f for f in findings if f.code == "copy-move"]
    assert cm and cm[0].severity == Severity.MEDIUM
    assert abs(abs(cm[0].data["rotation_deg"]) - abs(angle)) < 3
    assert abs(cm[0].data["scale"] - scale) < 0.05
    boxes = {r.label: r for r in cm[0].regions}
    src, copy = boxes["source"], boxes["copy"]
    if scale == 1.0 and src.x > copy.x:  # same size: which one is the original is undecidable
        src, copy = copy, src
    # keypoints lie inside the regions, a little short of their edges
    assert 10 <= src.x <= 60 and 10 <= src.y <= 60
    assert src.x + src.width >= 130 and src.y + src.height >= 130
    assert x0 - 10 <= copy.x <= x0 + 40 and y0 - 10 <= copy.y <= y0 + 40
    assert x1 - 40 <= copy.x + copy.width <= x1 + 10 and y1 - 40 <= copy.y + copy.height <= y1 + 10


def test_rotated_copy_still_counts_repeats(coffee: np.ndarray) -> None:
    from trueclaim.forensics.copy_move import find_copy_move

    forged, _ = _rotated_paste(coffee, 30, 0.8)
    found = find_copy_move(_decode(encode(forged, "JPEG", quality=92)))
    assert found is not None and found.clusters == 1
    tiled = np.tile(coffee[100:180, 200:280], (5, 7, 1))  # a repetitive scene
    repeats = find_copy_move(tiled)
    assert repeats is None or repeats.clusters > 2


def _ghosted(coffee: np.ndarray, q_paste: int, q_final: int) -> bytes:
    """Coffee with a grid-aligned patch of another photo, taken from a JPEG of ``q_paste``."""
    from skimage import data

    other = _decode(
        encode(np.ascontiguousarray(data.astronaut()[:400, :600]), "JPEG", quality=q_paste)
    )
    forged = coffee.copy()
    forged[96:240, 160:352] = other[96:240, 160:352]
    return encode(forged, "JPEG", quality=q_final)


def _inside(box: object, x0: int, y0: int, x1: int, y1: int, slack: int = 16) -> bool:
    from trueclaim.forensics.types import Region

    assert isinstance(box, Region)
    return (
        x0 - slack <= box.x
        and y0 - slack <= box.y
        and box.x + box.width <= x1 + slack
        and box.y + box.height <= y1 + slack
        and box.width * box.height >= 0.3 * (x1 - x0) * (y1 - y0)
    )


@pytest.mark.parametrize("q_paste, q_final", [(60, 92), (75, 95)])
def test_jpeg_ghost_finds_a_patch_from_a_lower_quality_jpeg(
    coffee: np.ndarray, q_paste: int, q_final: int
) -> None:
    findings = _run(_ghosted(coffee, q_paste, q_final))
    ghost = [f for f in findings if f.code == "jpeg-ghost"]
    assert ghost and ghost[0].severity.rank <= Severity.LOW.rank
    assert ghost[0].data["kind"] == "earlier"
    assert abs(ghost[0].data["quality"] - q_paste) <= 2
    assert _inside(ghost[0].regions[0], 160, 96, 352, 240)
    mask = ghost[0].mask
    assert mask is not None and mask[150, 250] and not mask[350, 50]


def test_jpeg_ghost_finds_fresh_paint_in_a_compressed_photo(coffee: np.ndarray) -> None:
    from skimage import data

    forged = _decode(encode(coffee, "JPEG", quality=70)).copy()
    forged[96:240, 160:352] = data.astronaut()[96:240, 160:352]  # never compressed
    ghost = [f for f in _run(encode(forged, "JPEG", quality=95)) if f.code == "jpeg-ghost"]
    assert ghost and ghost[0].data["kind"] == "fresh"
    assert _inside(ghost[0].regions[0], 160, 96, 352, 240)


@pytest.mark.parametrize("q1, q2", [(None, 92), (60, 90), (75, 95), (50, 80)])
def test_honest_photo_saved_once_or_twice_is_not_flagged(
    coffee: np.ndarray, photo: np.ndarray, q1: int | None, q2: int
) -> None:
    for img in (coffee, photo):
        data = encode(
            img if q1 is None else _decode(encode(img, "JPEG", quality=q1)), "JPEG", quality=q2
        )
        findings = _run(data)
        assert not any(f.code == "jpeg-ghost" for f in findings)
        assert not any(f.severity.rank >= Severity.MEDIUM.rank for f in findings)


def test_ghost_and_copy_agree_on_the_pasted_place(coffee: np.ndarray) -> None:
    low = _decode(encode(coffee, "JPEG", quality=60))
    forged = coffee.copy()
    forged[240:400, 376:536] = low[24:184, 16:176]  # a copy, on the grid, from a worse JPEG
    findings = _run(encode(forged, "JPEG", quality=95))
    codes = {f.code for f in findings}
    assert {"copy-move", "jpeg-ghost"} <= codes
    local = [f for f in findings if f.code == "tamper-localized"]
    assert local and local[0].severity == Severity.MEDIUM and local[0].score >= 0.5
    assert {"copy-move", "jpeg-ghost"} <= set(local[0].data["signals"])
    mask = local[0].mask
    assert mask is not None and mask[320, 456] and not mask[100, 580]


def test_ghost_and_gap_region_alone_do_not_agree(coffee: np.ndarray) -> None:
    from skimage import data

    forged = _decode(encode(coffee, "JPEG", quality=60)).copy()
    forged[60:200, 100:300] = np.ascontiguousarray(data.astronaut()[::-1])[60:200, 100:300]
    findings = _run(encode(forged, "JPEG", quality=90), copy_move_min_matches=1000)
    codes = {f.code for f in findings}
    assert "jpeg-inconsistency" in codes  # the one compression signal is enough on its own
    compression = {"jpeg-ghost", "jpeg-inconsistency"}
    for f in findings:
        if f.code == "tamper-localized":  # only with a signal of another family
            assert set(f.data["signals"]) - compression


def test_ijg_tables_and_quality_estimate(photo: np.ndarray) -> None:
    from trueclaim.forensics.jpeg_traces import estimate_quality, ijg_luma_table

    for q in (30, 60, 75, 92):
        table = tamper.quantization_tables(encode(photo, "JPEG", quality=q))[0]
        assert np.array_equal(table, ijg_luma_table(q))
        assert estimate_quality(table) == q


def test_clean_photo_has_no_copy_move(coffee: np.ndarray) -> None:
    findings = _run(encode(coffee, "JPEG", quality=92))
    assert not any(f.code in ("copy-move", "tamper-localized") for f in findings)


def test_noise_map_marks_a_denoised_patch(photo: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    import cv2

    gray = photo.mean(axis=-1).astype(np.float32)
    noisy = np.clip(gray + rng.normal(0, 12, gray.shape), 0, 255)
    noisy[60:160, 120:260] = cv2.GaussianBlur(gray, (0, 0), 1.5)[60:160, 120:260]  # smooth paste
    gray = noisy.astype(np.uint8)
    sigma = tamper.noise_map(gray, block_px=16)
    inside = np.nanmedian(sigma[60 // 16 + 1 : 160 // 16 - 1, 120 // 16 + 1 : 260 // 16 - 1])
    assert inside < np.nanmedian(sigma) / 2


def test_unknown_option_is_refused(photo: np.ndarray) -> None:
    with pytest.raises(InvalidParameter, match="copy_move"):
        _run(encode(photo), copy_move=False)


@pytest.mark.shared_data
def test_camera_files_are_not_flagged(shared_data: Path) -> None:
    files = sorted(p for p in (shared_data / "camera").rglob("*") if p.is_file())
    flagged = []
    n = 0
    for p in files[::2]:  # every other file keeps the test short; the benchmark runs all
        item = Item(0, "evidence", p.read_bytes(), analysis_max_side=1024)
        if not item.ok:
            continue
        n += 1
        case = Case(evidence=(item,), references=(), context=CaseContext(), cache={})
        for f in tamper.detect(case, {}):
            if f.severity.rank >= Severity.MEDIUM.rank and f.score >= 0.5:
                flagged.append((p.name, f.code))
    assert n >= 40
    assert len(flagged) <= 0.01 * n, flagged
