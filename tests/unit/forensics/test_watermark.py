"""Watermark detector: dwtDct round trips for every payload, negatives, and visible marks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import pywt

from tests.conftest import encode
from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.dwtdct import PAYLOADS, block_bits, decode_all, haar_ll, vote
from trueclaim.forensics.errors import ForensicsError, InvalidParameter
from trueclaim.forensics.types import Finding, Severity
from trueclaim.forensics.visible_marks import match_mark
from trueclaim.forensics.watermark import PROVEN_KEY, detect

PAYLOAD = {p.name: p for p in PAYLOADS}


def _embed(image: np.ndarray, bits: tuple[int, ...], scale: float = 36.0) -> np.ndarray:
    """The imwatermark 0.2.0 dwtDct encoder (U channel, 4x4 blocks), as handed ``image`` (BGR).

    Written here from the scheme's description, independently of the decoder under test.
    """
    h, w = image.shape[:2]
    yuv = cv2.cvtColor(image, cv2.COLOR_BGR2YUV)
    ll, details = pywt.dwt2(yuv[: h // 4 * 4, : w // 4 * 4, 1], "haar")
    k = 0
    for i in range(ll.shape[0] // 4):
        for j in range(ll.shape[1] // 4):
            block = ll[i * 4 : (i + 1) * 4, j * 4 : (j + 1) * 4]
            flat = block.flatten()
            pos = int(np.argmax(np.abs(flat[1:]))) + 1
            value = flat[pos]
            magnitude = (abs(value) // scale + 0.25 + 0.5 * bits[k % len(bits)]) * scale
            block[pos // 4, pos % 4] = magnitude if value >= 0 else -magnitude
            k += 1
    yuv[: h // 4 * 4, : w // 4 * 4, 1] = pywt.idwt2((ll, details), "haar")
    return cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def _watermarked(rgb: np.ndarray, payload: str, style: str) -> np.ndarray:
    bits = PAYLOAD[payload].bits
    if style == "uint8-bgr":  # CompVis / Stability SD 1.x and 2.x reference scripts
        return _embed(np.ascontiguousarray(rgb[:, :, ::-1]), bits)[:, :, ::-1]
    if style == "float-bgr":  # Stability sgm (SDXL) and FLUX reference code
        return _to_uint8(
            _embed(np.ascontiguousarray(rgb[:, :, ::-1], dtype=np.float32), bits)[:, :, ::-1]
        )
    if style == "float-rgb":  # diffusers: RGB handed over as if it were BGR
        return _to_uint8(_embed(rgb.astype(np.float32), bits))
    raise AssertionError(style)


def _case(data: bytes, *, proven: bool = False) -> Case:
    cache = {PROVEN_KEY: {0}} if proven else {}
    return Case((Item(0, "evidence", data, analysis_max_side=1024),), (), _context(), cache)


def _context():  # type: ignore[no-untyped-def]
    from trueclaim.forensics.types import CaseContext

    return CaseContext()


def _run(data: bytes, *, proven: bool = False, **options: object) -> list[Finding]:
    return list(detect(_case(data, proven=proven), options))


@pytest.fixture
def big_photo() -> np.ndarray:
    """A detailed 512x512 photo (scikit-image's astronaut), the size SD models produce.

    The scheme is fragile on flat or bright content (ai-labels.md §4.15), so the round trips
    use a textured picture, as generator output usually is.
    """
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


def test_haar_ll_equals_pywavelets(photo: np.ndarray) -> None:
    for image in (photo, photo.astype(np.float32)):
        u = cv2.cvtColor(image, cv2.COLOR_RGB2YUV)[:, :, 1]
        u = u[: u.shape[0] // 2 * 2, : u.shape[1] // 2 * 2]
        np.testing.assert_array_equal(haar_ll(u), pywt.dwt2(u, "haar")[0])


def test_block_bits_equal_reference_loop(photo: np.ndarray) -> None:
    bgr = np.ascontiguousarray(photo[:262, :301, ::-1])  # sizes not multiples of 8
    h, w = bgr.shape[:2]  # the reference snippet of ai-labels.md §4.15, verbatim in substance
    u = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV)[: h // 4 * 4, : w // 4 * 4, 1]
    ll, _ = pywt.dwt2(u, "haar")
    expected = []
    for i in range(ll.shape[0] // 4):
        for j in range(ll.shape[1] // 4):
            f = ll[i * 4 : (i + 1) * 4, j * 4 : (j + 1) * 4].flatten()
            p = int(np.argmax(np.abs(f[1:]))) + 1
            expected.append(1 if abs(f[p]) % 36 > 18 else 0)
    np.testing.assert_array_equal(block_bits(bgr), np.array(expected, dtype=np.uint8))


def test_stripes_equal_whole_image(big_photo: np.ndarray) -> None:
    for as_float in (False, True):
        whole = block_bits(big_photo, cv2.COLOR_RGB2YUV, as_float=as_float, stripe_rows=4096)
        striped = block_bits(big_photo, cv2.COLOR_RGB2YUV, as_float=as_float, stripe_rows=24)
        np.testing.assert_array_equal(whole, striped)
    with pytest.raises(InvalidParameter, match="multiple of 8"):
        block_bits(big_photo, stripe_rows=12)


def test_vote_is_majority_per_bit() -> None:
    bits = np.array(
        [1, 0, 1, 1, 0, 0, 1, 0, 1], dtype=np.uint8
    )  # bit 0 gets 1,1,1; bit 1 gets 0,0,0; bit 2 gets 1,0,1
    assert vote(bits, 3) == (1, 0, 1)


@pytest.mark.parametrize(
    ("payload", "style"),
    [
        ("StableDiffusionV1", "uint8-bgr"),
        ("SDV2", "uint8-bgr"),
        ("SDXL 0xB3EC907BB19E", "float-bgr"),
        ("SDXL 0xB3EC907BB19E", "float-rgb"),
        ("FLUX 46-bit", "float-bgr"),
    ],
)
def test_roundtrip_detects_payload(big_photo: np.ndarray, payload: str, style: str) -> None:
    marked = _watermarked(big_photo, payload, style)
    findings = _run(encode(marked, "PNG"), ocr=False)
    hits = [f for f in findings if f.code == "invisible-watermark"]
    assert [f.data["payload"] for f in hits] == [payload]
    assert hits[0].severity is Severity.HIGH and 0.7 <= hits[0].score <= 0.95
    assert hits[0].data["matching_bits"] >= PAYLOAD[payload].min_matching


def test_clean_photo_and_tiny_image_have_no_watermark(
    big_photo: np.ndarray, photo: np.ndarray
) -> None:
    assert not _run(encode(big_photo, "PNG"), ocr=False)
    small = cv2.resize(_watermarked(big_photo, "SDV2", "uint8-bgr"), (200, 133))
    assert decode_all(small) == []  # the scheme needs 256x256


@pytest.mark.shared_data
@pytest.mark.parametrize("folder", ["camera", "screens/photos"])
def test_real_photos_give_no_watermark(shared_data: Path, folder: str) -> None:
    for path in sorted((shared_data / folder).rglob("*")):
        if not path.is_file():
            continue
        try:
            image = decode_image(path.read_bytes())
        except ForensicsError:  # unreadable fixtures are the decoder's tests' business
            continue
        hits = [r for r in decode_all(image.pixels) if r.hit]
        assert not hits, (path, [(r.payload.name, r.matching, r.variant) for r in hits])


@pytest.mark.parametrize(
    ("text", "expected", "vendor"),
    [
        ("豆包AI生成", True, "Doubao 豆包"),
        ("人工智能生成合成", True, None),
        ("AI合成", True, None),
        ("即梦AI", True, "Jimeng 即梦 / Dreamina"),
        ("Al生成", True, None),
        ("Contenuti generati dall'AI", True, "Samsung Galaxy AI"),
        ("Imagined with AI", True, "Meta AI"),
        ("AI generated", True, None),
        ("Fresh milk 1L", False, None),
        ("AIR", False, None),
    ],
)
def test_mark_matching(text: str, expected: bool, vendor: str | None) -> None:
    assert match_mark(text) == (expected, vendor)


def _with_caption(photo: np.ndarray, text: str) -> np.ndarray:
    canvas = cv2.resize(photo, (900, 600))
    cv2.rectangle(canvas, (560, 530), (890, 590), (255, 255, 255), -1)
    cv2.putText(canvas, text, (570, 575), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 3, cv2.LINE_AA)
    return canvas


def test_visible_mark_read_in_bottom_band(photo: np.ndarray) -> None:
    found = _run(encode(_with_caption(photo, "AI generated"), "PNG"), invisible=False)
    (f,) = [f for f in found if f.code == "visible-ai-mark"]
    assert f.data["band"] == "bottom" and f.regions
    box = f.regions[0]
    assert box.y > 450 and box.x > 500  # in original pixels, where the caption was drawn


def test_ocr_skipped_when_proven_tiny_or_disabled(photo: np.ndarray) -> None:
    data = encode(_with_caption(photo, "AI generated"), "PNG")
    assert not _run(data, proven=True, invisible=False)
    assert not _run(data, ocr=False, invisible=False)
    assert _run(data, proven=True, invisible=False, ocr_when_proven=True)
    tiny = encode(cv2.resize(_with_caption(photo, "AI generated"), (180, 120)), "PNG")
    assert not _run(tiny, invisible=False)


def test_plain_photo_has_no_visible_mark(photo: np.ndarray) -> None:
    assert not _run(encode(cv2.resize(photo, (900, 600)), "JPEG"), invisible=False)


def test_options_validated(photo: np.ndarray) -> None:
    with pytest.raises(InvalidParameter, match="Unknown watermark option"):
        _run(encode(photo, "PNG"), bogus=True)
    with pytest.raises(InvalidParameter, match="ocr_band_fraction"):
        _run(encode(photo, "PNG"), ocr_band_fraction=0.9)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "vendor"),
    [
        ("doubao_black_1x1_1.png", "Doubao 豆包"),
        ("jimeng_cap_A.png", "Jimeng 即梦 / Dreamina"),
        ("samsung_black_1.png", "Samsung Galaxy AI"),
    ],
)
def test_vendor_marks_in_shared_data(shared_data: Path, name: str, vendor: str) -> None:
    found = _run((shared_data / "ai/generators" / name).read_bytes(), invisible=False)
    (f,) = [f for f in found if f.code == "visible-ai-mark"]
    assert f.data["vendor"] == vendor and f.data["band"] == "bottom"
