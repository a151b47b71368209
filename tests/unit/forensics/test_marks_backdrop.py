"""Marks a buyer draws on the plain backdrop of a listing shot are no change to the goods."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from tests.conftest import encode
from trueclaim.forensics import localize
from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.localize import localize_changes


def _listing() -> tuple[np.ndarray, np.ndarray]:
    """A product (a disc of a real photo) on a white backdrop; returns it and its pixels."""
    canvas = np.full((320, 320, 3), 255, np.uint8)
    product = np.zeros((320, 320), np.uint8)
    cv2.circle(product, (170, 170), 95, 1, -1)
    photo = cv2.resize(np.ascontiguousarray(data.astronaut()), (320, 320))
    canvas[product > 0] = photo[product > 0]
    return canvas, product > 0


def _annotated(listing: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A painted tear on the product; a dull green emoji and a black caption on the
    backdrop. Returns the evidence, the tear's pixels and the marks' pixels."""
    out = listing.copy()
    tear = np.zeros(out.shape[:2], np.uint8)
    cv2.ellipse(tear, (190, 190), (40, 14), 30, 0, 360, 1, -1)
    grain = np.random.default_rng(0).normal(0, 8, out.shape)
    out = out.astype(np.float32)
    out[tear > 0] = (np.array([45, 38, 30]) + grain)[tear > 0]
    out = out.clip(0, 255).astype(np.uint8)
    drawn = np.zeros(out.shape[:2], np.uint8)
    cv2.circle(out, (38, 40), 22, (80, 95, 70), -1)  # grey-green: no vivid colour
    cv2.circle(out, (38, 40), 22, (0, 0, 0), 3)
    cv2.circle(out, (30, 34), 3, (0, 0, 0), -1)
    cv2.circle(out, (46, 34), 3, (0, 0, 0), -1)
    cv2.circle(drawn, (38, 40), 24, 1, -1)
    cv2.putText(out, "@buyer", (180, 305), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2)
    cv2.putText(drawn, "@buyer", (180, 305), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 1, 2)
    return out, tear > 0, drawn > 0


@pytest.mark.parametrize("quality", [None, 90])
def test_marks_on_a_listing_backdrop_are_reported_apart(quality: int | None) -> None:
    listing, _product = _listing()
    evidence, tear, drawn = _annotated(listing)
    file = encode(evidence, "PNG") if quality is None else encode(evidence, "JPEG", quality=quality)
    change = localize_changes(listing, decode_image(file).pixels, np.eye(3))
    assert not (change.mask & drawn).any()
    assert (change.mask & tear).sum() >= 0.9 * tear.sum()
    # The caption may be read as text first (``captions``); the emoji is a mark.
    boxes = np.zeros(drawn.shape, bool)
    for x, y, w, h in change.marks + change.captions:
        boxes[y : y + h, x : x + w] = True
    assert (boxes & drawn).sum() >= 0.9 * drawn.sum() and not (boxes & tear).any()
    assert len(change.marks) >= 1
    x, y, w, h = change.marks[0]
    assert x <= 16 and y <= 18 and x + w >= 60 and y + h >= 62


def test_the_same_marks_count_as_change_without_the_backdrop_rule() -> None:
    """The emoji is dull and lies on a flat backdrop: the general mark rule keeps it."""
    listing, _product = _listing()
    evidence, _tear, drawn = _annotated(listing)
    file = encode(evidence, "PNG")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(localize, "MARK_BACKDROP_SHARE", 1.01)
        change = localize_changes(listing, decode_image(file).pixels, np.eye(3))
    assert (change.mask & drawn).sum() > 0.5 * drawn.sum()


def test_a_stain_spilling_off_the_product_onto_the_backdrop_stays_a_change() -> None:
    """Damage lands on the goods: a soft stain that reaches over the product's edge onto the
    backdrop touches the product, so none of it is taken for a mark."""
    listing, product = _listing()
    stain = np.zeros(listing.shape[:2], np.float32)
    cv2.circle(stain, (95, 110), 40, 1.0, -1)
    stain = cv2.GaussianBlur(stain, (0, 0), 6)[..., None]
    evidence = (listing * (1 - 0.7 * stain) + np.array([90, 60, 30]) * 0.7 * stain).astype(np.uint8)
    change = localize_changes(listing, decode_image(encode(evidence, "PNG")).pixels, np.eye(3))
    core = (stain[..., 0] > 0.5) & ~product
    assert change.marks == ()
    assert (change.mask & core).sum() >= 0.9 * core.sum()
