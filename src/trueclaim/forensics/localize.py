"""Align a reference onto an evidence image and find what was changed.

Steps (all at a working size, longest side ``work_side``):

1. Warp the reference onto the evidence with the homography (the reference is first reduced
   with area averaging when it is larger, so the warp does not alias).
2. Match blur: the reference is blurred by the amount (0 to 3 px) that best explains the
   evidence, so a softened or rescaled copy does not light up at every edge.
3. Match colours with a robust affine-plus-quadratic per-channel fit (colour filters, white
   balance, gamma), refitted without its outliers (the painted damage).
4. Difference per pixel: colour distance and gradient distance, each the minimum over one-pixel
   shifts of the reference (resampling and sub-pixel misalignment vanish; a crack does not),
   divided by a noise floor estimated from the image itself (median + MAD over the overlap,
   per texture bin, rising with texture; never below an absolute floor that covers JPEG
   noise, and a smooth bin never far above the textured ones: a large smooth edit is not
   noise).
5. Hysteresis threshold, closing, small components dropped, holes filled; regions grouped and
   described in words. A wide change that the OCR detector reads as a line of text, where the
   reference shows none, is a caption the buyer wrote over the photo ("damaged", a date, a
   handle): it is reported apart (``captions``), not as part of the painted change; so is a
   mark drawn over it (an arrow, an emoji sticker: flat, vivid colour its surroundings lack,
   laid over detail of the reference), as ``marks``. A broad, smooth, one-signed grey rise
   that keeps the reference's detail is the glare of a photographed screen, no change.
6. At the evidence's own size, inside and just around what was found: the change is traced
   again (a thin crack is one working pixel wide, several evidence pixels), and the soft
   margin an AI editor re-synthesises around its brush is looked for in the fine detail
   (its energy, and its correlation with the reference's), with the found change's own
   edges left out of that measure: pixel by pixel within a reach of the change, then as one
   band around each edit (the detail lost, profiled against the distance from the change,
   must fall to a plateau and end at one width; pieces of a change close together are one
   edit, a piece far away another; in a copy that lost most of the reference's fine detail,
   the fall of the two details' correlation is profiled the same way, unless the detail
   energy rose there: that is recompression ringing). Such a margin is kept only when it
   closes around the change (it covers at least ``MARGIN_MIN_COVER`` of the thin ring hugging
   it): patches on one side are what recompression and ringing light beside a sharp painted
   edge. In a copy that kept little of the reference's fine detail (blurred, resampled,
   re-noised), a kept margin is pushed out by ``MARGIN_OUTSET_PX``: its faint outer edge,
   where the editor's brush was feathered, no longer stands out of the degraded surroundings.

Besides the mask, :func:`localize_changes` measures how much of the evidence the reference
explains: the share of 15-pixel windows whose structure correlates with the reference (or that
are flat in both with the same colour). A derived image is explained almost everywhere except
the edit; a genuine photo of the same product from another viewpoint is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from trueclaim.forensics.framing import plain_border
from trueclaim.forensics.jpeg_traces import JpegCoding, recompressed
from trueclaim.forensics.order_stats import median, stable_argsort
from trueclaim.forensics.types import Mask, RGBImage

# OpenCV's stubs type every result as a generic array, so working images are typed loosely.
FloatImage = npt.NDArray[Any]
_SHIFTS = [(dx, dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
_NEAR_CHANGE = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (13, 13))


@dataclass(frozen=True, slots=True)
class ChangeRegion:
    """One changed region, boxed in evidence analysis pixels."""

    x: int
    y: int
    width: int
    height: int
    score: float  # in [0, 1]: how far above the noise floor the change stands
    area_fraction: float  # of the product area (the reference's non-background footprint)
    description_en: str
    description_zh: str


@dataclass(frozen=True, slots=True, eq=False)
class ChangeMap:
    """Where the evidence differs from the aligned reference, and how well the rest agrees.

    ``mask`` has the evidence analysis image's shape. ``explained_fraction`` is the share of
    the compared area whose local structure the reference reproduces; ``compared_fraction``
    the share of the evidence content covered by the warped reference.
    """

    mask: Mask
    regions: tuple[ChangeRegion, ...]
    explained_fraction: float
    compared_fraction: float
    changed_fraction: float  # of the product area
    noise_floor: float
    # 75th percentile of the optical flow left after the homography, away from the changes,
    # in pixels of the coarser of the two images
    residual_motion_px: float
    work_side: int
    # text written over the photo, left out of ``mask``: (x, y, width, height), analysis pixels
    captions: tuple[tuple[int, int, int, int], ...] = ()
    # marks drawn over the photo (stickers, arrows), left out of ``mask``: as ``captions``
    marks: tuple[tuple[int, int, int, int], ...] = ()


def localize_changes(
    reference: RGBImage,
    evidence: RGBImage,
    homography: npt.NDArray[np.float64],
    *,
    content: tuple[int, int, int, int] | None = None,
    work_side: int = 512,
    high_z: float = 3.2,
    low_z: float = 1.8,
    min_region_fraction: float = 0.0006,
    jpeg: JpegCoding | None = None,
) -> ChangeMap:
    """Locate regions where the evidence differs from the reference warped onto it.

    Parameters
    ----------
    reference, evidence : (H, W, 3) uint8 ndarray
        Analysis-size images; ``homography`` maps reference pixels to evidence pixels.
    homography : (3, 3) float ndarray
    content : (x, y, width, height), optional
        The evidence's content box in its pixels; changes outside it are ignored.
    work_side : int, optional
        Longest side of the evidence while comparing.
    high_z, low_z : float, optional
        Hysteresis thresholds, in noise-floor units.
    min_region_fraction : float, optional
        Components smaller than this share of the compared area are dropped.
    jpeg : JpegCoding, optional
        The evidence file's JPEG coding, given only when ``evidence`` holds the file's own
        pixels (full size, not rotated): the re-synthesised margin is then judged against
        what that coding does around a change (:func:`_recompressed_window`).

    Returns
    -------
    ChangeMap
    """
    if content is not None:
        cx, cy, cw, ch = (int(v) for v in content)
        cx, cy = max(0, cx), max(0, cy)
        cw, ch = min(cw, evidence.shape[1] - cx), min(ch, evidence.shape[0] - cy)
        # The box is found on a 256-pixel copy: step a few pixels inside its edges.
        inset = int(np.ceil(2.0 * max(evidence.shape[:2]) / 256.0))
        if cx > 0:
            cx, cw = cx + inset, cw - inset
        if cy > 0:
            cy, ch = cy + inset, ch - inset
        if cx + cw < evidence.shape[1]:
            cw -= inset
        if cy + ch < evidence.shape[0]:
            ch -= inset
        if (cw, ch) != (evidence.shape[1], evidence.shape[0]) and cw > 8 and ch > 8:
            # Compare inside the content box only, at the full working size: a photo inside
            # a tall screenshot keeps its detail.
            shift = np.array([[1.0, 0.0, -cx], [0.0, 1.0, -cy], [0.0, 0.0, 1.0]])
            inner = _localize_in_frame(
                reference,
                evidence[cy : cy + ch, cx : cx + cw],
                shift @ homography,
                work_side=work_side,
                high_z=high_z,
                low_z=low_z,
                min_region_fraction=min_region_fraction,
                jpeg=jpeg,
                jpeg_origin=(cx, cy),
            )
            mask = np.zeros(evidence.shape[:2], bool)
            mask[cy : cy + ch, cx : cx + cw] = inner.mask
            regions = tuple(replace(r, x=r.x + cx, y=r.y + cy) for r in inner.regions)
            captions = tuple((x + cx, y + cy, w, h) for x, y, w, h in inner.captions)
            marks = tuple((x + cx, y + cy, w, h) for x, y, w, h in inner.marks)
            return replace(inner, mask=mask, regions=regions, captions=captions, marks=marks)
    return _localize_in_frame(
        reference,
        evidence,
        homography,
        work_side=work_side,
        high_z=high_z,
        low_z=low_z,
        min_region_fraction=min_region_fraction,
        jpeg=jpeg,
    )


def _localize_in_frame(
    reference: RGBImage,
    evidence: RGBImage,
    homography: npt.NDArray[np.float64],
    *,
    work_side: int,
    high_z: float,
    low_z: float,
    min_region_fraction: float,
    jpeg: JpegCoding | None = None,
    jpeg_origin: tuple[int, int] = (0, 0),
) -> ChangeMap:
    content = None
    eh, ew = evidence.shape[:2]
    s = min(1.0, work_side / max(eh, ew))
    wsize = (max(8, round(ew * s)), max(8, round(eh * s)))
    ev = cv2.resize(evidence, wsize, interpolation=cv2.INTER_AREA) if s < 1 else evidence.copy()
    Hw = np.diag([wsize[0] / ew, wsize[1] / eh, 1.0]) @ homography
    ref_scale = _local_scale(Hw, reference.shape)
    ref: FloatImage = reference
    if ref_scale < 0.8:  # reference larger than it appears: reduce first, then warp
        f = max(ref_scale, 1e-3)
        rsize = (max(8, round(reference.shape[1] * f)), max(8, round(reference.shape[0] * f)))
        ref = cv2.resize(reference, rsize, interpolation=cv2.INTER_AREA)
        Hw = Hw @ np.diag([reference.shape[1] / rsize[0], reference.shape[0] / rsize[1], 1.0])
    box = np.zeros((wsize[1], wsize[0]), bool)
    cx, cy, cw, ch = content or (0, 0, ew, eh)
    box[round(cy * s) : round((cy + ch) * s), round(cx * s) : round((cx + cw) * s)] = True
    warped = cv2.warpPerspective(
        ref, Hw, wsize, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    ones = np.full(ref.shape[:2], 255, np.uint8)
    footprint = cv2.warpPerspective(ones, Hw, wsize, flags=cv2.INTER_NEAREST, borderValue=0) > 0
    for _ in range(REFINE_PASSES):  # a second pass polishes what a coarse first fit left
        correction, flow_points, flow_residuals, flow_dense = _refine(warped, ev, footprint & box)
        if correction is None:
            break
        Hw = correction @ Hw
        warped = cv2.warpPerspective(
            ref, Hw, wsize, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        footprint = cv2.warpPerspective(ones, Hw, wsize, flags=cv2.INTER_NEAREST, borderValue=0) > 0
    # Stay clear of the footprint's and the content box's edges: JPEG ringing lives there.
    valid = cv2.erode((footprint & box).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    compared = float(valid.sum()) / max(1.0, float(box.sum()))
    if valid.sum() < 64:
        return ChangeMap(np.zeros((eh, ew), bool), (), 0.0, compared, 0.0, 0.0, 0.0, work_side)

    evf: FloatImage = ev.astype(np.float32)
    # Blur of the evidence relative to the reference: upscaled references are softer too.
    blur = 0.5 * max(0.0, ref_scale - 1.0)
    if blur > 0.3:
        evf = cv2.GaussianBlur(evf, (0, 0), blur)
    reff = _match_blur(warped.astype(np.float32), evf, valid)
    reff = _match_colours(reff, evf, valid, samples=COLOUR_SAMPLES)

    product = valid & ~_background(warped, valid)
    if product.sum() < 0.1 * valid.sum():
        product = valid
    agree = _agreement(reff, evf)
    explained = _explained_fraction(agree, valid)

    d_col = _min_shift_distance(evf, reff)
    grads = _gradients(reff)
    d_grad = _min_shift_distance(_gradients(evf), grads)
    texture = _texture(grads)
    bins = _texture_bins(texture, product)
    floor_c = _noise_floor(d_col, bins, product, 6.0)
    floor_g = _noise_floor(d_grad, bins, product, 6.0)
    d_tex = _texture_change(evf, reff)
    floor_t = _noise_floor(d_tex, bins, product, 0.35)
    raw = np.maximum(np.maximum(d_col / floor_c, 0.7 * d_grad / floor_g), d_tex / floor_t)
    raw[~valid] = 0.0
    z = cv2.GaussianBlur(raw, (0, 0), 1.0)
    small = _hysteresis(raw, z, high_z, low_z)
    small = cv2.morphologyEx(
        small.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)
    ).astype(bool)
    small &= valid
    small = _drop_small(small, max(6, int(min_region_fraction * valid.sum())))
    small = _fill_holes(small)
    small, caption_boxes = _drop_captions(small, ev, reff)
    small = _drop_glare(small, evf, reff, valid)
    # A dent's shading: a change of its own where it lies apart from the found changes (it is
    # traced and grown like them), only added to the mask where it lies over them.
    shade, shade_z = _shading(evf, reff, product, small, valid, caption_boxes)
    apart = _apart(shade, small)
    small |= apart
    shade &= ~apart
    core = small
    core = small
    grown_margin = np.zeros(small.shape, bool)
    if small.any():
        small = _grow_into_resynthesis(small, d_col, bins, product, valid)
        grown_margin = small & ~core
    unit = max(1.0, ref_scale)
    warp = np.zeros(small.shape, bool)
    if flow_dense is not None:
        still = WARP_STILL_FULL_PX if compared >= WARP_FULL_COVER else WARP_STILL_PX
        warp, pushed = _local_warps(
            flow_dense, flow_points, flow_residuals, unit, valid, agree, small, texture > 8.0, still
        )
        if warp.any():
            # A dent or liquify stroke: the reference, locally pushed. The evidence is judged
            # on what is around it; where the pushed reference reproduces it, it is an edit.
            small = small | _explained_by_flow(pushed, flow_dense, reff, evf)
            explained = _explained_fraction(agree, valid & ~warp)
    mask = _upsized(small, (ew, eh))
    traced = mask
    reduce = np.diag([ref.shape[1] / reference.shape[1], ref.shape[0] / reference.shape[0], 1])
    to_ev = np.diag([ew / wsize[0], eh / wsize[1], 1.0]) @ Hw @ reduce
    if small.any():
        valid_full = (
            cv2.resize(valid.astype(np.uint8), (ew, eh), interpolation=cv2.INTER_NEAREST) > 0
        )
        # The working copy's hysteresis draws a thin crack a few pixels wider than it is:
        # trace the change again at the evidence's own size, inside what was found.
        # Nothing grown or pushed: the core is the mask, drawn the same way.
        core_full = mask if np.array_equal(core, small) else _upsized(core, (ew, eh))
        grown = mask & ~core_full
        traced = _fine_core(reference, evidence, to_ev, core_full, valid_full, 1 / s)
        mask = traced | grown
        # The working copy's colour differences miss most of a re-synthesised margin
        # (resampled, re-noised): look for it in the fine detail at the evidence's own size,
        # around what was found.
        found, kept_detail = _fine_resynthesis(
            reference, evidence, to_ev, mask, valid_full, jpeg=jpeg, jpeg_origin=jpeg_origin
        )
        margin = (found & ~mask) | _upsized(grown_margin, (ew, eh))
        outset = MARGIN_OUTSET_PX if kept_detail < MARGIN_SHARP_CORR else 0
        mask = _kept_margin(found, margin & ~traced, traced, valid_full, outset)
    if shade.any():
        small |= shade
        mask |= _upsized(shade, (ew, eh))
    mask, marks = _drop_marks(mask, traced, evidence, reference, to_ev)
    if marks:
        drawn = np.zeros(mask.shape, np.uint8)
        for x, y, w, h in marks:
            drawn[y : y + h, x : x + w] = 1
        # The working copy's changes that hold a mark go too (its regions, its share).
        under = cv2.resize(drawn, wsize, interpolation=cv2.INTER_AREA) > 0
        small, core = small & ~_touching(small, under), core & ~_touching(core, under)
    # A shading change is scored by its own statistic, in the hysteresis' units.
    strength = np.maximum(z, shade_z * (high_z / SHADE_Z))
    regions = _regions(
        small, core, strength, ev, reff, product, (cx * s, cy * s, cw * s, ch * s), 1.0 / s
    )
    changed = float((small & product).sum()) / max(1.0, float(product.sum()))
    floor = median(floor_c[product])
    # Flow near a change follows the change (DIS patches straddle it): leave a margin. Motion
    # is measured in pixels of the coarser image: an upscaled 200-pixel listing photo moves
    # by two working pixels where it moved by one of its own.
    near = cv2.dilate((small | warp).astype(np.uint8), _NEAR_CHANGE).astype(bool)
    motion = _residual_motion(flow_points, flow_residuals, agree & ~near) / unit
    captions = tuple(
        (round(x / s), round(y / s), max(1, round(w / s)), max(1, round(h / s)))
        for x, y, w, h in caption_boxes
    )
    return ChangeMap(
        mask, regions, explained, compared, changed, floor, motion, work_side, captions, marks
    )


def _upsized(mask: Mask, size: tuple[int, int]) -> Mask:
    """A working-size mask at the evidence's ``size`` (width, height): bilinear, cut at half.

    An empty mask stays empty without the resize (a blend of zeros is zero).
    """
    if not mask.any():
        return np.zeros((size[1], size[0]), bool)
    out: Mask = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_LINEAR) >= 0.5
    return out


# A dent (a pushed-in surface) changes no pixel by much: its shading brightens one side and
# darkens the other, smoothly, over the whole dent. Averaged at SHADE_SIGMA of the product's
# size (the square root of its area), the signed grey difference shows it as two lobes of
# opposite sign; a lobe reaches SHADE_Z robust sigmas of that average over the product (plus
# SHADE_FLOOR grey levels) and extends to SHADE_LOW.
SHADE_SIGMA = 0.02
SHADE_Z = 4.0
SHADE_LOW = 2.0
SHADE_FLOOR = 1.0
SHADE_EXCLUDE = 2.0  # found changes, and this many sigmas round them, are left out of the average
SHADE_BALANCE = 3.0  # the two lobes' peaks within this factor of each other
SHADE_THICK = 1.5  # each lobe holds a disc of this many sigmas: a shifted edge gives thin pairs
SHADE_MAX_AREA = 0.5  # of the product: a tone or light change over the whole frame is no dent
# A shading change that overlaps found changes by less than this share of its pixels is a change
# of its own (traced and grown like them); otherwise it only adds its pixels to the mask.
SHADE_OVERLAP = 0.3


def _shading(
    ev: FloatImage,
    ref: FloatImage,
    product: Mask,
    found: Mask,
    valid: Mask,
    captions: Sequence[tuple[float, float, float, float]] = (),
) -> tuple[Mask, FloatImage]:
    """Smooth shading changes (a dent) that no single pixel shows, as pairs of opposite lobes.

    The signed grey difference of the colour-matched copies is averaged at ``SHADE_SIGMA``
    of the product's size over the product, away from the found changes (their own edges and
    margins would spread into the average) and from ``captions``. A positive and a negative
    lobe that lie within three sigmas of each other, of comparable strength
    (``SHADE_BALANCE``) and each at least ``SHADE_THICK`` sigmas thick, are joined (closed
    over the gap between them) into one change. One-signed differences are not taken: a tone
    curve or a filter's residue brightens or darkens a whole object, and an edge shifted by a
    fraction of a pixel gives a thin pair along it.

    Returns the joined pairs and the absolute statistic, in robust sigmas, inside them (0
    elsewhere).
    """
    area = int(product.sum())
    out = np.zeros(found.shape, bool)
    if area < 256:
        return out, np.zeros(found.shape, np.float32)
    sigma = max(2.0, SHADE_SIGMA * float(np.sqrt(area)))
    grey = cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY)
    diff = cv2.cvtColor(ev, cv2.COLOR_RGB2GRAY) - grey
    side = 2 * max(2, round(SHADE_EXCLUDE * sigma)) + 1
    near = cv2.dilate(found.astype(np.uint8), np.ones((side, side), np.uint8)).astype(bool)
    usable = product & ~near
    for x, y, w, h in captions:
        usable[int(y) : int(np.ceil(y + h)), int(x) : int(np.ceil(x + w))] = False
    weight = usable.astype(np.float32)
    cover = cv2.GaussianBlur(weight, (0, 0), sigma)
    smooth = cv2.GaussianBlur(diff * weight, (0, 0), sigma) / np.maximum(cover, 1e-3)
    sample = smooth[product][:: max(1, area // 20000)]
    med = median(sample)
    spread = 1.4826 * median(np.abs(sample - med)) + SHADE_FLOOR
    z = (smooth - med) / spread
    z[~product | (cover < 0.3)] = 0.0
    min_px = max(6, int(0.002 * area))
    pos = _drop_small(_hysteresis(z, z, SHADE_Z, SHADE_LOW) & valid, min_px)
    neg = _drop_small(_hysteresis(-z, -z, SHADE_Z, SHADE_LOW) & valid, min_px)
    if not pos.any() or not neg.any():
        return out, np.zeros(found.shape, np.float32)
    n_pos, pos_labels = cv2.connectedComponents(pos.astype(np.uint8), connectivity=8)
    n_neg, neg_labels = cv2.connectedComponents(neg.astype(np.uint8), connectivity=8)
    reach = int(np.ceil(3 * sigma))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    negatives = {k: neg_labels == k for k in range(1, n_neg)}
    strong = {k: float(-z[q].min()) for k, q in negatives.items()}
    thick = {k: _thickness(q) >= SHADE_THICK * sigma for k, q in negatives.items()}
    for i in range(1, n_pos):
        p = pos_labels == i
        if _thickness(p) < SHADE_THICK * sigma:
            continue
        zp = float(z[p].max())
        grown = cv2.dilate(p.astype(np.uint8), disc).astype(bool)
        for k in np.unique(neg_labels[grown]):
            if k == 0 or not thick[k] or max(zp, strong[k]) > SHADE_BALANCE * min(zp, strong[k]):
                continue
            pair = cv2.morphologyEx((p | negatives[k]).astype(np.uint8), cv2.MORPH_CLOSE, disc)
            if pair.sum() <= SHADE_MAX_AREA * area:
                out |= _fill_holes(pair.astype(bool)) & valid
    strength: FloatImage = np.where(out, np.abs(z), 0.0).astype(np.float32)
    return out, strength


def _apart(zone: Mask, found: Mask) -> Mask:
    """The parts of ``zone`` overlapping ``found`` by under ``SHADE_OVERLAP`` of their pixels."""
    if not zone.any():
        return zone.copy()
    n, labels = cv2.connectedComponents(zone.astype(np.uint8), connectivity=8)
    total = np.bincount(labels.ravel(), minlength=n)
    inside = np.bincount(labels[found], minlength=n)
    keep = inside < SHADE_OVERLAP * total
    keep[0] = False
    out: Mask = keep[labels]
    return out


def _thickness(part: Mask) -> float:
    """The radius of the largest disc inside ``part`` (half its thickness)."""
    box = _bounding_box(part)
    if box is None:
        return 0.0
    inner = np.pad(part[box], 1).astype(np.uint8)
    return float(cv2.distanceTransform(inner, cv2.DIST_L2, cv2.DIST_MASK_5).max())


def _refine(
    warped: FloatImage, ev: FloatImage, footprint: Mask
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, FloatImage | None]:
    """Polish the alignment with dense optical flow; measure the motion one plane cannot absorb.

    Flow from the warped reference to the evidence is sampled on textured pixels and one
    corrective homography is fitted to it. A derived copy is absorbed to a fraction of a pixel;
    a second photo of a 3-D scene from a slightly different place keeps moving by a pixel or
    more (parallax). When a quarter of the samples or more fit no plane, the flow of
    contrast-normalised levels is tried too (see ``FLOW_PLANE_SHARE``): a colour filter
    misleads the plain flow on fine texture. Returns the correction (or None), the sampled
    points (N, 2), their residual motion in working pixels (N,) and the residual flow at every
    pixel, (H, W, 2) (or None when no plane was fitted).
    """
    gr = cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY)
    ge = cv2.cvtColor(ev, cv2.COLOR_RGB2GRAY)
    inner = cv2.erode(footprint.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    mag = cv2.magnitude(cv2.Sobel(gr, cv2.CV_32F, 1, 0), cv2.Sobel(gr, cv2.CV_32F, 0, 1))
    step = max(2, round(max(gr.shape) / 128))
    sample = np.zeros(gr.shape, bool)
    sample[::step, ::step] = True
    pick = sample & inner & (mag > 20.0)
    none = np.zeros((0, 2), np.float32), np.zeros(0, np.float32)
    if pick.sum() < 40:
        return None, *none, None
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)  # type: ignore[attr-defined]
    ys, xs = np.nonzero(pick)
    src = np.column_stack([xs, ys]).astype(np.float32)
    flow = dis.calc(gr, ge, None)
    H, residual = _flow_plane(src, flow[ys, xs])
    on_plane = 0 if residual is None else int(np.count_nonzero(residual < 1.0))
    if on_plane < FLOW_PLANE_SHARE * len(src):
        # A quarter of the flow or more fits no plane: parallax, or a filter that moved the
        # grey levels and sent DIS onto neighbouring texture. Flow on contrast-normalised
        # levels settles the second: its plane is kept when more points follow it than the
        # plain one and at least that share does. Parallax stays: it moves those levels too.
        # The dense residual stays the plain flow's: local warps (dents) are judged on it,
        # and the normalised flow smooths a dent's few pixels of push away.
        flow_n = dis.calc(_local_contrast(gr), _local_contrast(ge), None)
        H_n, residual_n = _flow_plane(src, flow_n[ys, xs])
        if residual_n is not None and int(np.count_nonzero(residual_n < 1.0)) >= max(
            on_plane + 1, FLOW_PLANE_SHARE * len(src)
        ):
            H, residual = H_n, residual_n
    if H is None or residual is None:
        return None, *none, None
    h, w = gr.shape
    gy, gx = np.indices((h, w), dtype=np.float32)  # as np.mgrid, without its int64 copy
    grid = np.dstack([gx, gy])
    moved = cv2.perspectiveTransform(grid.reshape(-1, 1, 2), H).reshape(h, w, 2) - grid
    dense: FloatImage = flow - moved
    corners = np.array([[[0, 0]], [[w, 0]], [[w, h]], [[0, h]]], np.float64)
    shift = np.abs(cv2.perspectiveTransform(corners, H) - corners).max()
    if not np.isfinite(shift) or shift > REFINE_MAX_SHIFT * max(h, w):
        return None, src, residual, dense
    return H, src, residual, dense


def _flow_plane(src: np.ndarray, motion: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The homography that the flow at ``src`` follows (RANSAC, 1 px), and each point's residual."""
    dst = src + motion
    cv2.setRNGSeed(20251124)  # reproducible: the same inputs give the same correction
    H, _inl = cv2.findHomography(src, dst, cv2.RANSAC, 1.0, maxIters=500)
    if H is None:
        return None, None
    proj = cv2.perspectiveTransform(src.reshape(-1, 1, 2), H).reshape(-1, 2)
    return H, np.linalg.norm(proj - dst, axis=1).astype(np.float32)


