"""Evidence that shows the scene past the reference's edges is another shot, not a copy.

A copy holds nothing of the scene that the reference lacks: what a screenshot shows round the
photo is app chrome on a plain ground. A second shop photo taken a step back or aside fits one
homography on the part both shots see, and goes on past the reference's frame with more of
the shelf (:func:`~trueclaim.forensics.derivation._beyond_reference`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import pytest
from skimage import data

from tests.conftest import derivation_codes
from trueclaim.bench.transforms import perspective, rotate, screenshot
from trueclaim.forensics import EngineParams
from trueclaim.forensics import derivation as D

ONLY = EngineParams(detectors=("derivation",))


def _scene(seed: int) -> np.ndarray:
    """A real textured photo at 900 x 600 with its own sensor noise."""
    photo = cv2.resize(
        np.ascontiguousarray(data.coffee()), (900, 600), interpolation=cv2.INTER_AREA
    )
    noise = np.random.default_rng(seed).normal(0, 2.0, photo.shape)
    return np.clip(photo + noise, 0, 255).astype(np.uint8)


def _zoomed_in(scene: np.ndarray) -> np.ndarray:
    """The middle 70% of ``scene``, shot again at full size (the camera a step closer)."""
    h, w = scene.shape[:2]
    y, x = round(h * 0.15), round(w * 0.15)
    return cv2.resize(scene[y : h - y, x : w - x], (w, h), interpolation=cv2.INTER_LINEAR)


def test_a_wider_shot_of_the_same_scene_is_not_derived() -> None:
    reference, evidence = _zoomed_in(_scene(1)), _scene(2)
    assert derivation_codes(evidence, reference) == set()


def test_without_the_rule_the_wider_shot_reads_as_a_copy() -> None:
    """The rule is what clears it: the part both shots see is one plane."""
    reference, evidence = _zoomed_in(_scene(1)), _scene(2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(D, "BEYOND_MIN_SHARE", 2.0)
        assert "derived-from-reference" in derivation_codes(evidence, reference)


def test_a_screenshot_of_the_reference_is_still_derived() -> None:
    """App chrome round the photo is beyond the reference's frame, but plain."""
    reference = _scene(1)
    evidence, _ = screenshot(reference, None, np.random.default_rng(3))
    assert "derived-from-reference" in derivation_codes(evidence, reference)


@pytest.mark.parametrize("transform", [perspective, rotate])
def test_a_slanted_or_turned_copy_is_still_derived(transform: Callable[..., Any]) -> None:
    """Both fill the whole frame from the reference's own pixels."""
    reference = _scene(1)
    evidence, _ = transform(reference, None, np.random.default_rng(5))
    assert "derived-from-reference" in derivation_codes(evidence, reference)


@pytest.mark.parametrize("gutter", [0, 8])
def test_a_collage_of_the_edited_listing_beside_another_photo_is_still_derived(
    gutter: int,
) -> None:
    """ "What I ordered, what I got": the other photo is textured ground past the listing's
    edges, but the two photos meet at a seam all along them."""
    reference = _scene(1)[::2, ::2]  # 450 x 300
    other = cv2.resize(
        np.ascontiguousarray(data.astronaut()), (300, 300), interpolation=cv2.INTER_AREA
    )
    edited = reference.copy()
    cv2.line(edited, (150, 100), (260, 190), (30, 20, 10), 5)
    collage = np.full((300, 750 + gutter, 3), 255, np.uint8)
    collage[:, :450], collage[:, 450 + gutter :] = edited, other
    assert "derived-with-local-edit" in derivation_codes(collage, reference)


def test_only_textured_ground_right_up_to_the_frame_counts() -> None:
    rng = np.random.default_rng(4)
    textured = rng.integers(0, 256, (400, 600, 3)).astype(np.uint8)
    flat = np.full((400, 600, 3), 240, np.uint8)
    # The reference (300 x 450) placed at (100, 50) of a 600 x 400 evidence: 44% lies outside.
    H = np.array([[1.0, 0.0, 100.0], [0.0, 1.0, 50.0], [0.0, 0.0, 1.0]])
    assert D._beyond_reference(textured, H, (300, 450, 3), None)
    assert not D._beyond_reference(flat, H, (300, 450, 3), None)
    # Texture far from the frame, plain ground along it: a screenshot's other content.
    far = flat.copy()
    far[:20], far[-20:] = textured[:20], textured[-20:]
    assert not D._beyond_reference(far, H, (300, 450, 3), None)
    # The content box leaves the outside out; a sliver under 5% does not count.
    assert not D._beyond_reference(textured, H, (300, 450, 3), (100, 50, 450, 300))
    sliver = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert not D._beyond_reference(textured, sliver, (392, 592, 3), None)
