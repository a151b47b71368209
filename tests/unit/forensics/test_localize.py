"""Change localisation after alignment: a pasted patch is found inside its box."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
from scipy import ndimage
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
    # The re-synthesis search around a change adds a few JPEG-noisy islands on this texture.
    assert _iou(change.mask, truth) >= 0.55
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


def test_a_fit_pulled_off_by_a_tenth_of_the_frame_is_corrected_by_the_flow() -> None:
    """A large dent can pull the feature fit off the copy's plane by several percent of the
    frame at its corners; the flow over the rest still finds the plane and corrects it."""
    ref = cv2.resize(np.ascontiguousarray(data.chelsea()), (600, 400), interpolation=cv2.INTER_AREA)
    evidence = decode_image(encode(ref, "JPEG", quality=90)).pixels
    off = np.array([[1.0, 0.0, 60.0], [0.0, 1.0, 20.0], [0.0, 0.0, 1.0]])  # 10 % of the width
    change = localize_changes(ref, evidence, off, work_side=384)
    assert change.explained_fraction > 0.95
    assert change.residual_motion_px < 0.5
    assert change.mask.mean() < 0.002


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


def _dent(img: np.ndarray, centre: tuple[float, float], r: float, k: float) -> np.ndarray:
    """Push the surface in: magnify around ``centre`` with a Gaussian fall-off (no shading)."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xx - centre[0], yy - centre[1]
    g = np.exp(-((dx / r) ** 2 + (dy / r) ** 2))
    mx, my = centre[0] + dx * (1 - k * g), centre[1] + dy * (1 - k * g)
    out: np.ndarray = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return out


def test_a_broad_local_warp_does_not_count_as_parallax() -> None:
    """A wide, shallow dent moves the surface by a few pixels without a visible edge: the
    flow it leaves is local, so neither the residual motion nor the explained share pays, and
    the reference moved along that flow reproduces it, so it is marked as the edit."""
    ref = cv2.resize(np.ascontiguousarray(data.chelsea()), (600, 400), interpolation=cv2.INTER_AREA)
    ev = _dent(ref, (380.0, 220.0), 100.0, 0.1)
    cmap = localize_changes(ref, ev, np.eye(3), work_side=384)
    assert cmap.explained_fraction >= 0.95
    assert cmap.residual_motion_px < 0.5
    yy, xx = np.mgrid[0:400, 0:600]
    far = (xx - 380) ** 2 + (yy - 220) ** 2 > 200**2
    inside = (xx - 380) ** 2 + (yy - 220) ** 2 < 80**2
    assert cmap.mask[far].mean() < 0.02
    assert cmap.mask[inside].mean() > 0.6  # the pushed surface is the edit