def _local_contrast(grey: np.ndarray) -> np.ndarray:
    """Grey levels freed of their local mean and contrast (over ``FLOW_NORM_SIGMA``), for the
    flow (uint8, centred at 128).

    A filter's contrast, tone curve or saturation change moves the grey levels of the copy
    against the reference's; DIS compares patches by their levels, and on fine texture (a
    pear's speckles) it then locks onto neighbouring dots and reports pixels of motion.
    """
    f = grey.astype(np.float32)
    mean = cv2.GaussianBlur(f, (0, 0), FLOW_NORM_SIGMA)
    var = cv2.GaussianBlur((f - mean) ** 2, (0, 0), FLOW_NORM_SIGMA)
    out = (f - mean) / np.sqrt(var + 25.0) * 40.0 + 128.0
    return np.asarray(np.clip(out, 0, 255), dtype=np.uint8)


WARP_PX = 1.0  # flow left after alignment, in pixels of the coarser image, that marks a warp
WARP_MAX_FRACTION = 0.6  # of the compared area: beyond that nothing is "local"
WARP_GAIN = 0.85  # a pushed zone: moving the reference leaves at most this share of the error
WARP_STILL_PX = 0.5  # the rest of the image must stay this still for a warp to count
# ... or this still when the reference covers the whole evidence frame (WARP_FULL_COVER of it):
# a photo from another place sees past the reference's edges, a copy does not; a large dent
# biases the fitted plane and leaves more motion around it.
WARP_STILL_FULL_PX = 0.75
WARP_FULL_COVER = 0.95


