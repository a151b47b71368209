"""The forgery generator: seeded, masks where the pixels changed, transforms keep alignment."""

from __future__ import annotations

import numpy as np
import pytest

from trueclaim.bench.forge import DAMAGES, DamageTexture, foreground_mask, paint_damage
from trueclaim.bench.transforms import TRANSFORMS, apply_transforms, crop, mirror, screenshot


@pytest.fixture
def texture(photo: np.ndarray) -> DamageTexture:
    grey = photo[:60, :60].mean(axis=2).astype(np.uint8)
    mask = np.zeros((60, 60), bool)
    mask[25:35, 5:55] = True
    return DamageTexture("test/bar", grey, mask)


@pytest.mark.parametrize("damage", DAMAGES)
def test_each_damage_is_seeded_and_masks_changed_pixels(
    photo: np.ndarray, texture: DamageTexture, damage: str
) -> None:
    a = paint_damage(photo, np.random.default_rng(3), damage=damage, textures=[texture])
    b = paint_damage(photo, np.random.default_rng(3), damage=damage, textures=[texture])
    assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask)
    assert a.image.shape == photo.shape and a.image.dtype == np.uint8
    assert a.mask.shape == photo.shape[:2] and a.mask.any()
    changed = np.any(a.image != photo, axis=2)
    # nothing changes outside the mask, and most of the mask really changed
    assert not (changed & ~a.mask).any()
    assert (changed & a.mask).sum() >= 0.3 * a.mask.sum()
    assert a.mask.mean() < 0.6


def test_different_seeds_differ(photo: np.ndarray) -> None:
    a = paint_damage(photo, np.random.default_rng(1))
    b = paint_damage(photo, np.random.default_rng(2))
    assert not np.array_equal(a.image, b.image)


def test_damage_lands_on_the_product_of_a_listing_shot() -> None:
    img = np.full((200, 240, 3), 250, np.uint8)  # white backdrop
    rng = np.random.default_rng(0)
    img[60:160, 70:190] = rng.integers(60, 140, size=(100, 120, 3), dtype=np.uint8)
    fg = foreground_mask(img)
    assert fg[60:160, 70:190].mean() > 0.9 and fg[:40].mean() < 0.05
    for seed in range(5):
        p = paint_damage(img, np.random.default_rng(seed), damage="stain", regenerate=False)
        ys, xs = np.nonzero(p.mask)
        assert 60 <= ys.mean() < 160 and 70 <= xs.mean() < 190


def test_texture_needs_textures(photo: np.ndarray) -> None:
    with pytest.raises(ValueError, match="needs textures"):
        paint_damage(photo, np.random.default_rng(0), damage="texture")
    with pytest.raises(ValueError, match="unknown damage"):
        paint_damage(photo, np.random.default_rng(0), damage="graffiti")


def _marked(shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[40:80, 60:150] = True
    return mask


def test_mirror_flips_the_mask(photo: np.ndarray) -> None:
    mask = _marked(photo.shape[:2])
    img, out = mirror(photo, mask, np.random.default_rng(0))
    assert out is not None
    assert np.array_equal(out, mask[:, ::-1]) and np.array_equal(img, photo[:, ::-1])


def test_crop_cuts_mask_and_image_alike(photo: np.ndarray) -> None:
    mask = _marked(photo.shape[:2])
    painted = photo.copy()
    painted[mask] = (255, 0, 255)
    img, out = crop(painted, mask, np.random.default_rng(4))
    assert out is not None and out.shape == img.shape[:2] and out.any()
    magenta = np.all(img == (255, 0, 255), axis=2)
    assert np.array_equal(magenta, out)


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_every_transform_keeps_the_mask_on_the_painted_pixels(photo: np.ndarray, name: str) -> None:
    mask = _marked(photo.shape[:2])
    painted = photo.copy()
    painted[mask] = (255, 0, 255)  # a colour the photo does not have
    img, out = apply_transforms(painted, mask, [name], np.random.default_rng(7))
    assert out is not None and out.shape == img.shape[:2] and out.any()
    again = apply_transforms(painted, mask, [name], np.random.default_rng(7))
    assert np.array_equal(again[0], img)
    px = img.astype(int)
    magenta = (px[..., 0] - px[..., 1] > 90) & (px[..., 2] - px[..., 1] > 90)
    if name in ("filter", "gamma"):
        return  # the colour moves; geometry is untouched by construction
    inside = magenta[out].mean()
    outside = magenta[~out].mean()
    assert inside > 0.8 and outside < 0.02


def test_unedited_photo_keeps_no_mask(photo: np.ndarray) -> None:
    img, out = apply_transforms(
        photo, None, ["crop", "rotate", "screenshot"], np.random.default_rng(0)
    )
    assert out is None and img.ndim == 3


def test_screenshot_frames_the_photo(photo: np.ndarray) -> None:
    mask = _marked(photo.shape[:2])
    img, out = screenshot(photo, mask, np.random.default_rng(1))
    assert img.shape[0] > img.shape[1]  # portrait phone screen
    assert out is not None and out.any()
    assert not out[:20].any() and not out[-20:].any()  # bars hold no painted pixels