def test_a_dent_in_a_copy_that_fills_the_frame_tolerates_more_motion_around_it() -> None:
    """A large dent leaves some motion around it (the fitted plane is biased). When the
    reference covers the whole evidence frame, as a copy's does, the dent still counts as a
    local warp; when the evidence sees past the reference's edges (another photo), the
    stricter stillness holds and the same motion stays unexplained."""
    ref = cv2.resize(np.ascontiguousarray(data.chelsea()), (600, 400), interpolation=cv2.INTER_AREA)
    h, w = ref.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bend = 0.9 * np.sin(xx / w * 3 * np.pi) * np.cos(yy / h * 2 * np.pi)
    ev = cv2.remap(ref, xx + bend, yy - bend, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    ev = _dent(ev, (380.0, 220.0), 100.0, 0.15)
    full = localize_changes(ref, ev, np.eye(3), work_side=384)
    assert full.compared_fraction > 0.95
    assert full.explained_fraction > 0.95 and full.residual_motion_px < 0.65
    beyond = np.concatenate([ev, cv2.resize(np.ascontiguousarray(data.coffee()), (600, 80))])
    partial = localize_changes(ref, beyond, np.eye(3), work_side=384)
    assert partial.compared_fraction < 0.9
    assert partial.explained_fraction < 0.9 and partial.residual_motion_px > 0.65


def test_parallax_everywhere_is_not_a_local_warp() -> None:
    """Motion spread over the whole image (a second photo of a scene) stays residual motion."""
    ref = cv2.resize(np.ascontiguousarray(data.chelsea()), (600, 400), interpolation=cv2.INTER_AREA)
    h, w = ref.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bend = 3.0 * np.sin(xx / w * 3 * np.pi) * np.cos(yy / h * 2 * np.pi)
    ev = cv2.remap(ref, xx + bend, yy - bend, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    cmap = localize_changes(ref, ev, np.eye(3), work_side=384)
    assert cmap.residual_motion_px > 1.0


def _resynthesised(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A textured photo with a dark blob whose surroundings were resampled and re-noised."""
    photo = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    ev = photo.astype(np.float32)
    yy, xx = np.mgrid[:1024, :1024]
    zone = np.hypot(yy - 420, xx - 640) < 48  # a margin of about half the blob radius
    small = cv2.resize(photo, (700, 700), interpolation=cv2.INTER_AREA)
    redone = cv2.resize(small, (1024, 1024), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    redone += rng.normal(0, 2.0, (1024, 1024, 1)).astype(np.float32)
    ev[zone] = redone[zone]
    blob = np.hypot(yy - 420, xx - 640) < 30
    ev[blob] = 25.0
    return photo, np.clip(ev, 0, 255).astype(np.uint8), zone


def test_resynthesised_margin_is_found_at_full_size() -> None:
    from trueclaim.forensics.localize import _fine_resynthesis

    photo, ev, zone = _resynthesised(np.random.default_rng(5))
    seed = np.hypot(*np.mgrid[-420:604, -640:384]) < 32  # what the coarse pass found
    valid = np.ones(seed.shape, bool)
    grown = _fine_resynthesis(photo, ev, np.eye(3), seed, valid)[0]
    assert _iou(grown, zone) > _iou(seed, zone) + 0.2
    assert not (grown & ~cv2.dilate(zone.astype(np.uint8), np.ones((25, 25))).astype(bool)).any()
    untouched = _fine_resynthesis(photo, photo, np.eye(3), seed, valid)[0]  # nothing resampled
    assert _iou(untouched, seed) > 0.9


def test_a_margin_is_kept_only_where_it_closes_around_the_change() -> None:
    from trueclaim.forensics.localize import _kept_margin

    d = np.hypot(*np.mgrid[-100:100, -100:100])
    valid = np.ones(d.shape, bool)
    traced = d < 30
    annulus = (d >= 30) & (d < 45)  # an editor's margin: all the way round
    assert (_kept_margin(traced | annulus, annulus, traced, valid) == (traced | annulus)).all()
    patch = annulus & (np.mgrid[-100:100, -100:100][1] > 20)  # one patch on one side
    kept = _kept_margin(traced | patch, patch, traced, valid)
    assert (kept == traced).all()
    assert (_kept_margin(traced, np.zeros_like(traced), traced, valid) == traced).all()
    # Pushed out: a kept margin grows by the outset, inside the valid area only; a dropped
    # patch does not come back.
    right = np.mgrid[-100:100, -100:100][1] > 0
    pushed = _kept_margin(traced | annulus, annulus, traced, valid & ~right, 2)
    assert pushed[~right & (d < 46)].all() and not pushed[~right & (d >= 48)].any()
    assert (pushed[right] == (traced | annulus)[right]).all()
    assert (_kept_margin(traced | patch, patch, traced, valid, 2) == traced).all()


def _feathered(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A dark blob whose surroundings were resampled and re-noised through a feathered brush,
    as the bench's forgeries are: the truth is where the brush's weight reaches one half."""
    photo = cv2.resize(data.astronaut(), (512, 512), interpolation=cv2.INTER_AREA)
    yy, xx = np.mgrid[:512, :512]
    cy, cx = rng.uniform(0.35, 0.65, 2) * 512
    d = np.hypot(yy - cy, xx - cx)
    weight = cv2.GaussianBlur((d < 36).astype(np.float32), (0, 0), 2.2)[..., None]
    small = cv2.resize(photo, (358, 358), interpolation=cv2.INTER_AREA)
    redone = cv2.resize(small, (512, 512), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    redone += rng.normal(0, 1.5, (512, 512, 1)).astype(np.float32)
    ev = photo * (1 - weight) + redone * weight
    ev[d < 22] = 25.0
    return photo, np.clip(ev, 0, 255).astype(np.uint8), weight[..., 0] > 0.5


@pytest.mark.parametrize("seed", [0, 2, 4])
def test_a_kept_margin_is_pushed_out_only_in_a_copy_that_lost_its_fine_detail(seed: int) -> None:
    """A softened copy shows a re-synthesised margin only where most of the zone was redone,
    short of its feathered edge: the kept margin is pushed out and meets the zone better. A
    sharp copy shows the margin to its edge, and nothing is pushed."""
    import trueclaim.forensics.localize as localize

    photo, sharp, zone = _feathered(np.random.default_rng(seed))
    soft = cv2.GaussianBlur(sharp, (0, 0), 0.8)
    valid = np.ones(zone.shape, bool)
    seed_mask = cv2.erode(zone.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    assert localize._fine_resynthesis(photo, sharp, np.eye(3), seed_mask, valid)[1] >= 0.9
    assert localize._fine_resynthesis(photo, soft, np.eye(3), seed_mask, valid)[1] < 0.9
    masks, pushed = {}, localize.MARGIN_OUTSET_PX
    for outset in (0, pushed):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(localize, "MARGIN_OUTSET_PX", outset)
            masks[outset] = tuple(
                localize.localize_changes(photo, ev, np.eye(3)).mask for ev in (sharp, soft)
            )
    assert (masks[0][0] == masks[pushed][0]).all()  # sharp: untouched
    assert masks[pushed][1].sum() > masks[0][1].sum()
    assert _iou(masks[pushed][1], zone) > _iou(masks[0][1], zone) + 0.01


def test_a_resynthesised_margin_round_the_change_stays_in_the_full_comparison() -> None:
    import trueclaim.forensics.localize as localize

    photo, ev, zone = _resynthesised(np.random.default_rng(5))
    kept = localize.localize_changes(photo, ev, np.eye(3)).mask
    # The upscaled photo has little fine detail, so the ring's correlation is low and the
    # band is also read from the correlation, averaged over BAND_SIGMA: this hard-edged zone
    # comes out about 3 px wider (an editor's brush is feathered there).
    assert _iou(kept, zone) > 0.85
    with pytest.MonkeyPatch.context() as mp:  # every margin dropped: the blob alone
        mp.setattr(localize, "MARGIN_MIN_COVER", 1.01)
        dropped = localize.localize_changes(photo, ev, np.eye(3)).mask
    assert _iou(dropped, zone) < 0.5


@pytest.mark.parametrize("seed", range(4))
def test_recompression_patches_beside_a_crack_are_not_a_margin(seed: int) -> None:
    """A crack recompressed at quality 60: what lights up beside it is not an editor's margin."""
    import trueclaim.forensics.localize as localize

    photo, edited, truth = _thin_crack(seed)
    reference = decode_image(encode(photo, "JPEG", quality=90)).pixels
    evidence = decode_image(encode(edited, "JPEG", quality=60)).pixels
    gated = localize.localize_changes(reference, evidence, np.eye(3)).mask
    with pytest.MonkeyPatch.context() as mp:  # every margin kept, as before the gate
        mp.setattr(localize, "MARGIN_MIN_COVER", 0.0)
        ungated = localize.localize_changes(reference, evidence, np.eye(3)).mask
    assert _iou(gated, truth) > _iou(ungated, truth) + 0.02
    assert gated.sum() < ungated.sum()


def _blobs(seed: int, shape: tuple[int, int] = (90, 130)) -> np.ndarray:
    """Random blobs with holes, some touching the border."""
    rng = np.random.default_rng(seed)
    field = cv2.GaussianBlur(rng.random(shape).astype(np.float32), (0, 0), 3.0)
    return np.asarray(field > np.quantile(field, 0.6))


@pytest.mark.parametrize("seed", range(6))
def test_mask_helpers_label_only_the_box_and_agree_with_whole_image_labelling(seed: int) -> None:
    from trueclaim.forensics.localize import _fill_holes, _reach, _reaches, _touching

    mask = _blobs(seed)
    h, w = mask.shape
    # Holes: background components away from the image edge, under 1% of the image.
    n, labels, stats, _ = cv2.connectedComponentsWithStats((~mask).astype(np.uint8), None, 4)
    holes = mask.copy()
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if x > 0 and y > 0 and x + bw < w and y + bh < h and area < 0.01 * h * w:
            holes[labels == i] = True
    assert np.array_equal(_fill_holes(mask), holes)
    # Touching: the components of the zone that hold a seed pixel.
    seeds = mask & (np.random.default_rng(seed).random(mask.shape) > 0.995)
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    assert np.array_equal(_touching(mask, seeds), np.isin(labels, labels[seeds]) & mask)
    # Reach: the pixels within 0.6 times each component's radius of it (Euclidean).
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), None, 8)
    reach = np.zeros(mask.shape, bool)
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        # The larger of the equal-area radius and a quarter of the diagonal (thin strokes).
        r = int(max(2.0, 0.6 * max(np.sqrt(area / np.pi), 0.25 * np.hypot(bw, bh))))
        reach |= ndimage.distance_transform_edt(labels != i) <= r
    assert np.array_equal(_reach(mask), reach)
    # Several reaches from one distance map each: the same as one call per factor.
    near, far = _reaches(mask, (0.6, 1.8))
    assert np.array_equal(near, reach) and np.array_equal(far, _reach(mask, 1.8))
    empty = np.zeros(mask.shape, bool)
    assert not _fill_holes(empty).any() and not _reach(empty).any()
    assert not _touching(empty, empty).any()


def _thin_crack(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 4-pixel dark stroke wandering over an upscaled photo; truth = pixels moved by 3+."""
    rng = np.random.default_rng(seed)
    photo = cv2.resize(np.ascontiguousarray(data.astronaut()), (1536, 1536), cv2.INTER_CUBIC)
    pts = [np.array([500.0, 700.0])]
    angle = rng.uniform(0, 2 * np.pi)
    for _ in range(14):
        angle += rng.normal(0, 0.4)
        pts.append(pts[-1] + 30 * np.array([np.cos(angle), np.sin(angle)]))
    edited = photo.copy()
    line = np.round(np.array(pts)).astype(np.int32)
    cv2.polylines(edited, [line], False, (30, 25, 20), 4, cv2.LINE_AA)
    truth = np.abs(edited.astype(int) - photo).max(axis=2) >= 3
    return photo, edited, truth


@pytest.mark.parametrize("seed", [0, 1])
def test_thin_change_is_traced_again_at_the_evidence_size(seed: int) -> None:
    """A working copy a third of the size draws a 4-pixel crack about 12 pixels wide."""
    from trueclaim.forensics.localize import _fine_core

    photo, edited, truth = _thin_crack(seed)
    coarse = cv2.dilate(truth.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    assert _iou(coarse, truth) < 0.45
    traced = _fine_core(photo, edited, np.eye(3), coarse, np.ones(truth.shape, bool), 3.0)
    assert _iou(traced, truth) > 0.85


def test_thin_change_untraced_in_colour_is_kept_as_found() -> None:
    from trueclaim.forensics.localize import _fine_core

    photo, _edited, truth = _thin_crack(0)
    coarse = cv2.dilate(truth.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    kept = _fine_core(photo, photo, np.eye(3), coarse, np.ones(truth.shape, bool), 3.0)
    assert np.array_equal(kept, coarse)


@pytest.mark.parametrize("seed", [0, 1])
def test_edges_of_a_found_change_do_not_grow_a_resynthesised_margin(seed: int) -> None:
    """A crack drawn on untouched pixels: its own edges must not read as re-synthesis."""
    import trueclaim.forensics.localize as localize

    photo, edited, truth = _thin_crack(seed)
    valid = np.ones(truth.shape, bool)
    grown = localize._fine_resynthesis(photo, edited, np.eye(3), truth, valid)[0]
    assert grown.sum() < 1.1 * truth.sum()
    with pytest.MonkeyPatch.context() as mp:  # averaging over the edges: a wide false margin
        mp.setattr(localize, "FINE_EXCLUDE_PX", 0)
        smeared = localize._fine_resynthesis(photo, edited, np.eye(3), truth, valid)[0]
    assert smeared.sum() > 2.0 * truth.sum()


@pytest.mark.parametrize("seed", range(4))
def test_jpeg_ringing_around_a_crack_is_not_a_resynthesised_margin(seed: int) -> None:
    """Recompression rings around a sharp dark stroke: detail rises there, it was not lost."""
    import trueclaim.forensics.localize as localize

    photo, edited, truth = _thin_crack(seed)
    reference = decode_image(encode(photo, "JPEG", quality=90)).pixels
    evidence = decode_image(encode(edited, "JPEG", quality=60)).pixels
    valid = np.ones(truth.shape, bool)
    grown = localize._fine_resynthesis(reference, evidence, np.eye(3), truth, valid)[0]
    with pytest.MonkeyPatch.context() as mp:  # a rise counted as readily as a loss
        mp.setattr(localize, "FINE_Z_GAIN", localize.FINE_Z)
        ringing = localize._fine_resynthesis(reference, evidence, np.eye(3), truth, valid)[0]
    assert _iou(grown, truth) > _iou(ringing, truth) + 0.07
    assert grown.sum() < 0.8 * ringing.sum()


def test_full_comparison_keeps_a_thin_crack_thin() -> None:
    import trueclaim.forensics.localize as localize

    photo, edited, truth = _thin_crack(0)
    evidence = decode_image(encode(edited, "JPEG", quality=90)).pixels
    found = localize.localize_changes(photo, evidence, np.eye(3)).mask
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(localize, "_fine_core", lambda _r, _e, _h, core, _v, _u: core)
        coarse = localize.localize_changes(photo, evidence, np.eye(3)).mask
    assert _iou(found, truth) > _iou(coarse, truth) + 0.05
    assert (found & truth).sum() > 0.9 * truth.sum()


def _crack_with_regenerated_margin(
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A dark crack on fur, with everything within 24 px of it re-synthesised (resampled to
    70 % and back, re-noised) as an AI editor does around its brush; JPEG 90. ``scale`` 2
    draws the edit twice as large on grass (a larger window is profiled on every second pixel).
    """
    rng = np.random.default_rng(seed)
    photo = np.ascontiguousarray(data.chelsea())
    h, w = photo.shape[:2]
    pts = [np.array([220.0, 150.0])]
    angle = rng.uniform(0, 2 * np.pi)
    for _ in range(14):
        angle += rng.normal(0, 0.4)
        pts.append(pts[-1] + 10 * np.array([np.cos(angle), np.sin(angle)]))
    line = np.round(np.array(pts)).astype(np.int32)
    stroke = np.zeros((h, w), np.uint8)
    cv2.polylines(stroke, [line], False, 1, 2)
    zone = cv2.distanceTransform(1 - stroke, cv2.DIST_L2, 5) < 24
    soft = cv2.GaussianBlur(zone.astype(np.float32), (0, 0), 3.0)[..., None]
    small = cv2.resize(photo, (round(w * 0.7), round(h * 0.7)), interpolation=cv2.INTER_AREA)
    redone = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    redone += rng.normal(0, 1.5, (h, w, 1)).astype(np.float32)
    edited = np.clip(photo * (1 - soft) + redone * soft, 0, 255).astype(np.uint8)
    cv2.polylines(edited, [line], False, (30, 25, 20), 2, cv2.LINE_AA)
    moved = np.abs(edited.astype(int) - photo).max(axis=2)
    crack = moved >= 40  # what the coarse pass finds: the crack itself, in pieces
    evidence = decode_image(encode(edited, "JPEG", quality=90)).pixels
    return photo, evidence, crack, (moved >= 3) | zone


@pytest.mark.parametrize("seed", range(4))
def test_regenerated_margin_beyond_the_reach_is_found_as_a_band(seed: int) -> None:
    """The margin reaches 1.5 crack radii: the pixel test (within 0.6 radii) cannot see it."""
    import trueclaim.forensics.localize as localize

    photo, evidence, crack, truth = _crack_with_regenerated_margin(seed)
    valid = np.ones(crack.shape, bool)
    grown = localize._fine_resynthesis(photo, evidence, np.eye(3), crack, valid)[0]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(localize, "BAND_T", float("inf"))
        without = localize._fine_resynthesis(photo, evidence, np.eye(3), crack, valid)[0]
    assert _iou(grown, truth) > 0.6
    assert _iou(grown, truth) > _iou(without, truth) + 0.3


def _degraded(rgb: np.ndarray, seed: int) -> np.ndarray:
    """The whole copy blurred (sigma 0.7), re-noised (sigma 4) and saved as JPEG 90: it keeps
    some but not most of the reference's fine detail, as a copy through the blur, noise or
    rescale evasions does."""
    rng = np.random.default_rng(100 + seed)
    soft = cv2.GaussianBlur(rgb.astype(np.float32), (0, 0), 0.7)
    noisy = np.clip(soft + rng.normal(0, 4.0, (*rgb.shape[:2], 1)), 0, 255).astype(np.uint8)
    return decode_image(encode(noisy, "JPEG", quality=90)).pixels


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_in_a_degraded_copy_the_band_is_found_by_the_fall_of_correlation(seed: int) -> None:
    """Blur and noise over the whole copy hide the margin's lost energy; its fine detail still
    stopped following the reference's, and profiled as a band that shows."""
    import trueclaim.forensics.localize as localize

    photo, evidence, crack, truth = _crack_with_regenerated_margin(seed)
    copy = _degraded(evidence, seed)
    valid = np.ones(crack.shape, bool)
    grown, kept = localize._fine_resynthesis(photo, copy, np.eye(3), crack, valid)
    assert localize.FINE_CORR_KEPT <= kept < localize.BAND_CORR_KEPT
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(localize, "BAND_CORR_KEPT", 0.0)
        by_energy = localize._fine_resynthesis(photo, copy, np.eye(3), crack, valid)[0]
    assert _iou(grown, truth) > _iou(by_energy, truth) + 0.15


@pytest.mark.parametrize("seed", [3, 4])
def test_a_degraded_copy_without_a_margin_gets_no_band_from_correlation(seed: int) -> None:
    import trueclaim.forensics.localize as localize

    photo, evidence, crack, _ = _crack_with_regenerated_margin(seed)
    plain = photo.copy()
    plain[crack] = evidence[crack]  # the crack, and nothing regenerated around it
    copy = _degraded(plain, seed)
    valid = np.ones(crack.shape, bool)
    grown, kept = localize._fine_resynthesis(photo, copy, np.eye(3), crack, valid)
    assert localize.FINE_CORR_KEPT <= kept < localize.BAND_CORR_KEPT  # the test ran
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(localize, "BAND_CORR_KEPT", 0.0)
        by_energy = localize._fine_resynthesis(photo, copy, np.eye(3), crack, valid)[0]
    assert (grown == by_energy).all()
    assert grown.sum() < 1.5 * crack.sum()


def test_a_sharp_copy_is_left_to_the_energy_band() -> None:
    """A copy that kept most of the reference's fine detail shows its margin's lost energy."""
    import trueclaim.forensics.localize as localize

    photo, evidence, crack, _ = _crack_with_regenerated_margin(0)
    valid = np.ones(crack.shape, bool)
    grown, kept = localize._fine_resynthesis(photo, evidence, np.eye(3), crack, valid)
    assert kept >= localize.BAND_CORR_KEPT
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(localize, "BAND_CORR_STEP", -1.0)  # any fall of correlation would be a band
        loose = localize._fine_resynthesis(photo, evidence, np.eye(3), crack, valid)[0]
    assert (grown == loose).all()


def _with_stray(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The regenerated crack, and its coarse find plus a stray false piece across the frame."""
    photo, evidence, crack, truth = _crack_with_regenerated_margin(seed)
    stray = crack.copy()
    stray[20:26, 20:26] = True  # in a corner, far from the crack
    return photo, evidence, crack, stray, truth


def test_pieces_of_one_crack_are_one_edit_and_a_stray_piece_another() -> None:
    import trueclaim.forensics.localize as localize

    _, _, crack, stray, _ = _with_stray(0)
    assert ndimage.label(crack)[1] > 1  # the crack is found in pieces
    edits = localize._edits(stray)
    assert len(edits) == 2
    assert (edits[0] == crack).all()
    assert edits[1].sum() == 36


@pytest.mark.parametrize("seed", range(4))
def test_a_false_change_far_away_does_not_stretch_the_band(seed: int) -> None:
    """Counted as part of the crack, a stray piece would set the crack's radius to the frame's."""
    import trueclaim.forensics.localize as localize

    photo, evidence, crack, stray, truth = _with_stray(seed)
    valid = np.ones(crack.shape, bool)
    alone = localize._fine_resynthesis(photo, evidence, np.eye(3), crack, valid)[0]
    grown = localize._fine_resynthesis(photo, evidence, np.eye(3), stray, valid)[0]
    assert abs(_iou(grown, truth) - _iou(alone, truth)) < 0.02


@pytest.mark.parametrize("seed", [0, 1])
def test_a_large_window_is_profiled_on_every_second_pixel_with_the_same_band(seed: int) -> None:
    import trueclaim.forensics.localize as localize

    """Beyond BAND_FULL_PX (lowered here) the smooth ratio is read on 2 x 2 blocks."""
    photo, evidence, crack, truth = _crack_with_regenerated_margin(seed)
    valid = np.ones(crack.shape, bool)
    steps: list[int] = []
    band = localize._resynthesis_band

    def spy(*args: Any, step: int = 1, **kwargs: Any) -> np.ndarray:
        steps.append(step)
        return band(*args, step=step, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(localize, "_resynthesis_band", spy)
        mp.setattr(localize, "BAND_FULL_PX", 10_000)
        halved = localize._fine_resynthesis(photo, evidence, np.eye(3), crack, valid)[0]
        mp.setattr(localize, "BAND_FULL_PX", 10**9)
        full = localize._fine_resynthesis(photo, evidence, np.eye(3), crack, valid)[0]
    assert steps == [2, 1]
    assert _iou(halved, full) > 0.9
    assert _iou(halved, truth) > 0.6


def test_detail_ratio_is_freed_of_what_detail_and_grey_level_explain() -> None:
    """JPEG takes more faint grain than strong texture, a tone curve more in the shadows:
    both are taken out before a margin is looked for, the local departure stays."""
    from trueclaim.forensics.localize import _level_free

    rng = np.random.default_rng(2)
    level = rng.uniform(0.0, 6.0, (200, 200)).astype(np.float32)
    tone = rng.uniform(0.0, 255.0, (200, 200)).astype(np.float32)
    ratio = (-0.8 / (1.0 + level) - 0.004 * (255.0 - tone)).astype(np.float32)
    ratio += rng.normal(0, 0.05, ratio.shape).astype(np.float32)
    zone = np.zeros(ratio.shape, bool)
    zone[90:110, 90:110] = True
    ratio[zone] -= 0.5  # a re-synthesised zone lost more
    freed = _level_free(ratio, ~zone, (level, tone))
    outside = freed[~zone]
    assert abs(np.corrcoef(outside, level[~zone])[0, 1]) < 0.2
    assert abs(np.corrcoef(outside, tone[~zone])[0, 1]) < 0.2
    assert np.std(outside) < 0.5 * np.std(ratio[~zone])
    assert np.median(freed[zone]) < np.median(outside) - 0.4


def test_a_trend_in_lost_detail_is_not_a_band() -> None:
    """A band is a plateau that ends; detail that fades slowly with distance is content."""
    from trueclaim.forensics.localize import _resynthesis_band

    seed = np.zeros((300, 300), bool)
    seed[140:160, 100:200] = True
    dist = cv2.distanceTransform((~seed).astype(np.uint8), cv2.DIST_L2, 5)
    rng = np.random.default_rng(0)
    noise = cv2.GaussianBlur(rng.normal(0, 0.3, seed.shape).astype(np.float32), (0, 0), 3.0)
    level = np.full(seed.shape, 2.0, np.float32)
    everywhere = np.ones(seed.shape, bool)
    plateau = np.where(dist < 30, -0.4, 0.0).astype(np.float32) + noise
    tone = np.full(seed.shape, 128.0, np.float32)
    band = _resynthesis_band(plateau, level, tone, seed, everywhere, everywhere)
    assert _iou(band, seed | (dist < 30)) > 0.8
    trend = (-0.1 + 0.1 * np.clip(dist / 60, 0, 1)).astype(np.float32) + noise
    assert not (_resynthesis_band(trend, level, tone, seed, everywhere, everywhere) & ~seed).any()


def test_detail_lost_with_brightness_is_a_tone_curve_not_a_band() -> None:
    """Gamma scales local contrast by brightness: a change on a dark object sees a loss that
    follows the grey level everywhere, not a plateau around the change."""
    import trueclaim.forensics.localize as localize

    seed = np.zeros((300, 300), bool)
    seed[140:160, 110:190] = True
    rng = np.random.default_rng(1)
    noise = cv2.GaussianBlur(rng.normal(0, 0.3, seed.shape).astype(np.float32), (0, 0), 3.0)
    level = np.full(seed.shape, 2.0, np.float32)
    everywhere = np.ones(seed.shape, bool)
    dist = cv2.distanceTransform((~seed).astype(np.uint8), cv2.DIST_L2, 5)
    tone = np.where(dist < 30, 40.0, 200.0).astype(np.float32)  # a dark object around it
    tone = cv2.GaussianBlur(tone, (0, 0), 3.0) + rng.normal(0, 20, seed.shape).astype(np.float32)
    ratio = (-0.6 * (1.0 - tone / 255.0)).astype(np.float32) + noise
    band = localize._resynthesis_band(ratio, level, tone, seed, everywhere, everywhere)
    assert (band & ~seed).sum() < 0.1 * seed.sum()
    flat = np.full(seed.shape, 128.0, np.float32)  # the tone left in: a false band
    false_band = localize._resynthesis_band(ratio, level, flat, seed, everywhere, everywhere)
    assert (false_band & ~seed).sum() > seed.sum()


def test_a_large_burn_on_a_smooth_backdrop_is_not_taken_for_noise() -> None:
    """A burn over a third of the photo, all of it on smooth backdrop: the smooth texture bins
    hold mostly burn. Their floor must not hide it, nor rise into every textured bin above."""
    import trueclaim.forensics.localize as localize

    photo = np.ascontiguousarray(data.astronaut())
    h, w = photo.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    burn = np.exp(-(((xx - w * 0.75) / (w * 0.25)) ** 2 + ((yy - h * 0.3) / (h * 0.25)) ** 2))
    burn = np.clip(1.6 * burn, 0, 1)[..., None]
    scorched = photo * (1 - 0.75 * burn) + np.array([70, 40, 15]) * 0.75 * burn
    edited = np.clip(scorched * burn + photo * (1 - burn), 0, 255).astype(np.uint8)
    truth = np.abs(edited.astype(int) - photo).max(axis=2) >= 3
    evidence = decode_image(encode(edited, "JPEG", quality=90)).pixels
    found = localize.localize_changes(photo, evidence, np.eye(3))
    assert _iou(found.mask, truth) > 0.6
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(localize, "FLOOR_CAP", float("inf"))
        hidden = localize.localize_changes(photo, evidence, np.eye(3))
    assert _iou(hidden.mask, truth) < 0.1


def _regrained(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A grainy photo with a dark blob whose surroundings got fresh grain of the same strength."""
    rng = np.random.default_rng(seed)
    base = cv2.resize(data.astronaut(), (768, 768), interpolation=cv2.INTER_CUBIC).astype(float)
    photo = np.clip(base + rng.normal(0, 4.0, (768, 768, 1)), 0, 255).astype(np.uint8)
    regrained = np.clip(base + rng.normal(0, 4.0, (768, 768, 1)), 0, 255).astype(np.uint8)
    distance = np.hypot(*np.mgrid[-380:388, -400:368])
    zone = distance < 60
    ev = photo.copy()
    ev[zone] = regrained[zone]
    ev[distance < 36] = 25
    # Both went through JPEG, as listing photos and uploads do: the ring is not identical.
    reference = decode_image(encode(photo, "JPEG", quality=92)).pixels
    evidence = decode_image(encode(ev, "JPEG", quality=90)).pixels
    return reference, evidence, zone, distance < 38


@pytest.mark.parametrize("seed", [0, 1])
def test_fresh_grain_of_the_same_strength_is_a_resynthesised_margin(seed: int) -> None:
    """The margin's detail energy is unchanged, its pattern is not: the correlation finds it."""
    import trueclaim.forensics.localize as localize

    photo, ev, zone, found = _regrained(seed)
    valid = np.ones(zone.shape, bool)
    grown = localize._fine_resynthesis(photo, ev, np.eye(3), found, valid)[0]
    assert _iou(grown, zone) > _iou(found, zone) + 0.15
    assert not (grown & ~cv2.dilate(zone.astype(np.uint8), np.ones((15, 15))).astype(bool)).any()
    with pytest.MonkeyPatch.context() as mp:  # energy alone sees little of the fresh grain
        mp.setattr(localize, "FINE_CORR_Z", np.inf)
        blind = localize._fine_resynthesis(photo, ev, np.eye(3), found, valid)[0]
    assert _iou(grown, zone) > _iou(blind, zone) + 0.1


def test_grain_renewed_everywhere_is_no_margin() -> None:
    """A copy re-noised as a whole (the noise evasion) decorrelates everywhere alike."""
    import trueclaim.forensics.localize as localize

    photo, ev, _zone, found = _regrained(0)
    rng = np.random.default_rng(9)
    plain = photo.copy()
    plain[found] = ev[found]  # the blob, and no margin
    renewed = np.clip(plain + rng.normal(0, 4.0, (*ev.shape[:2], 1)), 0, 255).astype(np.uint8)
    valid = np.ones(found.shape, bool)
    grown = localize._fine_resynthesis(photo, renewed, np.eye(3), found, valid)[0]
    assert grown.sum() < 1.2 * found.sum()


def _captioned(text: str, rng_seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The coffee photo with a dark blob painted in and ``text`` written over its top left,
    as a buyer captions a photo (a flat fill with a stroke, as phone editors draw it)."""
    from PIL import Image, ImageDraw, ImageFont

    photo = np.ascontiguousarray(data.coffee())
    edited, truth = _paste(photo, np.random.default_rng(rng_seed))
    canvas = Image.fromarray(edited)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=30)
    draw.text(
        (20, 20), text, fill=(255, 255, 255), font=font, stroke_width=2, stroke_fill=(0, 0, 0)
    )
    return photo, np.asarray(canvas), truth


def test_a_caption_written_over_the_photo_is_not_part_of_the_change() -> None:
    photo, captioned, truth = _captioned("refund pls")
    evidence = decode_image(encode(captioned, "JPEG", quality=90)).pixels
    change = localize_changes(photo, evidence, np.eye(3))
    assert len(change.captions) == 1
    x, y, w, h = change.captions[0]
    assert x <= 24 and y <= 28 and x + w >= 150 and h < 60  # the caption's line, boxed
    assert not change.mask[20:55, 20:170].any(), "the caption is marked as a change"
    assert _iou(change.mask, truth) >= 0.5, "the painted patch is lost"


def test_a_wide_scratch_is_not_taken_for_a_caption() -> None:
    photo = np.ascontiguousarray(data.coffee())
    edited = photo.copy()
    cv2.line(edited, (40, 60), (260, 72), (245, 245, 240), 5)  # wide and flat, but no text
    evidence = decode_image(encode(edited, "JPEG", quality=90)).pixels
    change = localize_changes(photo, evidence, np.eye(3))
    assert change.captions == ()
    assert change.mask[58:76, 60:240].mean() > 0.3


def test_text_already_printed_in_the_reference_stays_a_change() -> None:
    """Only text that the reference lacks is a caption: a changed line of printed text (a
    label retouched) is an edit of the goods' photo."""
    from PIL import Image, ImageDraw, ImageFont

    photo, _captioned_img, _truth = _captioned("refund pls")
    canvas = Image.fromarray(photo)
    ImageDraw.Draw(canvas).text(
        (20, 20), "best before", fill=(255, 255, 255), font=ImageFont.load_default(size=30)
    )
    printed = np.asarray(canvas)
    edited = Image.fromarray(printed.copy())
    ImageDraw.Draw(edited).text(
        (20, 20), "refund pls", fill=(255, 255, 255), font=ImageFont.load_default(size=30)
    )
    evidence = decode_image(encode(np.asarray(edited), "PNG")).pixels
    change = localize_changes(printed, evidence, np.eye(3))
    assert change.captions == ()
    assert change.mask[15:60, 15:200].any()


def test_a_caption_inside_a_content_box_is_boxed_in_the_evidence_pixels() -> None:
    """Screenshot framing: the comparison runs inside the content box, and the caption's box
    is given in the whole evidence's pixels, as the mask and regions are."""
    photo, captioned, _truth = _captioned("refund pls")
    h, w = captioned.shape[:2]
    framed = np.full((h + 120, w), 245, np.uint8)[..., None].repeat(3, axis=2)
    framed[80 : 80 + h] = captioned  # app chrome above and below the photo
    evidence = decode_image(encode(framed, "PNG")).pixels
    shift = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 80.0], [0.0, 0.0, 1.0]])
    change = localize_changes(photo, evidence, shift, content=(0, 80, w, h))
    assert len(change.captions) == 1
    x, y, cw, _ch = change.captions[0]
    assert x <= 24 and 80 <= y <= 80 + 28 and x + cw >= 150
    assert not change.mask[100:135, 20:170].any()


def _fruit(seed: int, size: int = 320) -> tuple[np.ndarray, np.ndarray]:
    """A grainy, round product on white (a listing shot of a fruit), and its area."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    c, radius = size / 2, 0.42 * size
    disc = (xx - c) ** 2 + (yy - c) ** 2 < radius**2
    grain = cv2.GaussianBlur(rng.normal(0, 1, (size, size)).astype(np.float32), (0, 0), 1.0)
    colour = np.array([200, 140, 40], np.float32) * (1 + 0.12 * grain[..., None] / grain.std())
    rounded = 1 - 0.25 * ((xx - c) ** 2 + (yy - c) ** 2) / radius**2
    photo = np.where(disc[..., None], colour * rounded[..., None], 255.0)
    return np.clip(photo, 0, 255).astype(np.uint8), disc


def _shaded(photo: np.ndarray, glare: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A dent's shading only (no warp): one side up to 13% brighter, the other as much darker,
    smoothly; a ``glare`` brightens both sides. The dent's zone is where it reaches 20%."""
    h, w = photo.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xx - 180.0, yy - 150.0
    g = np.exp(-((dx / 45.0) ** 2 + (dy / 45.0) ** 2))
    side = (dx * np.cos(0.7) + dy * np.sin(0.7)) / 45.0
    side = np.abs(side) if glare else side
    shade = 1 + 0.3 * np.clip(side, -1.5, 1.5) * g
    return np.clip(photo * shade[..., None], 0, 255).astype(np.uint8), g > 0.2


@pytest.mark.parametrize("seed", range(3))
def test_a_dents_shading_is_found_where_no_pixel_shows_it(seed: int) -> None:
    """A dent's shading moves no pixel of a grainy surface beyond its noise floor, but its two
    opposite lobes stand out of the averaged grey difference: the dent is marked, and the
    region scored by that statistic. Without the shading stage nothing is."""
    import trueclaim.forensics.localize as localize

    photo, _ = _fruit(seed)
    dented, zone = _shaded(photo)
    evidence = decode_image(encode(dented, "JPEG", quality=90)).pixels
    found = localize.localize_changes(photo, evidence, np.eye(3))
    assert _iou(found.mask, zone) > 0.5
    assert len(found.regions) == 1 and found.regions[0].score > 0.4
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(localize, "SHADE_Z", float("inf"))
        unseen = localize.localize_changes(photo, evidence, np.eye(3))
    assert unseen.mask.sum() < 0.05 * zone.sum()


def test_a_one_signed_brightening_is_no_dent() -> None:
    """A glare or a tone change brightens without the darker side a dent has: the shading
    stage, which takes pairs of opposite lobes only, leaves it to the other tests."""
    import trueclaim.forensics.localize as localize

    photo, disc = _fruit(0)
    nothing = np.zeros(disc.shape, bool)
    ref = photo.astype(np.float32)
    dent, _ = localize._shading(_shaded(photo)[0].astype(np.float32), ref, disc, nothing, disc)
    glare, _ = localize._shading(
        _shaded(photo, glare=True)[0].astype(np.float32), ref, disc, nothing, disc
    )
    assert dent.sum() > 2000
    assert not glare.any()


def test_a_bar_shifted_by_a_pixel_is_no_dent() -> None:
    """A dark bar one pixel off leaves a thin bright and a thin dark line along it: a pair of
    opposite lobes, but too thin for a dent's."""
    import trueclaim.forensics.localize as localize

    photo, disc = _fruit(0)
    ref, moved = photo.copy(), photo.copy()
    ref[:, 150:162] //= 2
    moved[:, 151:163] //= 2
    nothing = np.zeros(disc.shape, bool)
    args = (moved.astype(np.float32), ref.astype(np.float32), disc, nothing, disc)
    assert not localize._shading(*args)[0].any()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(localize, "SHADE_THICK", 0.0)
        assert localize._shading(*args)[0].sum() > 2000


def _marked(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A photo with a painted tear (dark, grainy) and, away from it, an arrow and an emoji
    sticker drawn in flat colours (as a buyer annotates a photo); returns the reference, the
    evidence, the tear's pixels and the marks' pixels."""
    photo = np.ascontiguousarray(data.astronaut())
    rng = np.random.default_rng(seed)
    out = photo.astype(np.float32)
    tear = np.zeros(photo.shape[:2], np.uint8)
    cv2.ellipse(tear, (330, 360), (48, 18), 25, 0, 360, 1, -1)
    grain = rng.normal(0, 8, photo.shape)
    out[tear > 0] = (np.array([45, 38, 30]) + grain)[tear > 0]
    drawn = np.zeros(photo.shape[:2], np.uint8)
    out = out.clip(0, 255).astype(np.uint8)
    cv2.arrowedLine(out, (60, 470), (150, 380), (40, 220, 90), 9, tipLength=0.4)
    cv2.arrowedLine(drawn, (60, 470), (150, 380), 1, 9, tipLength=0.4)
    cv2.circle(out, (420, 90), 34, (250, 200, 30), -1)
    cv2.circle(out, (420, 90), 34, (0, 0, 0), 4)
    cv2.circle(out, (408, 82), 5, (0, 0, 0), -1)
    cv2.circle(out, (432, 82), 5, (0, 0, 0), -1)
    cv2.circle(drawn, (420, 90), 36, 1, -1)
    return photo, out, tear > 0, drawn > 0


@pytest.mark.parametrize(("seed", "quality"), [(0, None), (1, None), (0, 90), (1, 90)])
def test_marks_drawn_over_the_photo_are_not_part_of_the_change(
    seed: int, quality: int | None
) -> None:
    """An arrow and an emoji sticker are flat, vivid colours their surroundings lack: they
    are reported apart (``marks``), losslessly saved or recompressed as a phone app does,
    and the painted tear stays the change."""
    photo, marked, tear, drawn = _marked(seed)
    file = encode(marked, "PNG") if quality is None else encode(marked, "JPEG", quality=quality)
    change = localize_changes(photo, decode_image(file).pixels, np.eye(3))
    assert len(change.marks) == 2
    assert not (change.mask & drawn).any()
    assert (change.mask & tear).sum() >= 0.9 * tear.sum()
    boxes = np.zeros(drawn.shape, bool)
    for x, y, w, h in change.marks:
        boxes[y : y + h, x : x + w] = True
    assert (boxes & drawn).sum() >= 0.95 * drawn.sum() and not (boxes & tear).any()
    assert len(change.regions) == 1


@pytest.mark.parametrize("quality", [None, 90])
def test_a_grainy_painted_tear_is_no_mark(quality: int | None) -> None:
    photo, marked, tear, _drawn = _marked(0)
    unmarked = photo.copy()
    unmarked[tear] = marked[tear]
    file = encode(unmarked, "PNG") if quality is None else encode(unmarked, "JPEG", quality=90)
    change = localize_changes(photo, decode_image(file).pixels, np.eye(3))
    assert change.marks == ()
    assert (change.mask & tear).sum() >= 0.9 * tear.sum()


def test_a_flat_grey_change_is_no_mark() -> None:
    """A flat dark disc (a hole painted in one tone) is as flat as a sticker but not vivid:
    it stays the change."""
    photo, _marked_photo, _tear, _drawn = _marked(0)
    holed = photo.copy()
    cv2.circle(holed, (300, 300), 30, (25, 25, 25), -1)
    change = localize_changes(photo, decode_image(encode(holed, "PNG")).pixels, np.eye(3))
    assert change.marks == ()
    assert change.mask[285:315, 285:315].all()


def _glared(photo: np.ndarray, size: float, amplitude: float) -> np.ndarray:
    """Glare of a photographed screen: a broad, smooth, grey brightening (``size`` of the
    frame wide) centred over the photo's upper left."""
    h, w = photo.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bump = np.exp(-(((xx - 150) / (size * w)) ** 2 + ((yy - 160) / (size * h)) ** 2))
    return np.clip(photo + amplitude * bump[..., None], 0, 255).astype(np.uint8)


@pytest.mark.parametrize(("size", "amplitude"), [(0.08, 50.0), (0.12, 30.0)])
def test_glare_over_a_copy_is_no_change_and_the_tear_beside_it_stays(
    size: float, amplitude: float
) -> None:
    photo, marked, tear, _drawn = _marked(0)
    torn = photo.copy()
    torn[tear] = marked[tear]
    glared = _glared(torn, size, amplitude)
    zone = np.abs(glared.astype(int) - torn).max(axis=2) >= 8
    evidence = decode_image(encode(glared, "JPEG", quality=92)).pixels
    change = localize_changes(photo, evidence, np.eye(3))
    assert (change.mask & tear).sum() >= 0.9 * tear.sum()
    assert (change.mask & zone & ~tear).sum() <= 0.05 * zone.sum()


def test_a_sharp_edged_grey_brightening_is_no_glare() -> None:
    """A pale patch painted over the photo rises by one grey offset too, but its edges are
    sharp: it stays a change."""
    photo = np.ascontiguousarray(data.astronaut())
    patched = photo.astype(np.int16)
    patched[120:260, 80:230] += 35
    evidence = decode_image(encode(np.clip(patched, 0, 255).astype(np.uint8), "PNG")).pixels
    change = localize_changes(photo, evidence, np.eye(3))
    assert change.mask[140:240, 100:210].mean() > 0.9