def _local_warps(
    flow: FloatImage,
    points: np.ndarray,
    residuals: np.ndarray,
    unit: float,
    valid: Mask,
    agree: Mask,
    changed: Mask,
    textured: Mask,
    still_px: float = WARP_STILL_PX,
) -> tuple[Mask, list[Mask]]:
    """Regions the reference was locally pushed into (a painted dent, a liquify stroke).

    The flow left after the homography is smoothed; compact regions where it exceeds
    ``WARP_PX`` on textured pixels are filled to their convex hull (a dent's centre does not
    move, its rim does). They count only when the rest of the image is still
    (``WARP_STILL_PX``): a second photo of a 3-D scene moves everywhere, by parallax, not in
    one place. Returns their union and each region on its own.
    """
    none = np.zeros(valid.shape, bool)
    speed = cv2.GaussianBlur(cv2.magnitude(flow[..., 0], flow[..., 1]), (0, 0), 2.0) / unit
    # Flow is only measured where there is texture to follow (smooth areas are filled in).
    fast = (speed > WARP_PX) & valid & textured
    moving = cv2.morphologyEx(fast.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, labels = cv2.connectedComponents(moving, connectivity=8)
    if n <= 1:
        return none, []
    zones: list[Mask] = []
    min_area = max(16, int(0.003 * valid.sum()))
    areas = np.bincount(labels.ravel(), minlength=n)  # see _drop_small
    for i in range(1, n):
        part = labels == i
        if areas[i] < min_area or speed[part].max() < 2.0 * WARP_PX:
            continue
        ys, xs = np.nonzero(part)
        hull = cv2.convexHull(np.column_stack([xs, ys]).astype(np.int32))
        zone = np.zeros(valid.shape, np.uint8)
        cv2.fillConvexPoly(zone, hull, 1)
        zones.append(zone.astype(bool) & valid)
    if not zones:
        return none, []
    warp = np.logical_or.reduce(zones)
    if warp.sum() > WARP_MAX_FRACTION * valid.sum():
        return none, []
    near = cv2.dilate((warp | changed).astype(np.uint8), _NEAR_CHANGE).astype(bool)
    if _residual_motion(points, residuals, agree & ~near) / unit > still_px:
        return none, []
    return warp, zones


def _explained_by_flow(
    zones: list[Mask], flow: FloatImage, ref: FloatImage, ev: FloatImage
) -> Mask:
    """The zones where moving the reference along the flow reproduces the evidence.

    A pushed surface is matched far better once moved; flow that only spilled around a painted
    stain (optical flow is drawn to strong new edges) moves nothing that matches.
    """
    out = np.zeros(ev.shape[:2], bool)
    if not zones:
        return out
    h, w = ev.shape[:2]
    gy, gx = np.indices((h, w), dtype=np.float32)  # as np.mgrid, without its int64 copy
    moved = cv2.remap(
        ref, gx - flow[..., 0], gy - flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    before = np.abs(ev - ref).sum(axis=2)
    after = np.abs(ev - moved).sum(axis=2)
    for zone in zones:
        if median(after[zone]) < WARP_GAIN * median(before[zone]):
            out |= zone
    return out


def _residual_motion(points: np.ndarray, residuals: np.ndarray, where: Mask) -> float:
    """75th percentile of the flow residuals where the images agree and nothing changed.

    Flow inside an edit, an occlusion or screenshot chrome is meaningless, so only windows
    whose structure matches count; parallax of a 3-D scene still shows there.
    """
    if residuals.size == 0:
        return 0.0
    xs = np.clip(points[:, 0].astype(int), 0, where.shape[1] - 1)
    ys = np.clip(points[:, 1].astype(int), 0, where.shape[0] - 1)
    keep = where[ys, xs]
    if keep.sum() < 20:
        return 0.0
    return float(np.percentile(residuals[keep], 75))


def _local_scale(H: np.ndarray, ref_shape: tuple[int, ...]) -> float:
    """How many evidence pixels one reference pixel spans near the reference centre."""
    h, w = ref_shape[:2]
    pts = np.array([[[w / 2, h / 2]], [[w / 2 + 1, h / 2]], [[w / 2, h / 2 + 1]]], np.float64)
    p = cv2.perspectiveTransform(pts, H).reshape(-1, 2)
    a, b = p[1] - p[0], p[2] - p[0]
    return float(np.sqrt(abs(a[0] * b[1] - a[1] * b[0])))


def _match_blur(ref: FloatImage, ev: FloatImage, valid: Mask) -> FloatImage:
    """The reference blurred by the amount (0 to 3 px) whose Laplacian best matches the evidence's.

    The amount is chosen on grey copies (blurring commutes with the grey conversion) and
    applied to the colours once.
    """
    best, best_err = 0.0, np.inf
    # Every fourth valid pixel, found once: the six Laplacians are read at the same pixels.
    at = np.flatnonzero(valid.ravel())[::4]
    lap_e = _lap(cv2.cvtColor(ev, cv2.COLOR_RGB2GRAY)).ravel()[at]
    grey = cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY)
    for sigma in (0.0, 0.7, 1.4, 2.1, 3.0):
        cand = cv2.GaussianBlur(grey, (0, 0), sigma) if sigma else grey
        # Gradient agreement is what blur changes; colours are matched afterwards.
        err = median(np.abs(lap_e - _lap(cand).ravel()[at]))
        if err < best_err:
            best, best_err = sigma, err
    return cv2.GaussianBlur(ref, (0, 0), best) if best else ref


def _lap(g: FloatImage) -> FloatImage:
    out: FloatImage = cv2.Laplacian(g, cv2.CV_32F, ksize=3)
    return out


def _match_colours(
    ref: FloatImage, ev: FloatImage, valid: Mask, samples: int = 20000
) -> FloatImage:
    """Per channel: ev ~ a*r + b*g + c*b + d*x^2 + e, fitted robustly on the overlap.

    Each fit solves the normal equations of the kept samples (at most ``samples``, evenly
    spread; a 5 x 5 system, by least squares so that a grey reference, whose r, g and b
    columns coincide, still solves).
    """
    idx = np.flatnonzero(valid.ravel())
    if idx.size > samples:
        idx = idx[:: idx.size // samples]
    R = ref.reshape(-1, 3)[idx] / 255.0
    E = ev.reshape(-1, 3)[idx] / 255.0
    out = np.empty_like(ref)
    planes = [ref[..., c] * np.float32(1.0 / 255.0) for c in range(3)]
    # Design matrix [r, g, b, x^2, 1] built once; only the x^2 column changes per channel.
    X = np.empty((len(R), 5))
    X[:, :3], X[:, 4] = R, 1.0
    for c in range(3):
        X[:, 3] = R[:, c] ** 2
        keep = np.ones(len(R), bool)
        coef: FloatImage = np.zeros(X.shape[1])
        for _ in range(3):
            Xk = X * keep[:, None]
            coef, *_ = np.linalg.lstsq(Xk.T @ X, Xk.T @ E[:, c], rcond=None)
            res = np.abs(X @ coef - E[:, c])
            cut = max(3.0 * 1.4826 * median(res[keep]), 4.0 / 255.0)
            keep = res < cut
            if keep.sum() < 50:
                break
        k = coef.astype(np.float32)
        fit = planes[0] * k[0] + planes[1] * k[1] + planes[2] * k[2]
        fit += planes[c] * planes[c] * k[3] + k[4]
        out[..., c] = np.clip(fit, 0.0, 1.0) * 255.0
    return out


def _background(warped: FloatImage, valid: Mask) -> Mask:
    """Pixels of the reference's plain background (its border colour), as in listing shots."""
    border = np.concatenate([warped[0], warped[-1], warped[:, 0], warped[:, -1]]).astype(np.int16)
    colour = np.median(border, axis=0)
    # Within 10 levels of the border colour in every channel, as two bounds per channel: the
    # same test as |pixel - colour| <= 10 on the uint8 warped reference (exact on its whole
    # levels and the medians' halves), without a three-channel float64 difference image.
    near: Mask = valid.copy()
    for c in range(3):
        plane = warped[..., c]
        near &= (plane >= colour[c] - 10) & (plane <= colour[c] + 10)
    return near


def _agreement(ref: FloatImage, ev: FloatImage, k: int = 15, min_correlation: float = 0.8) -> Mask:
    """Per pixel: does the window around it agree (structure correlates, or flat and alike)?

    A re-photograph of a flat object from another viewpoint still fits a homography, but its
    light, focus and sensor noise differ, so its windows correlate at about 0.8 where a
    derived copy (even blurred, noised or recompressed) stays above 0.95.
    """
    gr = cv2.GaussianBlur(cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY), (0, 0), 1.0)
    ge = cv2.GaussianBlur(cv2.cvtColor(ev, cv2.COLOR_RGB2GRAY), (0, 0), 1.0)
    mr, me = cv2.blur(gr, (k, k)), cv2.blur(ge, (k, k))
    vr = np.maximum(cv2.blur(gr * gr, (k, k)) - mr * mr, 0.0)
    ve = np.maximum(cv2.blur(ge * ge, (k, k)) - me * me, 0.0)
    cov = cv2.blur(gr * ge, (k, k)) - mr * me
    ncc = cov / np.sqrt(vr * ve + 1e-6)
    # A flat reference window is reproduced by an evidence window of its colour whose only
    # texture is fine grain: noise, or the moire of a photo taken of a screen.
    gl = cv2.GaussianBlur(ge, (0, 0), 3.0)
    ml = cv2.blur(gl, (k, k))
    coarse = np.maximum(cv2.blur(gl * gl, (k, k)) - ml * ml, 0.0)
    flat = (vr < 9.0) & ((ve < 9.0) | (coarse < 4.0))
    same = np.abs(mr - me) < 12.0
    ok: Mask = np.where(flat, same, ncc > min_correlation)
    return ok


def _explained_fraction(agree: Mask, valid: Mask, step: int = 7) -> float:
    """Share of the compared area whose windows the reference reproduces."""
    sample = valid[::step, ::step]
    if not sample.any():
        return 0.0
    return float(agree[::step, ::step][sample].mean())


def local_std(grey: FloatImage, k: int) -> FloatImage:
    """The standard deviation of ``grey`` (float) in a k x k box round each pixel."""
    m = cv2.blur(grey, (k, k))
    v: FloatImage = np.sqrt(np.maximum(cv2.blur(grey * grey, (k, k)) - m * m, 0.0))
    return v


def _texture_change(ev: FloatImage, ref: FloatImage, k: int = 7) -> FloatImage:
    """|log| ratio of local contrast: texture wiped out (inpainting, smears) or added."""
    ge = cv2.cvtColor(ev, cv2.COLOR_RGB2GRAY)
    gr = cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY)
    out: FloatImage = np.abs(np.log((local_std(ge, k) + 2.0) / (local_std(gr, k) + 2.0)))
    return out


