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
