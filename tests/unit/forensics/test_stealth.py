from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import encode
from trueclaim.forensics import verify
from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.params import EngineParams
from trueclaim.forensics.stealth import read_stealth_info

TEXT = "a red mug\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512"


def _embed(pixels: np.ndarray, magic: bytes, compressed: bool) -> np.ndarray:
    """Write a stealth block the way the WebUI extension does (column-major LSBs)."""
    payload = gzip.compress(TEXT.encode()) if compressed else TEXT.encode()
    bits = np.unpackbits(
        np.frombuffer(magic + (len(payload) * 8).to_bytes(4, "big") + payload, dtype=np.uint8)
    )
    out = pixels.copy()
    flat = out.transpose(1, 0, 2).reshape(-1) if out.ndim == 3 else out.T.reshape(-1)
    flat = flat.copy()
    flat[: bits.size] = (flat[: bits.size] & 0xFE) | bits
    if out.ndim == 3:
        return flat.reshape(out.shape[1], out.shape[0], out.shape[2]).transpose(1, 0, 2).copy()
    return flat.reshape(out.shape[1], out.shape[0]).T.copy()


@pytest.mark.parametrize("compressed", [False, True])
def test_alpha_round_trip_through_png(photo: np.ndarray, compressed: bool) -> None:
    alpha = np.full(photo.shape[:2], 255, dtype=np.uint8)
    magic = b"stealth_pngcomp" if compressed else b"stealth_pnginfo"
    rgba = np.dstack([photo, _embed(alpha, magic, compressed)])
    decoded = decode_image(encode(rgba, "PNG"))
    found = read_stealth_info(decoded.pixels, decoded.alpha)
    assert found is not None and found.text == TEXT and found.channel == "alpha"


def test_rgb_variant(photo: np.ndarray) -> None:
    pixels = _embed(photo, b"stealth_rgbcomp", True)
    decoded = decode_image(encode(pixels, "PNG"))
    found = read_stealth_info(decoded.pixels, decoded.alpha)
    assert found is not None and found.magic == "stealth_rgbcomp" and found.text == TEXT


def test_plain_photo_and_corrupt_payload_carry_nothing(photo: np.ndarray) -> None:
    assert read_stealth_info(photo, None) is None
    broken = _embed(photo, b"stealth_rgbcomp", False)  # claims gzip, holds plain text
    assert read_stealth_info(broken, None) is None


def test_detector_reports_generator_metadata_and_jpeg_is_skipped(photo: np.ndarray) -> None:
    pixels = _embed(photo, b"stealth_rgbinfo", False)
    params = EngineParams(detectors=("watermark",), detector_options={"watermark": {"ocr": False}})
    report = verify([encode(pixels, "PNG")], params=params)
    assert "generator-metadata" in report.codes
    report = verify([encode(pixels, "JPEG", quality=95)], params=params)
    assert "generator-metadata" not in report.codes


def test_real_webui_stealth_file(shared_data: Path) -> None:
    data = (shared_data / "ai/generator-chunks/automatic1111_stealth.png").read_bytes()
    decoded = decode_image(data)
    found = read_stealth_info(decoded.pixels, decoded.alpha)
    assert found is not None and found.magic == "stealth_pngcomp"
    assert "Steps:" in found.text
