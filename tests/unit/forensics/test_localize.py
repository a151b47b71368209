"""Change localisation after alignment: a pasted patch is found inside its box."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from tests.conftest import encode
from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.localize import localize_changes


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def _paste(photo: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Paste a soft-edged patch from elsewhere in the photo (an 'AI' edit)."""
    h, w = photo.shape[:2]
    r = int(min(h, w) * 0.08)
    cy, cx = int(rng.integers(2 * r, h - 2 * r)), int(rng.integers(2 * r, w - 2 * r))
    alpha = np.zeros((h, w), np.float32)
    cv2.circle(alpha, (cx, cy), r, 1.0, -1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 1.5)[..., None]
    source = np.roll(photo, (h // 3, w // 3), axis=(0, 1)).astype(np.float32) * 0.6
    out = (photo * (1 - alpha) + source * alpha).clip(0, 255).astype(np.uint8)
    changed = np.abs(out.astype(int) - photo).max(axis=2) >= 3
    return out, changed


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pasted_patch_is_found_inside_its_box(seed: int) -> None:
    photo = np.ascontiguousarray(data.astronaut())
    edited, truth = _paste(photo, np.random.default_rng(seed))
    evidence = decode_image(encode(edited, "JPEG", quality=85)).pixels
    change = localize_changes(photo, evidence, np.eye(3))
    assert change.regions, "the patch was not found"
    ys, xs = np.nonzero(truth)
    top = change.regions[0]
    cx, cy = top.x + top.width / 2, top.y + top.height / 2
    assert xs.min() - 4 <= cx <= xs.max() + 4 and ys.min() - 4 <= cy <= ys.max() + 4
    assert _iou(change.mask, truth) >= 0.6
    assert change.explained_fraction > 0.85


def test_patch_is_found_through_a_rescale() -> None:
    photo = np.ascontiguousarray(data.astronaut())
    edited, _truth = _paste(photo, np.random.default_rng(5))
    small = cv2.resize(edited, (384, 384), interpolation=cv2.INTER_AREA)
    evidence = decode_image(encode(small, "JPEG", quality=90)).pixels
    H = np.diag([384 / 512, 384 / 512, 1.0])
    change = localize_changes(photo, evidence, H)
    # The truth at the evidence's size: every pixel the edit moved by 3 levels or more there.
    before = cv2.resize(photo, (384, 384), interpolation=cv2.INTER_AREA).astype(int)
    truth_small = np.abs(small.astype(int) - before).max(axis=2) >= 3
    assert _iou(change.mask, truth_small) >= 0.6


def test_recompressed_copy_shows_no_change() -> None:
    photo = np.ascontiguousarray(data.coffee())
    evidence = decode_image(encode(photo, "JPEG", quality=75)).pixels
    change = localize_changes(photo, evidence, np.eye(3))
    assert change.mask.mean() < 0.002
    assert change.explained_fraction > 0.95
    assert change.residual_motion_px < 0.5


def test_dark_crack_is_described_in_words() -> None:
    photo = np.ascontiguousarray(data.chelsea())
    edited = photo.copy()
    pts = np.array([[60, 200], [110, 190], [150, 215], [200, 205], [240, 230]], np.int32)
    cv2.polylines(edited, [pts], False, (20, 15, 10), 3)
    cv2.polylines(edited, [np.array([[150, 215], [170, 250]], np.int32)], False, (20, 15, 10), 3)
    change = localize_changes(photo, decode_image(encode(edited, "PNG")).pixels, np.eye(3))
    assert change.regions
    words = change.regions[0].description_en
    assert words.startswith("a dark, thin")
    assert "lower" in words
    assert (
        "左下方" in change.regions[0].description_zh or "下方" in change.regions[0].description_zh
    )