def _gradients(img: FloatImage) -> FloatImage:
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    out: FloatImage = np.dstack([gx, gy]) * 0.25
    return out


def _texture(grads: FloatImage) -> FloatImage:
    """Gradient magnitude, spread over a 3 x 3 neighbourhood: what the noise floors bin by."""
    # The two squares added plane to plane: the same sums as numpy's sum over a last axis of
    # length two, at a tenth of its cost.
    sq = grads**2
    out: FloatImage = cv2.dilate(np.sqrt(sq[..., 0] + sq[..., 1]), np.ones((3, 3), np.uint8))
    return out


def _min_shift_distance(ev: FloatImage, ref: FloatImage) -> FloatImage:
    """Per pixel: min over one-pixel shifts of the reference of the L2 distance."""
    pad = cv2.copyMakeBorder(ref, 1, 1, 1, 1, cv2.BORDER_REPLICATE)
    h, w = ev.shape[:2]
    # Channel planes and in-place arithmetic: the same sums as an einsum over channels, in the
    # same order (bit-identical), at a third of the cost.
    evc = [np.ascontiguousarray(ev[..., c]) for c in range(ev.shape[2])]
    padc = [np.ascontiguousarray(pad[..., c]) for c in range(ev.shape[2])]
    best = np.full((h, w), np.inf, np.float32)
    acc, tmp = np.empty((h, w), np.float32), np.empty((h, w), np.float32)
    for dx, dy in _SHIFTS:
        np.subtract(evc[0], padc[0][1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w], out=acc)
        np.multiply(acc, acc, out=acc)
        for e, q in zip(evc[1:], padc[1:], strict=True):
            np.subtract(e, q[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w], out=tmp)
            np.multiply(tmp, tmp, out=tmp)
            np.add(acc, tmp, out=acc)
        np.minimum(best, acc, out=best)
    out: FloatImage = np.sqrt(best)
    return out


CAPTION_ASPECT = 1.8  # a line of text is this many times wider than tall, at least
CAPTION_COVER = 0.6  # share of the change inside the text lines found in the evidence
CAPTION_IN_REFERENCE = 0.3  # ... and at most this share inside text lines of the reference
CAPTION_TEXT_PX = 40  # the crop is scaled so the change stands this tall for the detector


