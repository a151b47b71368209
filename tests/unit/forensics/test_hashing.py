"""Perceptual hashes and the content box: invariants, variants, framing."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from tests.conftest import encode
from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.framing import content_lines, find_content_box, plain_border
from trueclaim.forensics.hashing import (
    PDQ_MATCH_BITS,
    PHASH_MATCH_BITS,
    VARIANTS,
    closest_variant,
    compute_hashes,
    hamming_distance,
    transform_variant,
)


def _photos() -> list[np.ndarray]:
    return [
        np.ascontiguousarray(data.chelsea()),
        np.ascontiguousarray(data.astronaut()),
        np.ascontiguousarray(data.coffee()),
    ]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_distance_to_itself_is_zero(index: int) -> None:
    h = compute_hashes(_photos()[index])
    assert hamming_distance(h.pdq[0], h.pdq[0]) == 0
    assert hamming_distance(h.phash[0], h.phash[0]) == 0
    again = compute_hashes(_photos()[index].copy())
    assert np.array_equal(h.pdq, again.pdq) and np.array_equal(h.phash, again.phash)


def test_distance_is_symmetric_and_unrelated_photos_are_far() -> None:
    a, b, c = (compute_hashes(p, variants=False) for p in _photos())
    for x, y in ((a, b), (a, c), (b, c)):
        assert hamming_distance(x.pdq[0], y.pdq[0]) == hamming_distance(y.pdq[0], x.pdq[0])
        assert hamming_distance(x.phash[0], y.phash[0]) == hamming_distance(y.phash[0], x.phash[0])
        assert not closest_variant(x, y).is_match


@pytest.mark.parametrize("quality", [90, 95])
@pytest.mark.parametrize("index", [0, 1, 2])
def test_reencode_stays_under_the_match_threshold(index: int, quality: int) -> None:
    photo = _photos()[index]
    again = decode_image(encode(photo, "JPEG", quality=quality)).pixels
    original, reencoded = compute_hashes(photo), compute_hashes(again, variants=False)
    match = closest_variant(reencoded, original)
    assert match.variant == "identity"
    assert match.pdq_distance_bits <= PDQ_MATCH_BITS
    assert match.phash_distance_bits <= PHASH_MATCH_BITS


@pytest.mark.parametrize("variant", VARIANTS)
def test_mirror_and_rotation_variants_are_found(variant: str) -> None:
    photo = _photos()[0]
    reference = compute_hashes(photo)
    evidence = compute_hashes(transform_variant(photo, variant), variants=False)
    match = closest_variant(evidence, reference)
    assert match.variant == variant
    assert match.is_match
    assert match.mirrored == variant.startswith("mirror")


@pytest.mark.parametrize("variant", VARIANTS)
def test_variants_carried_by_the_evidence_name_the_same_transform(variant: str) -> None:
    photo = _photos()[1]
    reference = compute_hashes(photo, variants=False)
    evidence = compute_hashes(transform_variant(photo, variant))  # its eight variants
    match = closest_variant(evidence, reference)
    assert match.variant == variant  # reference -> evidence, as when the reference carries them
    assert match.is_match and match.mirrored == variant.startswith("mirror")
    assert match == closest_variant(
        compute_hashes(transform_variant(photo, variant), variants=False),
        compute_hashes(photo),
    )


def test_hamming_distance_refuses_different_lengths() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        hamming_distance(np.zeros(64, bool), np.zeros(256, bool))


def _screenshot(photo: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    h, w = photo.shape[:2]
    canvas = np.full((h + 420, w + 40, 3), 246, np.uint8)
    canvas[:36] = 20  # status bar with "icons"
    canvas[10:26, 12:60] = 230
    canvas[10:26, w - 40 : w - 4] = 230
    canvas[-60:] = 235  # navigation bar with labels
    canvas[-40:-30, 30:80] = 60
    y0, x0 = 180, 20
    canvas[y0 : y0 + h, x0 : x0 + w] = photo
    return canvas, (x0, y0, w, h)


def test_content_box_finds_the_photo_inside_a_screenshot() -> None:
    photo = _photos()[0]
    shot, (x, y, w, h) = _screenshot(photo)
    box = find_content_box(shot)
    assert box.framed
    assert abs(box.x - x) <= 6 and abs(box.y - y) <= 6
    assert abs(box.width - w) <= 12 and abs(box.height - h) <= 12
    hashed = compute_hashes(box.crop(shot), variants=False)
    assert closest_variant(hashed, compute_hashes(photo)).is_match


def test_content_box_leaves_an_unframed_photo_alone() -> None:
    photo = _photos()[1]
    box = find_content_box(photo)
    assert not box.framed
    assert (box.x, box.y, box.width, box.height) == (0, 0, photo.shape[1], photo.shape[0])


def test_content_box_keeps_a_colour_it_is_told_is_content() -> None:
    """Dark bars are stripped either way; the photo's own white margin only without a keep
    colour, and the strip stops at the first row of that colour."""
    photo = np.full((300, 400, 3), 252, np.uint8)
    photo[60:240] = cv2.resize(_photos()[0], (400, 180))
    shot = np.full((500, 400, 3), 18, np.uint8)
    shot[100:400] = photo
    plain = find_content_box(shot)
    assert abs(plain.y - 160) <= 4 and abs(plain.y + plain.height - 340) <= 4
    kept = find_content_box(shot, keep_colour=(250, 250, 250))
    assert abs(kept.y - 100) <= 4 and abs(kept.y + kept.height - 400) <= 4
    assert find_content_box(shot, lines=content_lines(shot)) == plain


def test_plain_border_is_a_listing_background_not_a_photo_edge() -> None:
    listing = np.full((200, 200, 3), (250, 248, 245), np.uint8)
    listing[40:160, 50:150] = (30, 90, 160)
    assert plain_border(listing) == (250, 248, 245)
    assert plain_border(_photos()[0]) is None
