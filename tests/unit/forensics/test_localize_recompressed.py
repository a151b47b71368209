"""JPEG ringing around a painted edge is told from a re-synthesised margin by recompressing.

A forger who paints a sharp crack into a listing photo and saves it as JPEG leaves ringing in
the blocks that hold the crack: the fine detail there gains energy and stops following the
reference, as an AI editor's regenerated margin does. Given the evidence file's own coding,
the localiser recompresses the reference with the change pasted in and counts only what that
does not explain.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from trueclaim.bench.forge import paint_damage
from trueclaim.bench.metrics import mask_iou
from trueclaim.forensics import EngineParams, derivation, verify
from trueclaim.forensics.case import Item
from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.jpeg_traces import jpeg_coding, recompressed

ONLY = EngineParams(detectors=("derivation",))


def _jpeg(rgb: np.ndarray, quality: int, **options: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality, **options)
    return buf.getvalue()


def _photo(side: int = 240) -> np.ndarray:
    return cv2.resize(np.ascontiguousarray(data.coffee()), (side, side * 2 // 3))


def test_recompressing_with_the_files_own_coding_nearly_changes_nothing() -> None:
    encoded = _jpeg(_photo(), 80)
    coding = jpeg_coding(encoded)
    assert coding is not None
    assert coding.subsampling == 2 and coding.block_px == 16
    decoded = decode_image(encoded).pixels
    again = recompressed(decoded, coding)
    assert np.abs(again.astype(int) - decoded).mean() < 0.5
    # ... while another quality does change it: the tables, not any JPEG, are reproduced.
    other = decode_image(_jpeg(decoded, 60)).pixels
    assert np.abs(other.astype(int) - decoded).mean() > 1.0


def test_only_colour_jpegs_have_a_coding() -> None:
    photo = _photo()
    assert jpeg_coding(_jpeg(photo, 90, subsampling=0)).block_px == 8  # type: ignore[union-attr]
    grey = _jpeg(cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY), 90)
    assert jpeg_coding(grey) is None
    png = io.BytesIO()
    Image.fromarray(photo).save(png, format="PNG")
    assert jpeg_coding(png.getvalue()) is None
    assert jpeg_coding(b"\xff\xd8\xff" + b"\x00" * 40) is None  # a header that does not parse


def _with_16_bit_tables(data: bytes) -> bytes:
    """The JPEG ``data`` with its quantisation tables rewritten at 16-bit precision, the last
    entry of each raised by 300 (over what a baseline table can hold)."""
    out, at = bytearray(data[:2]), 2
    while at < len(data):
        marker = data[at + 1]
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        segment = data[at + 4 : at + 2 + length]
        if marker == 0xDB:
            tables = bytearray()
            for start in range(0, len(segment), 65):
                tables.append(0x10 | (segment[start] & 0x0F))
                values = list(segment[start + 1 : start + 65])
                values[-1] += 300
                tables += struct.pack(">64H", *values)
            out += b"\xff\xdb" + struct.pack(">H", len(tables) + 2) + tables
        else:
            out += data[at : at + 2 + length]
        if marker == 0xDA:  # the scan: the rest is entropy-coded data
            return bytes(out + data[at + 2 + length :])
        at += 2 + length
    return bytes(out)


def test_tables_pillow_cannot_write_give_no_coding() -> None:
    extended = _with_16_bit_tables(_jpeg(_photo(), 90))
    with Image.open(io.BytesIO(extended)) as im:
        assert max(max(t) for t in im.quantization.values()) > 255  # read back as written
    assert jpeg_coding(extended) is None


def test_the_coding_is_used_only_on_the_files_own_pixel_grid() -> None:
    photo = _photo(240)
    small = Item(0, "evidence", _jpeg(photo, 85), analysis_max_side=1024)
    assert derivation._own_grid_coding(small) is not None
    # Decoded at a reduced size, the pixels no longer sit on the file's 8 x 8 grid.
    large = Item(0, "evidence", _jpeg(cv2.resize(photo, (2400, 1600)), 85), analysis_max_side=1024)
    assert derivation._own_grid_coding(large) is None
    # Nor once an EXIF orientation has turned them.
    exif = Image.Exif()
    exif[0x0112] = 6
    turned = Item(0, "evidence", _jpeg(photo, 85, exif=exif.tobytes()), analysis_max_side=1024)
    assert derivation._own_grid_coding(turned) is None


def _forged(
    shared_data: Path, product: str, regenerate: bool, seed: int
) -> tuple[bytes, bytes, np.ndarray]:
    """A listing photo, and a shatter painted into it saved as a JPEG (quality 85)."""
    listing = next((shared_data / "grocery" / product / "listing").glob("*.jpg")).read_bytes()
    pixels = decode_image(listing).pixels
    painted = paint_damage(
        pixels, np.random.default_rng(seed), damage="shatter", regenerate=regenerate
    )
    return listing, _jpeg(painted.image, 85), painted.mask


def _iou(listing: bytes, evidence: bytes, truth: np.ndarray) -> float:
    report = verify([evidence], [listing], params=ONLY)
    assert "derived-with-local-edit" in report.codes
    return mask_iou(truth, report.localization(0))


def _with_and_without_coding(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch, product: str, regenerate: bool, seed: int
) -> tuple[float, float]:
    """Mask IoU of one painted shatter when the file's coding is used, and when it is not."""
    listing, evidence, truth = _forged(shared_data, product, regenerate, seed)
    with_coding = _iou(listing, evidence, truth)
    with monkeypatch.context() as m:
        m.setattr(derivation, "_own_grid_coding", lambda item: None)
        without = _iou(listing, evidence, truth)
    return with_coding, without


@pytest.mark.shared_data
def test_ringing_is_not_drawn_as_a_margin_and_a_regenerated_margin_still_is(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain, plain_before = _with_and_without_coding(
        shared_data, monkeypatch, "Lemon", regenerate=False, seed=3
    )
    assert plain > 0.7
    assert plain_before < 0.4  # the ringing was drawn as a margin around the strokes
    regenerated, regenerated_before = _with_and_without_coding(
        shared_data, monkeypatch, "Zucchini", regenerate=True, seed=0
    )
    assert regenerated > 0.65
    assert regenerated > regenerated_before - 0.02