def _drop_captions(
    mask: Mask, ev: FloatImage, ref: FloatImage
) -> tuple[Mask, list[tuple[int, int, int, int]]]:
    """Take out of ``mask`` the changes that are text written over the photo.

    A buyer captions the photo ("damaged", "refund pls", a date): the caption differs from
    the reference as much as painted damage does, but it is not a change to the goods, and a
    mask that covers it points the reviewer to the wrong place. A change counts as a caption
    when it is wide like a line of text, the OCR text detector (run on a crop around it,
    scaled so the change stands ``CAPTION_TEXT_PX`` tall) puts most of it inside text lines,
    and the same crop of the aligned reference holds no text there (a change to printed
    packaging text stays a change). Returns the mask and the captions' boxes.
    """
    if not mask.any():
        return mask, []
    grouped = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    wide = [i for i in range(1, n) if stats[i, 2] >= CAPTION_ASPECT * stats[i, 3] >= 8]
    if not wide:
        return mask, []
    from trueclaim.forensics.visible_marks import text_line_mask

    def text_at(img: FloatImage, box: tuple[int, int, int, int], f: float) -> Mask:
        x0, y0, x1, y1 = box
        crop: RGBImage = np.clip(img[y0:y1, x0:x1], 0, 255).astype(np.uint8)
        size = (max(8, round((x1 - x0) * f)), max(8, round((y1 - y0) * f)))
        lines = text_line_mask(np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)))
        back = cv2.resize(
            lines.astype(np.uint8), (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST
        )
        return back > 0

    out, captions = mask.copy(), []
    h_img, w_img = mask.shape
    for i in wide:
        x, y, w, h = (int(v) for v in stats[i, :4])
        pad = max(4, h // 2)
        box = (max(0, x - pad), max(0, y - pad), min(w_img, x + w + pad), min(h_img, y + h + pad))
        inside = (slice(box[1], box[3]), slice(box[0], box[2]))  # holds the whole component
        part = (labels[inside] == i) & mask[inside]
        area = max(1, int(part.sum()))
        f = CAPTION_TEXT_PX / h
        if (text_at(ev, box, f) & part).sum() < CAPTION_COVER * area:
            continue
        if (text_at(ref, box, f) & part).sum() > CAPTION_IN_REFERENCE * area:
            continue
        out[inside][part] = False
        captions.append((x, y, w, h))
    return out, captions


# A drawn mark (an emoji sticker, an arrow) is flat colour. At least MARK_FLAT_SHARE of its
# traced pixels are flat (a grey 3x3 standard deviation of at most MARK_FLAT_STD; recompression
# smears the edges between its colours, grain and shading leave a painted material none), and
# at least MARK_DRAWN_SHARE of those lie within MARK_COLOUR_LEVELS of one or two colours (a
# fill and its outline) that at most MARK_RING_SHARE of the pixels just around it have (within
# MARK_RING_LEVELS). A chunk "missing" is filled with what surrounds it.
MARK_FLAT_STD = 4.0
MARK_FLAT_SHARE = 0.5
MARK_COLOUR_LEVELS = 10
MARK_DRAWN_SHARE = 0.85
MARK_RING_LEVELS = 12
MARK_RING_SHARE = 0.1
MARK_COLOURS = 2
# The commonest colour of a mark is a vivid one (stickers and arrows are drawn to be seen): its
# channels span at least this many levels. A flat grey, black or white change stays a change.
MARK_CHROMA = 60
# ... and opaque: under its flat pixels the reference's grey varies at least this many times
# as much (robust spread) as the evidence's.
MARK_OPAQUE = 3.0
MARK_MIN_PX = 20
# A mark need not be vivid or opaque where it lies on the plain backdrop of a listing shot,
# clear of the goods: damage lands on the goods. A change counts as such a mark when its traced
# core, grown by MARK_CLEAR_PX, lies at least MARK_BACKDROP_SHARE on the reference's open
# backdrop (its border colour within MARK_BACKDROP_LEVELS, joined to the border; see
# _open_backdrop), and at least MARK_MIN_PX of that core are drawn: MARK_DRAWN_LEVELS or more
# from the backdrop colour in some channel (a pushed edge or a margin that spilled onto the
# backdrop is pale or near it). A stain that reaches over the goods' edge touches them.
MARK_CLEAR_PX = 3
MARK_BACKDROP_SHARE = 0.97
MARK_BACKDROP_LEVELS = 14
MARK_DRAWN_LEVELS = 60
MARK_GOODS_SHARE = 0.05  # of the reference unlike its backdrop, or it has none (a blank frame)


def _drop_marks(
    mask: Mask,
    traced: Mask,
    evidence: RGBImage,
    reference: RGBImage,
    to_evidence: npt.NDArray[np.float64],
) -> tuple[Mask, tuple[tuple[int, int, int, int], ...]]:
    """Take out of ``mask`` the changes that are marks drawn over the photo.

    A buyer points at the damage with an arrow or covers a face with an emoji sticker: like
    a caption, the mark differs from the reference but is no change to the goods. A found
    component counts as a mark when its traced core (``traced``, before any re-synthesised
    margin: a mark's sharp edges ring in a recompressed copy) is flat colour that its
    surroundings lack (see ``MARK_FLAT_STD``) laid over detail: the reference (warped by
    ``to_evidence``) varies under it where the evidence does not (``MARK_OPAQUE``). A stain on
    a smooth, vivid product (a pepper, a lemon) is flat and vivid too, but the product under
    it was as flat. On a listing shot's plain backdrop, clear of the goods, any drawn
    change is a mark (``MARK_CLEAR_PX``). Returns the mask and the marks' boxes (x, y, width,
    height).
    """
    if not mask.any():
        return mask, ()
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    out, marks = mask, []
    backdrop, backdrop_read = None, False
    for i in range(1, n):
        part = labels == i
        core = part & traced
        box = _bounding_box(core)
        if box is None or core.sum() < MARK_MIN_PX:
            continue
        if not backdrop_read:  # read once, and only for a component worth testing
            backdrop, backdrop_read = _open_backdrop(reference), True
        on_backdrop = backdrop is not None and _on_backdrop(core, evidence, to_evidence, *backdrop)
        if not on_backdrop and not _vivid_mark(part, traced, box, evidence, reference, to_evidence):
            continue
        if out is mask:
            out = mask.copy()
        out &= ~part
        marks.append(
            (box[1].start, box[0].start, box[1].stop - box[1].start, box[0].stop - box[0].start)
        )
    return out, tuple(marks)


def _vivid_mark(
    part: Mask,
    traced: Mask,
    box: tuple[slice, slice],
    evidence: RGBImage,
    reference: RGBImage,
    to_evidence: npt.NDArray[np.float64],
) -> bool:
    """Is the component ``part`` (its traced core in ``box``) flat, vivid colour its
    surroundings lack, laid opaquely over the reference's detail? (See ``MARK_FLAT_STD``.)"""
    win = (
        slice(max(0, box[0].start - 4), box[0].stop + 4),
        slice(max(0, box[1].start - 4), box[1].stop + 4),
    )
    inside = part[win] & traced[win]
    colours = evidence[win].astype(np.int16)
    grey = cv2.cvtColor(evidence[win], cv2.COLOR_RGB2GRAY).astype(np.float32)
    var = cv2.blur(grey * grey, (3, 3)) - cv2.blur(grey, (3, 3)) ** 2
    flat = inside & (var <= MARK_FLAT_STD**2)
    if flat.sum() < max(MARK_MIN_PX, MARK_FLAT_SHARE * inside.sum()):
        return False
    grown = cv2.dilate(inside.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    if _drawn_share(colours[flat], colours[grown & ~inside]) < MARK_DRAWN_SHARE:
        return False
    _win, under = _warp_window(reference, evidence.shape, to_evidence, win, 0)
    ref_grey = cv2.cvtColor(under, cv2.COLOR_RGB2GRAY).astype(np.float32)[flat]
    return _spread(ref_grey) >= MARK_OPAQUE * max(1.0, _spread(grey[flat]))


def _open_backdrop(
    reference: RGBImage,
) -> tuple[npt.NDArray[np.uint8], tuple[int, int, int]] | None:
    """The reference's open backdrop (255, else 0) and its colour: the pixels of its plain
    border's colour (``framing.plain_border``) joined to its border, so the inside of a drawn
    outline or of a mug's handle is no backdrop. None without a plain border, or where the
    goods (the rest) cover under ``MARK_GOODS_SHARE`` of the frame: a blank frame is all
    surface."""
    colour = plain_border(reference, tolerance=MARK_BACKDROP_LEVELS)
    if colour is None:
        return None
    diff = np.abs(reference.astype(np.int16) - np.array(colour, np.int16)).max(axis=2)
    n, labels = cv2.connectedComponents((diff <= MARK_BACKDROP_LEVELS).astype(np.uint8), None, 4)
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    joined = np.zeros(n, bool)
    joined[edge] = True
    joined[0] = False  # label 0: the goods
    open_backdrop = joined[labels]
    if 1.0 - open_backdrop.mean() < MARK_GOODS_SHARE:
        return None
    return open_backdrop.astype(np.uint8) * np.uint8(255), colour


def _on_backdrop(
    part: Mask,
    evidence: RGBImage,
    to_evidence: npt.NDArray[np.float64],
    open_backdrop: npt.NDArray[np.uint8],
    colour: tuple[int, int, int],
) -> bool:
    """Is the change ``part`` drawn on the reference's open backdrop, clear of the goods?
    (See ``MARK_CLEAR_PX``.)"""
    box = _bounding_box(part)
    if box is None:
        return False
    win, under = _warp_window(open_backdrop, evidence.shape, to_evidence, box, MARK_CLEAR_PX)
    kernel = np.ones((2 * MARK_CLEAR_PX + 1,) * 2, np.uint8)
    grown = cv2.dilate(part[win].astype(np.uint8), kernel) > 0
    if (under[grown] > 127).mean() < MARK_BACKDROP_SHARE:
        return False
    far = np.abs(evidence[win].astype(np.int16) - np.array(colour, np.int16)).max(axis=2)
    return int(((far >= MARK_DRAWN_LEVELS) & part[win]).sum()) >= MARK_MIN_PX


def _spread(values: FloatImage) -> float:
    """Robust spread: 1.4826 times the median absolute deviation."""
    centre = median(values)
    return 1.4826 * median(np.abs(values - centre))


def _drawn_share(px: np.ndarray, ring: np.ndarray) -> float:
    """The share of ``px`` (N, 3) in flat colours that ``ring`` (M, 3) lacks: the commonest
    colour (of 8-level bins, its members' median), then the commonest of the rest, up to
    ``MARK_COLOURS``; a colour the ring has (over ``MARK_RING_SHARE``) counts for nothing,
    and a commonest colour that is not vivid (``MARK_CHROMA``) makes it none at all."""
    if ring.size == 0:
        return 0.0
    share, rest = 0.0, px
    for k in range(MARK_COLOURS):
        if rest.size == 0:
            break
        q = rest // 8
        key = (q[:, 0] << 10) | (q[:, 1] << 5) | q[:, 2]
        values, counts = np.unique(key, return_counts=True)
        mode = np.median(rest[key == values[np.argmax(counts)]], axis=0)
        if k == 0 and mode.max() - mode.min() < MARK_CHROMA:
            return 0.0  # grey, black or white: a painted hole or a missing chunk may be flat
        near = np.abs(rest - mode).max(axis=1) <= MARK_COLOUR_LEVELS
        if (np.abs(ring - mode).max(axis=1) <= MARK_RING_LEVELS).mean() <= MARK_RING_SHARE:
            share += float(near.sum()) / len(px)
        rest = rest[~near]
    return share


# Glare on a screen that was photographed (a recapture) brightens a broad zone: one smooth,
# one-signed, grey offset that keeps the reference's detail under it. A change counts as glare
# when it covers at least GLARE_MIN_SHARE of the compared area; the grey difference, less its
# blur at a quarter of the change's radius, spreads at most GLARE_RESIDUAL times the noise of
# the grey difference elsewhere; that blur is a rise of at least GLARE_RISE levels over
# GLARE_RISE_SHARE of it, with no fall of as much over more than GLARE_FALL_SHARE of a ring
# around it (half its radius wide: a dent's lit side has a shaded one); and the three channels
# rose alike (their median rises spread at most GLARE_NEUTRAL of their mean).
GLARE_MIN_SHARE = 0.01
GLARE_RESIDUAL = 2.0
GLARE_RISE = 3.0
GLARE_RISE_SHARE = 0.95
GLARE_FALL_SHARE = 0.05
GLARE_NEUTRAL = 0.3


def _drop_glare(small: Mask, evf: FloatImage, reff: FloatImage, valid: Mask) -> Mask:
    """Take out of ``small`` the changes that are glare (see ``GLARE_MIN_SHARE``)."""
    if not small.any():
        return small
    n, labels = cv2.connectedComponents(small.astype(np.uint8), connectivity=8)
    areas = np.bincount(labels.ravel(), minlength=n)
    big = [i for i in range(1, n) if areas[i] >= GLARE_MIN_SHARE * valid.sum()]
    if not big:
        return small
    diff = cv2.cvtColor(evf, cv2.COLOR_RGB2GRAY) - cv2.cvtColor(reff, cv2.COLOR_RGB2GRAY)
    rest = valid & ~cv2.dilate(small.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if rest.sum() < 100:
        return small
    noise = max(0.5, _spread(diff[rest]))
    out = small
    for i in big:
        part = labels == i
        radius = float(np.sqrt(areas[i] / np.pi))
        smooth = cv2.GaussianBlur(diff, (0, 0), max(2.0, 0.25 * radius))
        if _spread((diff - smooth)[part]) > GLARE_RESIDUAL * noise:
            continue
        if (smooth[part] >= GLARE_RISE).mean() < GLARE_RISE_SHARE:
            continue
        side = 2 * max(1, round(0.5 * radius)) + 1
        ring = (cv2.dilate(part.astype(np.uint8), np.ones((side, side), np.uint8)) > 0) & ~part
        ring &= valid
        if ring.any() and (smooth[ring] <= -GLARE_RISE).mean() > GLARE_FALL_SHARE:
            continue
        rises = [median((evf[..., c] - reff[..., c])[part]) for c in range(3)]
        if max(rises) - min(rises) > GLARE_NEUTRAL * max(1e-6, float(np.mean(rises))):
            continue
        if out is small:
            out = small.copy()
        out &= ~part
    return out


REFINE_PASSES = 2
# The flow's correction may move a corner by up to this share of the frame. A large painted
# dent, more so in a crop, pulls the feature fit off the copy's plane by 6-12 %; the flow over
# the untouched rest finds the plane again. The comparison's tests (explained share, residual
# motion) still decide: a second photo of a 3-D scene moves everywhere, corrected or not.
REFINE_MAX_SHIFT = 0.15
# Below this share of the flow's sample points on one plane (within 1 px), the flow is computed
# again on contrast-normalised grey levels (``_local_contrast``, over a Gaussian window of
# ``FLOW_NORM_SIGMA`` working pixels); its plane is kept when at least this share follows it.
# The share matches the residual-motion test, which reads the 75th percentile: below it that
# test fails anyway. Only then: where the plain flow aligns a copy, the two flows differ only
# in where they settle around painted edges, and the plain one gave the better masks
# (normalised flow everywhere cost 0.01-0.02 IoU on four of six derivation sets). A window of 3 px
# underestimated a 2 px parallax (DIS's coarse levels see little of such levels), 6 px cost
# grocery s23 0.006 IoU, and without the share asked of the normalised plane three more pairs
# of consecutive shop photos read as copies.
FLOW_PLANE_SHARE = 0.75
FLOW_NORM_SIGMA = 10.0
GROW_RATIO = 2.0
GROW_SIGMA = 3.0
REACH_DIAGONAL = 0.25  # a stroke's radius is at least this share of its box's diagonal
REACH_FACTOR = 0.6  # an editor re-synthesises about this share of its brush radius around it


def _grow_into_resynthesis(
    seed: Mask, d: FloatImage, bins: _TextureBins | None, product: Mask, valid: Mask
) -> Mask:
    """Extend each change over the soft zone an AI editor re-synthesised around its brush.

    Inside that zone the pixels were resampled and re-noised: each one differs only a little,
    but averaged over a few pixels the difference stands at twice the typical level. Zones are
    kept only where they touch a detected change.
    """
    typical = _noise_floor(d, bins, product, 1.0, spread=0.0)
    # Average over the surroundings only (normalised convolution): the change itself must not
    # bleed into its neighbourhood.
    outside = (~seed).astype(np.float32)
    num = cv2.GaussianBlur(d / typical * outside, (0, 0), GROW_SIGMA)
    ratio = num / np.maximum(cv2.GaussianBlur(outside, (0, 0), GROW_SIGMA), 1e-3)
    zone = (ratio > GROW_RATIO) & valid
    return _fill_holes(_touching((zone & _reach(seed)) | seed, seed))


# A re-synthesised margin surrounds the whole brush stroke: where the pixels added around a
# traced change (by _grow_into_resynthesis and _fine_resynthesis) cover less than this share
# of the thin ring just outside it (MARGIN_RING of its radius, at least 2 px), they are the
# patches that recompression, resampling and ringing light beside a sharp painted edge, not
# an editor's margin, and are left out of the mask.
MARGIN_RING = 0.05
MARGIN_MIN_COVER = 0.4
# A kept margin is found where the detail lost, averaged over a few pixels (FINE_SIGMA,
# BAND_SIGMA), stands clear of its surroundings. In a copy that kept the reference's fine
# detail (its fine detail still correlates with the reference's by MARGIN_SHARP_CORR on the
# ring around the change) that holds out to the feathered edge of the editor's brush; in a
# blurred, resampled or re-noised copy the surroundings lost detail too, the feathered edge
# no longer stands out, and the margin found stops short of the zone by about the
# averaging's width. There it is pushed out by MARGIN_OUTSET_PX evidence pixels.
MARGIN_OUTSET_PX = 2
MARGIN_SHARP_CORR = 0.9


def _kept_margin(found: Mask, margin: Mask, traced: Mask, valid: Mask, outset: int = 0) -> Mask:
    """``found``, less ``margin`` unless the margin closes around ``traced`` (see
    ``MARGIN_MIN_COVER``). The margin's share is measured on the ring that hugs the change;
    a kept margin is pushed out by ``outset`` pixels (within ``valid``)."""
    box = _bounding_box(traced)
    if box is None or not margin.any():
        return found
    height, width = box[0].stop - box[0].start, box[1].stop - box[1].start
    radius = _stroke_radius(int(traced[box].sum()), width, height)
    ring_px = max(2.0, MARGIN_RING * radius)
    pad = int(np.ceil(ring_px)) + 1
    rows = slice(max(0, box[0].start - pad), min(traced.shape[0], box[0].stop + pad))
    cols = slice(max(0, box[1].start - pad), min(traced.shape[1], box[1].stop + pad))
    outside = (~traced[rows, cols]).astype(np.uint8)
    dist = cv2.distanceTransform(outside, cv2.DIST_L2, 5)
    ring = (dist > 0) & (dist <= ring_px)
    if ring.any() and margin[rows, cols][ring].mean() < MARGIN_MIN_COVER:
        return found & ~margin
    kept = found & ~traced
    if outset < 1 or not kept.any():
        return found
    side = 2 * outset + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    return found | (cv2.dilate(kept.astype(np.uint8), disc).astype(bool) & valid)


def _reach(seed: Mask, factor: float = REACH_FACTOR) -> Mask:
    """Around each change, a margin of ``factor`` times its radius: an editor re-synthesises
    about half the brush size around its stroke, so a margin grows no further."""
    return _reaches(seed, (factor,))[0]


def _stroke_radius(area: int, width: int, height: int) -> float:
    """The brush radius of a change of ``area`` pixels in a ``width`` x ``height`` box.

    A thin stroke's brush covered its length, not just its few pixels of area.
    """
    return float(max(np.sqrt(area / np.pi), REACH_DIAGONAL * np.hypot(width, height)))


def _reaches(seed: Mask, factors: tuple[float, ...]) -> list[Mask]:
    """:func:`_reach` for several factors, from one distance map per change."""
    reaches = [np.zeros(seed.shape, bool) for _ in factors]
    box = _bounding_box(seed)
    if box is None:
        return reaches
    top, left = box[0].start, box[1].start
    # Every component lies inside the seed's bounding box: only that is labelled.
    n, labels, stats, _ = cv2.connectedComponentsWithStats(
        seed[box].astype(np.uint8), connectivity=8
    )
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        radius = _stroke_radius(area, w, h)
        rs = [int(max(2.0, f * radius)) for f in factors]
        r = max(rs)
        x0, y0 = max(0, left + x - r), max(0, top + y - r)
        x1, y1 = min(seed.shape[1], left + x + w + r), min(seed.shape[0], top + y + h + r)
        part = np.zeros((y1 - y0, x1 - x0), np.uint8)
        oy, ox = top + y - y0, left + x - x0
        part[oy : oy + h, ox : ox + w] = labels[y : y + h, x : x + w] == i
        # Within r of the part: a distance transform costs the same for any r, a disc
        # dilation grows with its area. The exact transform does not depend on the window.
        dist = cv2.distanceTransform(1 - part, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        for reach, ri in zip(reaches, rs, strict=True):
            reach[y0:y1, x0:x1] |= dist <= ri
    return reaches


def _bounding_box(mask: Mask) -> tuple[slice, slice] | None:
    """Rows and columns of the smallest box holding every pixel of ``mask`` (None if empty)."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def _touching(zone: Mask, seed: Mask) -> Mask:
    """The connected parts of ``zone`` that hold some of ``seed``."""
    out = np.zeros(zone.shape, bool)
    box = _bounding_box(zone)
    if box is None:
        return out
    # Components lie inside the zone's bounding box: only that is labelled.
    n, labels = cv2.connectedComponents(zone[box].astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[np.unique(labels[seed[box]])] = True
    keep[0] = False
    out[box] = keep[labels]
    return out


def _warp_window(
    reference: RGBImage,
    shape: tuple[int, ...],
    to_evidence: npt.NDArray[np.float64],
    box: tuple[slice, slice],
    pad: int,
) -> tuple[tuple[slice, slice], FloatImage]:
    """The evidence window ``box`` grown by ``pad`` (clipped), and the reference warped into it."""
    h, w = shape[:2]
    y0, y1 = max(0, box[0].start - pad), min(h, box[0].stop + pad)
    x0, x1 = max(0, box[1].start - pad), min(w, box[1].stop + pad)
    shift = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]])
    warped: FloatImage = cv2.warpPerspective(
        reference,
        shift @ to_evidence,
        (x1 - x0, y1 - y0),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return (slice(y0, y1), slice(x0, x1)), warped


CORE_HIGH_Z = 3.0  # hysteresis of the evidence-size trace, in noise-floor units
CORE_LOW_Z = 1.5
COLOUR_SAMPLES = 20000  # pixels of the whole overlap the colour fit reads, evenly spread
CORE_COLOUR_SAMPLES = 4000  # five coefficients per channel: a few thousand pixels pin them
CORE_RING = 6  # the ring that sets colours and noise floors: this many working pixels wide


def _fine_core(
    reference: RGBImage,
    evidence: RGBImage,
    to_evidence: npt.NDArray[np.float64],
    core: Mask,
    valid: Mask,
    unit: float,
) -> Mask:
    """The changed pixels in and just around the working copy's changes, at the evidence's size.

    The reference is warped into the window around the changes, its blur and colours are
    matched on the ring around them (outside the changes, ``CORE_RING`` working pixels wide),
    and the colour distance is divided by a noise floor per texture bin measured on that ring.
    Hysteresis keeps what lies within ``unit`` (one working pixel, in evidence pixels) of the
    coarse changes and touches them. A change the working copy found in texture or gradients rather
    than colour (under a quarter of its pixels traced again) is kept as it was found.
    """
    margin = max(2, int(np.ceil(unit)))
    near = cv2.dilate(core.astype(np.uint8), np.ones((2 * margin + 1,) * 2, np.uint8)).astype(bool)
    ring_px = int(CORE_RING * margin)
    around = cv2.dilate(core.astype(np.uint8), np.ones((2 * ring_px + 1,) * 2, np.uint8)) > 0
    box = _bounding_box(around)
    if box is None:
        return core
    win, warped = _warp_window(reference, evidence.shape, to_evidence, box, 2)
    warped = warped.astype(np.float32)
    ev = evidence[win].astype(np.float32)
    in_valid, in_core, in_near = valid[win], core[win], near[win]
    ring = in_valid & ~in_near & around[win]
    if ring.sum() < 256:
        ring = in_valid & ~in_near
        if ring.sum() < 256:
            return core
    ref = _match_colours(_match_blur(warped, ev, ring), ev, ring, samples=CORE_COLOUR_SAMPLES)
    d = _min_shift_distance(ev, ref)
    texture = _texture(_gradients(ref))
    floor = _noise_floor(d, _texture_bins(texture, ring), ring, 6.0)
    raw = d / floor
    raw[~(in_valid & in_near)] = 0.0
    seeds = _hysteresis(raw, cv2.GaussianBlur(raw, (0, 0), 1.0), CORE_HIGH_Z, CORE_LOW_Z)
    closed = cv2.morphologyEx(seeds.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    traced = _touching(_fill_holes(closed.astype(bool) & in_near), in_core)
    # A change the working copy saw in texture or gradients, not in colour: keep it as found.
    if traced.sum() < 0.25 * in_core.sum():
        return core
    out = core.copy()
    out[win] = traced | (in_core & ~_touching(in_core, traced))
    return out


FINE_SIGMA = 2.0  # px of the evidence: the scale of the local detail-energy average
FINE_Z = 2.0  # robust z of the detail-energy loss that marks a re-synthesised pixel
FINE_Z_GAIN = 4.0  # and of a gain (fresh noise): painted edges and highlights raise it too
FINE_AROUND = 1.8  # the baseline ring: from the reach out to this many radii of a change
FINE_SAMPLES = 20000  # ring pixels that set the detail ratio's median and spread, at most
FINE_EXCLUDE_PX = 3  # a found change's edges light the detail energy this far around it
# A re-synthesised pixel's fine detail no longer follows the reference's (resampled, fresh
# noise), even where its energy is unchanged: a fall in their local correlation by this many
# robust sigmas below the ring's marks it, when the copy kept the reference's fine detail at all
# (the ring's correlation at least FINE_CORR_KEPT; heavy blur or recompression leave none).
FINE_CORR_Z = 3.5
FINE_CORR_KEPT = 0.2
FINE_CORR_FLOOR = 0.05
# JPEG rings around a sharp painted edge inside the blocks that hold it: the fine detail there
# gains energy and stops following the reference, as in a re-synthesised zone. When the file's
# own coding is known, the reference is put through it with the change pasted in; a pixel
# whose detail gained no more than RECODED_GAIN (log energy) over that recompressed copy and
# still correlates with it by RECODED_CORR is recompression, and only a loss of detail there
# still marks it.
RECODED_GAIN = 0.8
RECODED_CORR = 0.8


def _recompressed_window(
    evidence: RGBImage,
    window: tuple[slice, slice],
    warped: RGBImage,
    changed: Mask,
    coding: JpegCoding,
    origin: tuple[int, int],
) -> RGBImage | None:
    """The warped reference with the evidence's ``changed`` pixels pasted in, put through the
    evidence file's JPEG ``coding`` on the file's own block grid.

    ``window`` is the evidence window ``warped`` covers; ``origin`` is where the evidence
    array starts in the file (x, y). Only whole coding units are recompressed: the rows and
    columns before the window's first grid line keep the plain reference. None when the
    window holds no whole unit.
    """
    rows, cols = window
    step = coding.block_px
    top = (-(rows.start + origin[1])) % step
    left = (-(cols.start + origin[0])) % step
    if warped.shape[0] - top < step or warped.shape[1] - left < step:
        return None
    pasted = np.where(changed[..., None], evidence[window], warped)
    out = warped.copy()
    out[top:, left:] = recompressed(pasted[top:, left:], coding)
    return out


def _fine_resynthesis(
    reference: RGBImage,
    evidence: RGBImage,
    to_evidence: npt.NDArray[np.float64],
    seed: Mask,
    valid: Mask,
    *,
    jpeg: JpegCoding | None = None,
    jpeg_origin: tuple[int, int] = (0, 0),
) -> tuple[Mask, float]:
    """Add the re-synthesised margin around found changes, measured at the evidence's size.

    Returns the grown mask and how much of the reference's fine detail the copy kept around
    the change (the median correlation of the two fine details on the ring; 1.0 when there
    was no ring to measure).

    An AI editor regenerates a soft zone around its brush: fine detail is resampled away and
    fresh noise added, so the local energy of the finest detail departs from the aligned
    reference's. The log ratio of the two energies is judged against its spread on a ring
    just beyond the reach (global recompression, blur, noise or clipped highlights shift a
    whole neighbourhood, not one zone) and kept only where it touches a found change and
    stays within its reach. The ratio's dependence on the reference's detail and grey levels,
    measured on that ring, is taken out first (:func:`_level_free`): JPEG takes more of faint
    grain than of strong texture, and a tone curve more in the shadows, so a ring of other
    texture or brightness would set the wrong baseline. A loss counts from ``FINE_Z`` robust
    sigmas, a rise only from ``FINE_Z_GAIN``: recompression rings around the sharp edges of
    painted damage and raises the detail there too, which grew halos around unregenerated
    cracks. Fresh noise can restore the energy but not the pattern, so a fall in the local
    correlation of the two fine details (``FINE_CORR_Z`` robust sigmas below the ring's,
    freed of the same levels) marks a lost pixel too, when the ring shows that the copy kept
    the reference's fine detail at all. Given the evidence file's JPEG coding (``jpeg``, the
    evidence array starting at ``jpeg_origin`` in the file), a rise or a decorrelation that
    recompressing the reference with the change pasted in reproduces is not counted
    (``RECODED_GAIN``, ``RECODED_CORR``). Only the window holding that ring is warped and
    filtered. :func:`_resynthesis_band` then looks for the zone as a whole: a band around
    each edit, of one width, that lost detail, and in a copy that kept some but not most of
    the reference's fine detail (ring correlation from ``FINE_CORR_KEPT`` up to
    ``BAND_CORR_KEPT``) also a band whose fine detail stopped following the reference.
    """
    reach, around = _reaches(seed, (REACH_FACTOR, FINE_AROUND))
    box, seed_box = _bounding_box(around), _bounding_box(seed)
    if box is None or seed_box is None:
        return seed, 1.0
    # The window reaches FINE_AROUND radii of all the changes as one edit: it holds every band.
    r = int(np.ceil(FINE_AROUND * _edit_radius(seed, seed_box)))
    (y0, y1), (x0, x1) = ((s.start - r, s.stop + r) for s in seed_box)
    box = (
        slice(max(0, min(box[0].start, y0)), min(seed.shape[0], max(box[0].stop, y1))),
        slice(max(0, min(box[1].start, x0)), min(seed.shape[1], max(box[1].stop, x1))),
    )
    pad = int(np.ceil(3.0 * (max(FINE_SIGMA, BAND_SIGMA) + 1.0))) + 2  # the filters' support
    win, warped = _warp_window(reference, evidence.shape, to_evidence, box, pad)

    in_valid, in_seed, in_reach = valid[win], seed[win], reach[win]
    # The found change's own edges would light up every window that holds them: average
    # the detail around them only (normalised convolution), not over them.
    side = 2 * FINE_EXCLUDE_PX + 1
    edges = cv2.dilate(in_seed.astype(np.uint8), np.ones((side, side), np.uint8))
    keep = 1.0 - edges.astype(np.float32)

    def fine(rgb: npt.NDArray[Any]) -> FloatImage:
        """The finest detail: grey minus its blur at 1 px, signed."""
        g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
        np.subtract(g, cv2.GaussianBlur(g, (0, 0), 1.0), out=g)
        return g

    def energy(hp: FloatImage) -> FloatImage:
        return energy_of(hp, hp)

    def energy_of(a: FloatImage, b: FloatImage) -> FloatImage:
        """``a * b`` over the kept pixels (the cross term when ``a`` is not ``b``)."""
        # In place: full-size temporaries cost more in fresh memory than in arithmetic.
        e: FloatImage = np.multiply(a, b)
        np.multiply(e, keep, out=e)
        return e

    def averaged(x: FloatImage, weight: FloatImage, sigma: float) -> FloatImage:
        out_: FloatImage = cv2.GaussianBlur(x, (0, 0), sigma)
        np.divide(out_, weight, out=out_)
        return out_

    def energies(
        ev_detail: FloatImage, ref_detail: FloatImage, sigma: float, kept: FloatImage = keep
    ) -> tuple[FloatImage, FloatImage, FloatImage]:
        """Both detail energies averaged over the kept pixels at ``sigma``, and the weight."""
        weight = cv2.GaussianBlur(kept, (0, 0), sigma) + 1e-3
        return averaged(ev_detail, weight, sigma), averaged(ref_detail, weight, sigma), weight

    def correlation(cross_avg: FloatImage, e_a: FloatImage, e_b: FloatImage) -> FloatImage:
        """The local correlation of two fine details from their averaged cross term and
        energies (+1 keeps flat pixels from dividing by nothing)."""
        out_: FloatImage = cross_avg / np.sqrt(e_a * e_b + 1.0)
        return out_

    def log_ratio(ev_energy: FloatImage, ref_energy: FloatImage) -> tuple[FloatImage, FloatImage]:
        """log((evidence energy + 1) / (reference energy + 1)), and log(reference energy + 1)."""
        level = np.log1p(ref_energy)
        return np.log1p(ev_energy) - level, level

    ev_fine, ref_fine = fine(np.ascontiguousarray(evidence[win])), fine(warped)
    ev_detail, ref_detail = energy(ev_fine), energy(ref_fine)
    ev_energy, ref_energy, weight = energies(ev_detail, ref_detail, FINE_SIGMA)
    ratio, level = log_ratio(ev_energy, ref_energy)  # the energies serve the correlation too
    where = in_valid & ~in_seed
    if where.sum() < 256:
        return seed, 1.0
    recoded = (
        None
        if jpeg is None
        else _recompressed_window(evidence, win, warped, in_seed, jpeg, jpeg_origin)
    )
    recompression: Mask | None = None
    if recoded is not None:
        rec_fine = fine(recoded)
        rec_energy = averaged(energy(rec_fine), weight, FINE_SIGMA)
        rec_corr = correlation(
            averaged(energy_of(ev_fine, rec_fine), weight, FINE_SIGMA), ev_energy, rec_energy
        )
        recompression = (np.log1p(ev_energy) - np.log1p(rec_energy) < RECODED_GAIN) & (
            rec_corr > RECODED_CORR
        )
    ring = where & around[win] & ~in_reach
    if ring.sum() >= 256:
        where = ring
    # Both tests are judged only where they can add a pixel (within the reach), against a
    # sample of the ring: freeing the whole window of its levels would cost more than both.
    ring_at = np.flatnonzero(where.ravel())
    ring_at = ring_at[:: max(1, ring_at.size // FINE_SAMPLES)]  # a strided sample pins both
    open_at = np.flatnonzero((in_reach & in_valid).ravel())
    at = np.concatenate([ring_at, open_at])
    on_ring = np.arange(at.size) < ring_at.size
    # As for the band: the dependence on the reference's detail and grey levels, measured on
    # the ring, is taken out first (JPEG and tone curves, not the editor).
    grey = cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY).astype(np.float32)
    levels = (level, cv2.GaussianBlur(grey, (0, 0), FINE_SIGMA))
    levels_at = tuple(lv.ravel()[at] for lv in levels)
    free = where.sum() >= 400  # enough ring to measure the levels' medians on

    def judged(x: FloatImage, floor: float) -> tuple[FloatImage, float, float]:
        """``x`` at the open pixels, freed of the levels, with the ring's median and spread."""
        v: FloatImage = x.ravel()[at]
        if free:
            v = _level_free(v, on_ring, levels_at)
        med, mad = _robust_centre(v[on_ring], floor)
        return v[~on_ring], med, mad

    ratio_open, med, mad = judged(ratio, 0.05)
    lost = (med - ratio_open) > FINE_Z * mad
    picked = lost | ((ratio_open - med) > FINE_Z_GAIN * mad)
    # The same detail, decorrelated: fresh noise can restore the energy, not the pattern.
    cross = np.multiply(ev_fine, ref_fine, out=ev_fine)
    np.multiply(cross, keep, out=cross)
    corr = averaged(cross, weight, FINE_SIGMA)
    np.multiply(ev_energy, ref_energy, out=ev_energy)
    np.add(ev_energy, 1.0, out=ev_energy)
    np.divide(corr, np.sqrt(ev_energy, out=ev_energy), out=corr)
    kept_detail = median(corr.ravel()[ring_at])
    if kept_detail >= FINE_CORR_KEPT:
        corr_open, cmed, cmad = judged(corr, FINE_CORR_FLOOR)
        picked |= (cmed - corr_open) > FINE_CORR_Z * cmad
    if recompression is not None:  # what the file's own coding explains counts only as a loss
        picked &= lost | ~recompression.ravel()[open_at]
    found = np.zeros(in_seed.shape, np.uint8)
    found.ravel()[open_at[picked]] = 1
    zone = np.zeros(seed.shape, bool)
    zone[win] = cv2.morphologyEx(found, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)).astype(bool)
    out = _fill_holes(_touching(zone | seed, seed))
    # The band keeps to FINE_AROUND radii of the edit itself (_resynthesis_band). In a copy
    # that kept some but not most of the reference's fine detail (blurred, resampled,
    # re-noised as a whole), the editor's zone is often as rich in detail as the rest (fresh
    # noise) but no longer follows the reference: there the band is also looked for in the
    # local correlation of the two fine details, read at the band's scale.
    by_corr = FINE_CORR_KEPT <= kept_detail < BAND_CORR_KEPT

    def bands(
        e_ev: FloatImage,
        e_ref: FloatImage,
        cross_avg: FloatImage | None,
        tone: FloatImage,
        seed_map: Mask,
        valid_map: Mask,
        measured: Mask,
        step: int,
    ) -> Mask:
        """Every edit's band in the energy ratio and, given ``cross_avg``, in the correlation."""
        coarse, level = log_ratio(e_ev, e_ref)
        maps: list[tuple[FloatImage, float, FloatImage | None]] = [(coarse, BAND_STEP, None)]
        if cross_avg is not None:
            maps.append((correlation(cross_avg, e_ev, e_ref), BAND_CORR_STEP, coarse))
        found_bands = np.zeros(seed_map.shape, bool)
        for edit in _edits(seed_map):
            for lost, min_step, energy_ratio in maps:
                found_bands |= _resynthesis_band(
                    lost,
                    level,
                    tone,
                    edit,
                    valid_map,
                    measured,
                    step=step,
                    min_step=min_step,
                    energy_ratio=energy_ratio,
                )
        return found_bands

    if ev_detail.size <= BAND_FULL_PX:
        e_ev, e_ref, weight = energies(ev_detail, ref_detail, BAND_SIGMA)
        cross_avg = averaged(cross, weight, BAND_SIGMA) if by_corr else None
        tone = cv2.GaussianBlur(grey, (0, 0), BAND_SIGMA)
        out[win] |= bands(e_ev, e_ref, cross_avg, tone, in_seed, in_valid, keep > 0, 1)
        return out, kept_detail
    # A large window: the band's ratio is smooth at BAND_SIGMA, so it is measured on 2 x 2
    # blocks (the detail energies averaged, as the blur would). A block holds the change if
    # any of its pixels does (thin cracks survive), and is measured if none is near it.
    h, w = in_seed.shape
    size = ((w + 1) // 2, (h + 1) // 2)

    def pool(x: FloatImage) -> FloatImage:
        out_: FloatImage = cv2.resize(x, size, interpolation=cv2.INTER_AREA)
        return out_

    kept = pool(keep)
    e_ev, e_ref, weight = energies(pool(ev_detail), pool(ref_detail), BAND_SIGMA / 2, kept)
    cross_avg = averaged(pool(cross), weight, BAND_SIGMA / 2) if by_corr else None
    tone = cv2.GaussianBlur(pool(grey), (0, 0), BAND_SIGMA / 2)
    seed_blocks = pool(in_seed.astype(np.float32)) > 0
    valid_blocks = pool(in_valid.astype(np.float32)) > 0.99
    band = bands(e_ev, e_ref, cross_avg, tone, seed_blocks, valid_blocks, kept > 0.99, 2)
    full = cv2.resize(band.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    out[win] |= full & in_valid
    return out, kept_detail


# A copy whose fine detail correlates with the reference's on the ring by less than this
# lost most of it: its band is also looked for in that correlation, which must fall inside
# the band by BAND_CORR_STEP (and by BAND_T in the t statistic).
BAND_CORR_KEPT = 0.6
BAND_CORR_STEP = 0.02
BAND_LEVEL_BINS = 8
BAND_SAMPLES = 8000
BAND_FULL_PX = 250_000  # a larger window is profiled on every second pixel


def _by_level(values: FloatImage, levels: FloatImage, at: FloatImage) -> FloatImage:
    """The median of ``values`` per equal-count bin of ``levels``, interpolated at ``at``.

    At most ``BAND_SAMPLES`` pixels (evenly strided) set the medians: they pin them as well.
    """
    step = max(1, values.size // BAND_SAMPLES)
    order = stable_argsort(levels[::step])
    lv, vv = levels[::step][order], values[::step][order]
    chunks = max(1, min(BAND_LEVEL_BINS, lv.size // 20))
    # The bins are np.array_split's: the first ``longer`` hold one value more than the rest.
    size, longer = divmod(lv.size, chunks)
    lengths = np.full(chunks, size)
    lengths[:longer] += 1
    centres = lv[np.cumsum(lengths) - lengths + lengths // 2]  # each bin's middle level
    # Bins of one length are the rows of one array: one np.median call per length, not per bin.
    cut = longer * (size + 1)
    rows = (vv[:cut].reshape(longer, size + 1), vv[cut:].reshape(chunks - longer, size))
    medians = np.concatenate([np.median(r, axis=1) for r in rows if r.size])
    out: FloatImage = np.interp(at, centres, medians).astype(np.float32)
    return out


def _robust_centre(values: FloatImage, floor: float) -> tuple[float, float]:
    """Median and robust sigma (1.4826 MAD, plus ``floor``) of a strided sample of ``values``."""
    values = values[:: max(1, values.size // FINE_SAMPLES)]  # a strided sample pins both
    med = median(values)
    return med, median(np.abs(values - med)) * 1.4826 + floor


def _level_free(ratio: FloatImage, where: Mask, levels: Sequence[FloatImage]) -> FloatImage:
    """``ratio`` less its median per bin of each map in ``levels`` (in turn), measured on
    ``where``: what recompression and tone curves do everywhere, by detail or grey level."""
    # The pixels that set the medians, sampled once (what _by_level would stride to anyway):
    # indexing a few thousand costs far less than copying every pixel of ``where``.
    idx = np.flatnonzero(where)
    idx = idx[:: max(1, idx.size // BAND_SAMPLES)]
    for lv in levels:
        ratio = ratio - _by_level(ratio.ravel()[idx], lv.ravel()[idx], lv)
    return ratio


BAND_SIGMA = 3.0  # px of the evidence: the detail-energy average the band profile is read from
BAND_WIDTHS = (0.1, 1.2)  # the band widths tried, in radii of the change
BAND_T = 3.0  # how far (t statistic) the band must fall below what lies beyond it
BAND_STEP = 0.1  # and by at least this much (log detail energy): a plateau, not a trend
BAND_K = 1.0  # robust sigmas below the outside's median that mark a pixel of the band
BAND_JOIN = 3.0  # pieces within this many radii of the largest piece of each other are one edit
BAND_EDITS = 4  # the largest edits profiled, at most


def _edit_radius(seed: Mask, box: tuple[slice, slice]) -> float:
    """The radius of one edit, often found in pieces (a crack's strokes): all of them count."""
    return _stroke_radius(int(seed.sum()), box[1].stop - box[1].start, box[0].stop - box[0].start)


def _edits(seed: Mask) -> list[Mask]:
    """The found changes grouped into edits, largest first (at most ``BAND_EDITS``).

    A crack is often found in pieces, and they are one edit: pieces within ``BAND_JOIN``
    radii of the largest piece of each other are joined. A piece far away is an edit of its
    own (or a false change): counted with the first, it would stretch that edit's radius, and
    its band, over the frame.
    """
    n, _, stats, _ = cv2.connectedComponentsWithStats(seed.astype(np.uint8), connectivity=8)
    if n <= 2:
        return [seed]
    big = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    area, w, h = (
        int(stats[big, k]) for k in (cv2.CC_STAT_AREA, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT)
    )
    dist = cv2.distanceTransform((~seed).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_5)
    joined = (dist <= max(2.0, BAND_JOIN * _stroke_radius(area, w, h))).astype(np.uint8)
    m, groups = cv2.connectedComponents(joined, connectivity=8)
    edits = [seed & (groups == k) for k in range(1, m)]
    edits.sort(key=lambda e: -int(e.sum()))
    return edits[:BAND_EDITS]


def _resynthesis_band(
    ratio: FloatImage,
    level: FloatImage,
    tone: FloatImage,
    seed: Mask,
    valid: Mask,
    measured: Mask,
    step: int = 1,
    min_step: float = BAND_STEP,
    energy_ratio: FloatImage | None = None,
) -> Mask:
    """The re-synthesised zone as one band around the edit ``seed``, found from its profile.

    Called once per edit (:func:`_edits`): pieces of one change far apart are separate edits.

    An editor regenerates everything within some distance of its brush, so the detail lost
    (``ratio``, the log detail-energy ratio of evidence to reference) forms a plateau that
    ends at one width. The profile of ``ratio`` against the distance from the change is cut
    at every width in ``BAND_WIDTHS`` (radii of the edit, all its pieces together). The
    cut where the inside stands furthest below the outside must do so by ``min_step`` and
    by ``BAND_T`` in a t statistic over effectively independent samples (one per
    ``4 pi sigma^2`` pixels of the smoothed ratio). Inside that width, the pixels below the
    outside's median by ``BAND_K`` robust sigmas that touch the change are the band. Nothing
    is added when no band stands out: an edit without a regenerated margin.

    Recompression and blur take more of the faint detail than of strong texture, so the ratio
    also depends on how much detail the reference has (``level``, its log detail energy).
    That dependence is measured beyond the widest band (median ratio per level bin) and
    taken out first: a smooth surface that lost its grain to JPEG everywhere is no band.
    A tone curve (gamma, a filter) scales local contrast by brightness, so the dependence on
    ``tone`` (the reference's smoothed grey level) is taken out next, the same way.
    The profile is read on ``measured`` pixels (away from the change's own edges); the band
    may cover any ``valid`` pixel. ``step`` is the maps' sampling step in evidence pixels.

    ``ratio`` may also be the local correlation of the two fine details (a regenerated zone
    lowers it even where fresh noise restored the energy); ``min_step`` is then
    ``BAND_CORR_STEP`` instead of ``BAND_STEP``, and the same levels are taken out. Given
    ``energy_ratio`` (the log detail-energy ratio), a band inside which that ratio rose on
    average is refused: recompression rings around a sharp painted edge and decorrelates the
    detail there while adding to it.
    """
    box = _bounding_box(seed)
    if box is None:
        return np.zeros(seed.shape, bool)
    radius = _edit_radius(seed, box)
    dist = cv2.distanceTransform((~seed).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_5)
    use = valid & measured & (dist <= FINE_AROUND * radius)
    far = use & (dist > BAND_WIDTHS[1] * radius)
    if far.sum() >= 200:
        ratio = _level_free(ratio, far, (level, tone))
    d = dist[use]
    r = ratio[use].astype(np.float64)
    if d.size < 200:
        return np.zeros(seed.shape, bool)
    # One-pixel distance bins: cumulative sums give every cut's two means and variances.
    b = d.astype(np.intp)
    count = np.cumsum(np.bincount(b))
    s1 = np.cumsum(np.bincount(b, weights=r))
    s2 = np.cumsum(np.bincount(b, weights=r * r))
    per_sample = 4.0 * np.pi * (BAND_SIGMA / step) ** 2
    best_t, best_w = 0.0, 0
    for width in np.linspace(*BAND_WIDTHS, 23) * radius:
        k = min(int(width), count.size - 1)
        n_in, n_out = count[k], count[-1] - count[k]
        if n_in < 50 or n_out < 50:
            continue
        m_in, m_out = s1[k] / n_in, (s1[-1] - s1[k]) / n_out
        v_in = max(s2[k] / n_in - m_in**2, 0.0)
        v_out = max((s2[-1] - s2[k]) / n_out - m_out**2, 0.0)
        se = np.sqrt(v_in / max(1.0, n_in / per_sample) + v_out / max(1.0, n_out / per_sample))
        t = (m_out - m_in) / (se + 1e-9)
        if t > best_t and m_out - m_in >= min_step:
            best_t, best_w = t, k
    if best_t < BAND_T:
        return np.zeros(seed.shape, bool)
    if energy_ratio is not None:
        e = energy_ratio[use]
        if e[b <= best_w].mean() > e[b > best_w].mean():
            return np.zeros(seed.shape, bool)
    outside = r[b > best_w]
    outside = outside[:: max(1, outside.size // BAND_SAMPLES)]
    med = median(outside)
    spread = median(np.abs(outside - med)) * 1.4826 + 0.02
    low = cv2.morphologyEx(
        (ratio < med - BAND_K * spread).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)
    ).astype(bool)
    band = (dist < best_w + 1) & (valid | seed) & (low | seed)
    return _fill_holes(_touching(band, seed))


@dataclass(frozen=True, slots=True, eq=False)
class _TextureBins:
    """Texture bins of one comparison, shared by every noise floor computed on it.

    ``sample`` are flat pixel indices (a third of the product area), ``groups`` index into
    that sample per bin, ``centres`` the bins' median texture; ``lo``/``frac`` interpolate
    between the bin centres at every pixel (as ``np.interp`` would, clamped at both ends).
    """

    sample: np.ndarray
    groups: tuple[np.ndarray, ...]
    centres: np.ndarray
    lo: np.ndarray
    frac: np.ndarray


def _texture_bins(texture: FloatImage, where: Mask, bins: int = 8) -> _TextureBins | None:
    """Bin the sampled product pixels by texture; None when the texture is uniform."""
    sample = np.flatnonzero(where.ravel())[::3]  # a third of the pixels pins the percentiles
    t = texture.ravel()[sample]
    edges = np.unique(np.quantile(t, np.linspace(0.0, 1.0, bins + 1)))
    if edges.size < 2:
        return None
    which = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, edges.size - 2)
    groups, centres = [], []
    for b in range(edges.size - 1):
        members = np.flatnonzero(which == b)
        if members.size < 20:
            continue
        groups.append(members)
        centres.append(median(t[members]))
    c = np.asarray(centres)
    x = texture.astype(np.float64)
    if c.size < 2:
        lo = np.zeros(texture.shape, np.intp)
        frac = np.zeros(texture.shape)
    else:
        lo = np.clip(np.searchsorted(c, x, side="right") - 1, 0, c.size - 2)
        width = np.maximum(c[1:] - c[:-1], 1e-12)  # per bin, looked up per pixel
        frac = np.clip((x - c[lo]) / width[lo], 0.0, 1.0)
    return _TextureBins(sample, tuple(groups), c, lo, frac)


def _noise_floor(
    d: FloatImage,
    bins: _TextureBins | None,
    where: Mask,
    minimum: float,
    spread: float = 3.0,
) -> FloatImage:
    """Per pixel: the difference that resampling and JPEG noise reach at this much texture.

    Recompression and resampling errors grow with local contrast (text, edges), so the floor
    is estimated per texture bin (median + 3 MAD of the differences, over the product area)
    and interpolated; a painted crack on a smooth surface stands far above its bin's floor.
    """
    if bins is None:
        v = d[where][::3]
        med = median(v)
        level = max(minimum, med + spread * 1.4826 * median(np.abs(v - med)))
        return np.full(d.shape, level, np.float32)
    if not bins.groups:
        return np.full(d.shape, minimum, np.float32)
    v = d.ravel()[bins.sample]
    floors = []
    for members in bins.groups:
        vb = v[members]
        med = median(vb)
        floors.append(max(minimum, med + spread * 1.4826 * median(np.abs(vb - med))))
    rising = _monotone_floors(np.asarray(floors))
    if rising.size == 1:
        return np.full(d.shape, rising[0], np.float32)
    # Each bin's rise to the next is taken from a table of a few steps, not per pixel.
    rise = rising[1:] - rising[:-1]
    out: FloatImage = (rising[bins.lo] + rise[bins.lo] * bins.frac).astype(np.float32)
    return out


# A texture bin's floor may exceed the floors of every more textured bin by at most this
# factor. Floors rise with texture; a smooth bin far above all the textured ones is a large
# smooth edit (a burn, a stain) counted as noise, and taken as the floor it would hide itself
# and, through the rising floors, every change in more textured parts as well.
FLOOR_CAP = 4.0


def _monotone_floors(floors: np.ndarray) -> np.ndarray:
    """Per-bin floors made non-decreasing in texture, after capping inflated smooth bins."""
    if floors.size > 1:
        above = np.minimum.accumulate(floors[::-1])[::-1]  # the lowest floor from here up
        floors = np.minimum(floors, FLOOR_CAP * np.append(above[1:], floors[-1]))
    return np.maximum.accumulate(floors)  # more texture never means less noise


def _hysteresis(raw: FloatImage, z: FloatImage, high: float, low: float) -> Mask:
    """Pixels of ``raw`` above ``low`` connected to a seed where the smoothed ``z`` > ``high``."""
    weak = (raw > low).astype(np.uint8)
    n, labels = cv2.connectedComponents(weak, connectivity=8)
    if n <= 1:
        return np.zeros(z.shape, bool)
    strong = np.unique(labels[z > high])
    keep = np.zeros(n, bool)
    keep[strong] = True
    keep[0] = False
    out: Mask = keep[labels]
    return out


def _drop_small(mask: Mask, min_px: int) -> Mask:
    # Areas by bincount: OpenCV's statistics cost eight times the labelling (it sums
    # centroids for every pixel), and only the areas are read.
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    keep = np.bincount(labels.ravel(), minlength=n) >= min_px
    keep[0] = False
    out: Mask = keep[labels]
    return out


def _fill_holes(mask: Mask) -> Mask:
    """Fill the holes of ``mask`` (background it encloses) smaller than 1% of the image.

    A hole lies inside the mask's bounding box, and background that touches the box's edge
    reaches the image's edge too, so only the box is labelled: the same holes, found faster.
    """
    out = mask.copy()
    box = _bounding_box(mask)
    if box is None:
        return out
    inv = (~mask[box]).astype(np.uint8)
    _n, labels, stats, _ = cv2.connectedComponentsWithStats(inv, connectivity=4)
    h, w = mask.shape
    bh, bw = inv.shape
    x, y, sw, sh, area = (stats[:, k] for k in range(5))
    enclosed = (x > 0) & (y > 0) & (x + sw < bw) & (y + sh < bh) & (area < 0.01 * h * w)
    enclosed[0] = False
    out[box] |= enclosed[labels]
    return out


def _regions(
    mask: Mask,
    core: Mask,
    z: FloatImage,
    ev: FloatImage,
    ref: FloatImage,
    product: Mask,
    content: tuple[float, float, float, float],
    to_analysis: float,
) -> tuple[ChangeRegion, ...]:
    if not mask.any():
        return ()
    grouped = cv2.dilate(mask.astype(np.uint8), np.ones((9, 9), np.uint8))
    n, labels = cv2.connectedComponents(grouped, connectivity=8)
    product_px = max(1.0, float(product.sum()))
    out = []
    for i in range(1, n):
        part = (labels == i) & mask
        if not part.any():
            continue
        ys, xs = np.nonzero(part)
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        zs = z[part]
        score = float(np.clip((np.percentile(zs, 90) - 1.5) / 6.0, 0.05, 1.0))
        frac = float(part.sum()) / product_px
        shape_part = part & core if (part & core).any() else part  # shape before growing
        sy, sx = np.nonzero(shape_part)
        shape_box = (int(sx.min()), int(sy.min()), int(sx.max()) + 1, int(sy.max()) + 1)
        en, zh = _describe(shape_part, ev, ref, shape_box, content, frac)
        out.append(
            ChangeRegion(
                x=int(x0 * to_analysis),
                y=int(y0 * to_analysis),
                width=max(1, int(np.ceil((x1 - x0) * to_analysis))),
                height=max(1, int(np.ceil((y1 - y0) * to_analysis))),
                score=score,
                area_fraction=frac,
                description_en=en,
                description_zh=zh,
            )
        )
    out.sort(key=lambda r: -r.score * r.area_fraction)
    return tuple(out)


_TONE_ZH = {"dark": "深色", "light": "浅色", "discoloured": "变色"}
_SHAPE_ZH = {
    "thin, branching structure": "细长分叉结构",
    "thin line": "细线状痕迹",
    "cluster of spots": "一簇斑点",
    "patch": "斑块",
}
_WHERE_ZH = {
    "upper left": "左上方",
    "upper centre": "上方中部",
    "upper right": "右上方",
    "middle left": "左侧中部",
    "the centre": "中央",
    "middle right": "右侧中部",
    "lower left": "左下方",
    "lower centre": "下方中部",
    "lower right": "右下方",
}


def _describe(
    part: Mask,
    ev: FloatImage,
    ref: FloatImage,
    box: tuple[int, int, int, int],
    content: tuple[float, float, float, float],
    frac: float,
) -> tuple[str, str]:
    """Plain phrases (en, zh): 'a dark, thin, branching structure appeared at lower left, ...'."""
    x0, y0, x1, y1 = box
    lum_e = float(ev[part].astype(np.float32).mean())
    lum_r = float(ref[part].mean())
    if lum_e < lum_r - 12:
        tone = "dark"
    elif lum_e > lum_r + 12:
        tone = "light"
    else:
        tone = "discoloured"
    bw, bh = x1 - x0, y1 - y0
    area = float(part.sum())
    contours, _ = cv2.findContours(part.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours) or 1.0
    thickness = 2.0 * area / perimeter
    fill = area / max(1.0, bw * bh)
    if thickness < max(2.5, 0.08 * max(bw, bh)):
        branching = fill < 0.2 and min(bw, bh) > 0.3 * max(bw, bh)
        shape = "thin, branching structure" if branching else "thin line"
    elif len(contours) > 3:
        shape = "cluster of spots"
    else:
        shape = "patch"
    cx0, cy0, cw, ch = content
    fx = ((x0 + x1) / 2 - cx0) / max(cw, 1.0)
    fy = ((y0 + y1) / 2 - cy0) / max(ch, 1.0)
    vert = "upper" if fy < 1 / 3 else ("lower" if fy > 2 / 3 else "middle")
    horiz = "left" if fx < 1 / 3 else ("right" if fx > 2 / 3 else "centre")
    where = "the centre" if (vert, horiz) == ("middle", "centre") else f"{vert} {horiz}"
    pct = f"{frac * 100:.0f}%" if frac >= 0.01 else "under 1%"
    sep = ", " if shape.startswith("thin") else " "
    en = f"a {tone}{sep}{shape} appeared at {where}, {pct} of the product area"
    pct_zh = f"占商品面积 {frac * 100:.0f}%" if frac >= 0.01 else "不到商品面积 1%"
    zh = f"{_WHERE_ZH[where]}出现{_TONE_ZH[tone]}{_SHAPE_ZH[shape]},{pct_zh}"
    return en, zh
