"""A copy put through a strong colour filter is still aligned: the flow is not fooled by it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from trueclaim.forensics import localize
from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.localize import _local_contrast, localize_changes


def _filtered(rgb: np.ndarray, saturation: float, contrast: float) -> np.ndarray:
    """A phone app's filter: white balance, saturation, contrast and a lift."""
    f = rgb.astype(np.float32) * np.array([1.12, 1.0, 0.88], np.float32)
    grey = f.mean(axis=2, keepdims=True)
    f = grey + (f - grey) * saturation
    f = (f - 128.0) * contrast + 128.0 + 14.0
    return np.clip(f, 0, 255).astype(np.uint8)


def _stain(rgb: np.ndarray, centre: tuple[int, int], radius: int) -> tuple[np.ndarray, np.ndarray]:
    """A soft brown stain that keeps the texture under it; returns the image and its mask."""
    disc = np.zeros(rgb.shape[:2], np.uint8)
    cv2.circle(disc, centre, radius, 1, -1)
    alpha = cv2.GaussianBlur(disc.astype(np.float32), (0, 0), 2)[..., None]
    out = rgb * (1 - 0.55 * alpha) + np.array([40, 20, 0], np.float32) * alpha
    return np.clip(out, 0, 255).astype(np.uint8), alpha[..., 0] > 0.3


def test_local_contrast_ignores_a_grey_level_curve() -> None:
    rng = np.random.default_rng(0)
    grey = cv2.GaussianBlur(rng.integers(0, 255, (96, 96)).astype(np.uint8), (0, 0), 1.5)
    lifted = np.clip(grey.astype(np.float32) * 1.3 + 20, 0, 255).astype(np.uint8)
    a, b = _local_contrast(grey).astype(int), _local_contrast(lifted).astype(int)
    assert np.abs(a - b)[8:-8, 8:-8].mean() < 3.0
    # ... while the plain levels differ by tens of levels.
    assert np.abs(grey.astype(int) - lifted).mean() > 20


@pytest.mark.shared_data
def test_a_filtered_speckled_listing_copy_stays_still(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pear's speckles through a saturation and contrast filter: the plain flow jumps dots.

    The copy is pixel-exact in geometry, so after alignment nothing should move; on plain grey
    levels DIS reports pixels of motion over the speckles and the copy reads as another photo.
    """
    photo = next((shared_data / "grocery" / "Anjou" / "listing").glob("*.jpg"))
    listing = decode_image(photo.read_bytes()).pixels
    evidence, truth = _stain(_filtered(listing, 1.4, 1.25), (120, 45), 16)
    change = localize_changes(listing, evidence, np.eye(3))
    assert change.residual_motion_px < 0.5
    assert change.explained_fraction > 0.9
    assert (change.mask & truth).sum() > 0.8 * truth.sum(), "the stain was not found"

    monkeypatch.setattr(localize, "FLOW_PLANE_SHARE", 0.0)  # the plain flow only
    plain = localize_changes(listing, evidence, np.eye(3))
    assert plain.residual_motion_px > 1.0  # what failed the copy before
