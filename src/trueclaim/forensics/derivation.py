"""The derivation detector: was this evidence made from a reference photo, and what changed?

For each evidence image: find its content box (screenshot bars stripped), hash it and its
dihedral variants (PDQ, pHash) against every reference's preview (a small decode; see
:attr:`~trueclaim.forensics.case.Item.preview`), match ORB features against the references
(then, when that is not conclusive, the mirrored evidence, then coarse copies of both for
blurred or re-photographed copies), fit one homography per reference (USAC MAGSAC++), and for
the strongest candidates warp the reference onto the evidence, polish the alignment with dense
optical flow and compare (:mod:`trueclaim.forensics.localize`). When that plane does not explain
the evidence, the plane fitted to the matches it left out is compared too: a large painted dent
magnifies part of the photo, and the magnified part can hold more matches than the untouched
rest. Plain images without features, and near-duplicates by hash that the features did not
place, go through the content boxes instead (hash variant, or the same framing). The evidence is
derived when the reference explains at least ``min_explained`` of its windows (local structure
correlates at 0.8 or better) and nothing moves by more than ``max_residual_motion_px`` after
alignment (in pixels of the coarser of the two images, away from the changes and from compact
local warps such as a painted dent); what is left is the local edit. With several
references, those closest by hash are matched first and matching stops at a decisive fit;
the others are matched only when that one does not explain the evidence. A reference's
analysis-size decode and its features are made only when it is matched.

Why a genuine photo is not derived: a buyer's photo of a 3-D product from another viewpoint
fits a homography only on one face (low explained share) and, even when two shots from almost
the same place correlate, leaves parallax after alignment (residual flow of a pixel or more);
the score also falls with that residual motion. A flat scene re-photographed from another
angle (the ``graf1``/``graf3`` pair) is a pure perspective warp of the first photo and is
reported as derived, with the perspective warp named in the finding: geometry cannot tell it
apart from a warped copy, and products are rarely flat. Two shots from the same place a
moment apart (a shelf, the product turned in the hand) fit one homography on the still
background, and the product that moved would read as a large edit; when the changes hold
matches that moved together, all of them shifted (``matching.moved_object``), the evidence is
another shot of that scene, not a copy of it (``EvidenceDerivation.siblings``). So is an
evidence that goes on past the reference's frame with more of the scene (a shot from a step
back or aside, ``_beyond_reference``): a copy shows nothing the reference lacks, what a
screenshot shows round the photo is app chrome on a plain ground, and a collage of the
listing beside another photo meets it at a seam.

Findings
--------
``derived-from-reference`` (high)
    The evidence is a reference photo, transformed (crop, scale, rotation, mirror,
    perspective, screenshot framing). ``reference_index`` names it.
``derived-with-local-edit`` (critical)
    ... and something was painted into it: ``mask`` (evidence analysis size), ``regions``
    (original evidence pixels) with one score and a plain description each.
``derived-unedited`` (medium)
    ... and nothing was changed: the listing photo itself was submitted as evidence.

Shared cache
------------
``case.cache["derivation"]`` is a dict, filled once per case::

    {
      "references": {ref_index: ReferencePrep},   # preview box, hashes, ORB (+ coarse)
      "evidence": {ev_index: EvidenceDerivation}, # per evidence, see below
    }

:class:`EvidenceDerivation` holds the evidence's ``features``, ``content`` box, the
``matches`` per reference index (:class:`~trueclaim.forensics.matching.GeometricMatch`, whose
``homography`` maps reference analysis pixels to evidence analysis pixels; references skipped
after a decisive fit have no entry), the ``hashes``
per reference (:class:`~trueclaim.forensics.hashing.HashMatch`), ``best_reference`` (index or
None), ``derived`` (bool), the ``change_map`` of the best reference, if one was compared
(mask, regions, explained share, residual motion), the ``transform`` summary, and the
``siblings``: references the evidence is another shot of, an object in it moved.
The identity detector reads ``matches`` to see whether the product in the evidence is the
referenced one without matching again.

Reference preparation is also memoised across cases in a bounded process-level LRU keyed by
the reference file's SHA-256 (listing photos recur across claims; see
:func:`_prepare_reference`, :func:`clear_reference_cache`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from threading import Lock
from typing import Any

import cv2
import numpy as np

from trueclaim.forensics.case import PREVIEW_MAX_SIDE, Case, Item
from trueclaim.forensics.decode import DecodedImage
from trueclaim.forensics.errors import InvalidParameter, UnreadableImage
from trueclaim.forensics.framing import (
    ContentBox,
    ContentLines,
    content_lines,
    find_content_box,
    plain_border,
)
from trueclaim.forensics.hashing import (
    PHASH_MATCH_BITS,
    VARIANTS,
    HashMatch,
    ImageHashes,
    closest_variant,
    compute_hashes,
)
from trueclaim.forensics.jpeg_traces import JpegCoding, jpeg_coding
from trueclaim.forensics.localize import ChangeMap, local_std, localize_changes
from trueclaim.forensics.matching import (
    Features,
    GeometricMatch,
    extract_features,
    fit_homography,
    moved_object,
    second_plane,
)
from trueclaim.forensics.transform import TransformSummary, summarize_transform
from trueclaim.forensics.types import Finding, Region, Severity

DETECTOR = "derivation"
VERSION = "1"
# PDQ distance (of 256 bits) under which a near-duplicate is compared through the content
# boxes when the features did not find the copy's plane. PDQ's own match distance is 31; a dent
# or stain over a fifth of the image moves it to 30-60 while pHash stays close.
HASH_ROUTE_PDQ_BITS = 64
# ... whose comparison explains 90% of the evidence, or HASH_EDIT_EXPLAINED of it when what
# changed is at most HASH_EDIT_MAX_CHANGE of the product (a large burn on a plain lemon).
HASH_EDIT_EXPLAINED = 0.8
HASH_EDIT_MAX_CHANGE = 0.3


@dataclass(frozen=True, slots=True)
class DerivationParams:
    """Tunable settings of the derivation detector (pass overrides as detector options)."""

    feature_side: int = 640
    n_features: int = 1500
    min_inliers: int = 12
    min_coverage: float = 0.2
    min_explained: float = 0.6
    min_compared: float = 0.1
    max_residual_motion_px: float = 1.0
    work_side: int = 384
    max_candidates: int = 2
    min_edit_fraction: float = 0.002
    coarse_feature_side: int = 256


@dataclass(slots=True, eq=False)
class ReferencePrep:
    """Per-reference work done once (features only when the reference is matched).

    The content box and the hashes come from the reference's preview, so that references
    that are never matched are never decoded at analysis size; ``content`` is in preview
    pixels (``preview_shape``), :meth:`content_at` scales it to another decode of the file.
    """

    content: ContentBox
    preview_shape: tuple[int, int]
    hashes: ImageHashes
    border: tuple[int, int, int] | None  # the colour of a plain border (a listing's white)
    features: Features | None = None
    coarse: Features | None = None

    def content_at(self, shape: tuple[int, ...]) -> ContentBox:
        """The content box in the pixels of a decode of shape ``(H, W, ...)``."""
        fy, fx = shape[0] / self.preview_shape[0], shape[1] / self.preview_shape[1]
        c = self.content
        x0, y0 = round(c.x * fx), round(c.y * fy)
        x1 = min(shape[1], max(x0 + 1, round((c.x + c.width) * fx)))
        y1 = min(shape[0], max(y0 + 1, round((c.y + c.height) * fy)))
        return ContentBox(x0, y0, x1 - x0, y1 - y0, c.framed)


@dataclass(slots=True, eq=False)
class EvidenceDerivation:
    """Per-evidence results, kept in ``case.cache["derivation"]["evidence"]``."""

    content: ContentBox
    features: Features
    lines: ContentLines  # the evidence's border statistics, for boxes that keep a colour
    hashes: dict[int, HashMatch] = field(default_factory=dict)
    matches: dict[int, GeometricMatch] = field(default_factory=dict)
    best_reference: int | None = None
    derived: bool = False
    change_map: ChangeMap | None = None
    transform: TransformSummary | None = None
    # references the evidence is another shot of, an object moved (see matching.moved_object)
    siblings: set[int] = field(default_factory=set)
    # the evidence file's JPEG coding, when the analysis pixels are the file's own grid
    jpeg: JpegCoding | None = None


def detect(case: Case, options: Mapping[str, Any]) -> Sequence[Finding]:
    """Return derivation findings for every evidence image of the case."""
    params = _params(options)
    refs = [r for r in case.references if r.ok]
    if not refs:
        return ()
    cache = case.cache.setdefault("derivation", {"references": {}, "evidence": {}})
    preps = {r.index: _prepare_reference(r, cache["references"], params) for r in refs}
    findings: list[Finding] = []
    for item in case.evidence:
        if not item.ok:
            continue
        result = _analyse(item, refs, preps, params)
        cache["evidence"][item.index] = result
        findings.extend(_findings(item, result, params))
    return findings


def _params(options: Mapping[str, Any]) -> DerivationParams:
    names = {f.name for f in fields(DerivationParams)}
    unknown = set(options) - names
    if unknown:
        raise InvalidParameter(
            f"Unknown derivation option(s) {sorted(unknown)}; valid ones are {sorted(names)}."
        )
    return DerivationParams(**dict(options))


# A reference pixel within this of its border colour is plain background; at least this many
# such grid points must land in the evidence to tell which colour that background has there.
RENDERED_BORDER_TOLERANCE = 14
RENDERED_BORDER_MIN_POINTS = 16
# A frame of another colour counts when it takes at least 3% of the evidence: a sliver (a row of
# resampling at the edge) is no app chrome.
KEPT_FRAME_MAX_SHARE = 0.97

# The evidence goes on past the reference's frame (see _beyond_reference): at least this share
# of its content lies outside the warped reference, a margin of BEYOND_MARGIN of the diagonal
# away from its edges, and at least BEYOND_TEXTURED of that area, and of the strip along the
# edges, has a local (5 x 5) grey-level spread above BEYOND_STD levels; and the gradient along
# those edges is at most BEYOND_STEP times the gradient beside them (no seam).
BEYOND_MIN_SHARE = 0.05
BEYOND_MARGIN = 0.01
BEYOND_TEXTURED = 0.25
BEYOND_STD = 6.0
BEYOND_STEP = 2.0

_PREP_CACHE_SIZE = 256
_prep_cache: OrderedDict[tuple[Any, ...], ReferencePrep] = OrderedDict()
_prep_lock = Lock()


def clear_reference_cache() -> None:
    """Forget every prepared reference (the process-level memo of :func:`_prepare_reference`)."""
    with _prep_lock:
        _prep_cache.clear()


def _prepare_reference(
    item: Item, store: dict[int, ReferencePrep], p: DerivationParams
) -> ReferencePrep:
    """Content box and hashes of one reference's preview, memoised across cases.

    Only the identity hash is kept: the evidence carries the dihedral variants (one set per
    claim instead of one per reference). Its ORB features are added to the same record when
    the reference is first matched (:func:`_reference_features`): with several references,
    those that are never matched cost no features and no analysis-size decode. Listing
    photos come back in many claims, so the preparation (a pure function of the reference's
    bytes, its preview and analysis sizes and the feature settings) is kept in a bounded,
    process-level LRU of ``_PREP_CACHE_SIZE`` entries (about 60 kB each) keyed by the file's
    SHA-256. It holds no state other than that memo: a miss computes exactly what a hit
    returns.
    """
    if item.index in store:
        return store[item.index]
    key = (
        item.sha256,
        PREVIEW_MAX_SIDE,
        item.analysis_max_side,
        p.feature_side,
        p.n_features,
        p.coarse_feature_side,
    )
    with _prep_lock:
        prep = _prep_cache.get(key)
        if prep is not None:
            _prep_cache.move_to_end(key)
    if prep is None:
        preview = item.preview
        assert preview is not None  # only readable references are prepared
        small = preview.pixels
        content = find_content_box(small)
        prep = ReferencePrep(
            content=content,
            preview_shape=(small.shape[0], small.shape[1]),
            hashes=compute_hashes(content.crop(small), variants=False),
            border=plain_border(small),
        )
        with _prep_lock:
            _prep_cache[key] = prep
            while len(_prep_cache) > _PREP_CACHE_SIZE:
                _prep_cache.popitem(last=False)
    store[item.index] = prep
    return prep


def _analyse(
    item: Item, refs: Sequence[Item], preps: Mapping[int, ReferencePrep], p: DerivationParams
) -> EvidenceDerivation:
    assert item.analysis is not None
    rgb = item.analysis.pixels
    lines = content_lines(rgb)
    content = find_content_box(rgb, lines=lines)
    box = (content.x, content.y, content.width, content.height)
    ev_hash = compute_hashes(content.crop(rgb), variants=True)
    features = _content_features(rgb, content, p, mirrored=False)
    result = EvidenceDerivation(
        content=content, features=features, lines=lines, jpeg=_own_grid_coding(item)
    )
    for r in refs:
        result.hashes[r.index] = closest_variant(ev_hash, preps[r.index].hashes)
    # Match the references closest by hash first. Once one fits decisively, the others (a
    # listing usually has unrelated photos beside the one that was copied) are matched only
    # if that one turns out not to explain the evidence.
    order = sorted(
        refs,
        key=lambda r: (result.hashes[r.index].pdq_distance_bits, result.hashes[r.index].variant),
    )
    pending = list(order)
    while pending:
        r = pending.pop(0)
        result.matches[r.index] = fit_homography(
            _reference_features(r, preps[r.index], p), features, content=box
        )
        if _decisive(result.matches[r.index], p):
            break
    _compare_candidates(result, rgb, refs, preps, p, box, tried=set())
    if not result.derived and pending:
        tried = set(result.matches)
        for r in pending:
            result.matches[r.index] = fit_homography(
                _reference_features(r, preps[r.index], p), features, content=box
            )
        _compare_candidates(result, rgb, refs, preps, p, box, tried=tried)
    if not result.derived:
        _try_hash_route(result, rgb, refs, preps, p)
    if result.best_reference is not None and result.derived:
        ref_item = next(r for r in refs if r.index == result.best_reference)
        result.transform = summarize_transform(
            result.matches[result.best_reference], _analysis(ref_item), item.analysis, content
        )
    return result


def _rendered_border(
    ref_rgb: np.ndarray, rgb: np.ndarray, H: np.ndarray, border: tuple[int, int, int]
) -> tuple[int, int, int] | None:
    """The colour the reference's plain background has in the evidence (a filter, gamma or a
    screen's white point move it), or None when too little of it lands in the evidence.

    Reference pixels of the ``border`` colour, on a grid of about 48 per side, are carried
    into the evidence by ``H``; the evidence's median colour there is the answer.
    """
    h, w = ref_rgb.shape[:2]
    step = max(1, max(h, w) // 48)
    ys, xs = np.mgrid[0:h:step, 0:w:step]
    plain = np.abs(ref_rgb[ys, xs].astype(np.int16) - np.asarray(border, np.int16)).max(axis=2)
    at = plain <= RENDERED_BORDER_TOLERANCE
    if at.sum() < RENDERED_BORDER_MIN_POINTS:
        return None
    pts = np.column_stack([xs[at], ys[at]]).astype(np.float64).reshape(-1, 1, 2)
    moved = cv2.perspectiveTransform(pts, H).reshape(-1, 2)
    x, y = np.round(moved[:, 0]), np.round(moved[:, 1])
    inside = (x >= 0) & (y >= 0) & (x < rgb.shape[1]) & (y < rgb.shape[0])
    if inside.sum() < RENDERED_BORDER_MIN_POINTS:
        return None
    seen = rgb[y[inside].astype(int), x[inside].astype(int)]
    r, g, b = (int(v) for v in np.median(seen, axis=0))
    return r, g, b


def _analysis(item: Item) -> DecodedImage:
    """A reference's analysis decode, made on first use (its preview was readable)."""
    decoded = item.analysis
    if decoded is None:
        raise item.error or UnreadableImage(
            f"Reference {item.index + 1} decoded as a preview but not at analysis size.",
            reason="corrupt",
        )
    return decoded


def _own_grid_coding(item: Item) -> JpegCoding | None:
    """The evidence file's JPEG coding when its analysis pixels lie on the file's own block
    grid (decoded at full size, no orientation applied); None otherwise."""
    a = item.analysis
    if a is None or a.format != "JPEG" or a.orientation not in (0, 1):
        return None
    if a.pixels.shape[:2] != (a.height, a.width):
        return None
    return jpeg_coding(item.data)


def _compare_candidates(
    result: EvidenceDerivation,
    rgb: np.ndarray,
    refs: Sequence[Item],
    preps: Mapping[int, ReferencePrep],
    p: DerivationParams,
    box: tuple[int, int, int, int],
    tried: set[int],
) -> None:
    """Refit the matched references that need it (mirror, coarse), then localise the best.

    Only references with an entry in ``result.matches`` take part; those in ``tried`` were
    compared already and are not compared again.
    """
    content = result.content
    matched = [r for r in refs if r.index in result.matches and r.index not in tried]
    if not any(_strong(m, p) for m in result.matches.values()) or any(
        result.hashes[i].mirrored and result.hashes[i].is_match for i in result.matches
    ):
        mirrored = _content_features(rgb, content, p, mirrored=True)
        for r in matched:
            alt = fit_homography(_reference_features(r, preps[r.index], p), mirrored, content=box)
            if _rank(alt) > _rank(result.matches[r.index]):
                result.matches[r.index] = alt
    if not any(_strong(m, p) for m in result.matches.values()):
        # Blurred, re-photographed from a screen (moire) or heavily resampled copies lose
        # their fine corners: match once more on coarse copies of both sides.
        coarse = replace(p, feature_side=p.coarse_feature_side)
        for mirrored_pass in (False, True):
            ev_coarse = _content_features(rgb, content, coarse, mirrored=mirrored_pass)
            for r in matched:
                ref_coarse = _coarse_reference(r, preps[r.index], coarse)
                alt = fit_homography(ref_coarse, ev_coarse, content=box)
                if _rank(alt) > _rank(result.matches[r.index]):
                    result.matches[r.index] = alt
            if any(_strong(m, p) for m in result.matches.values()):
                break
    candidates = sorted(
        (i for i, m in result.matches.items() if _strong(m, p) and i not in tried),
        key=lambda i: -_rank(result.matches[i]),
    )[: p.max_candidates]
    for i in candidates:
        ref_rgb = _analysis(next(r for r in refs if r.index == i)).pixels
        H = result.matches[i].homography
        assert H is not None
        # The content box keeps screenshot chrome out of the comparison. When the reference
        # itself has plain borders (a listing shot on white), the evidence's plain margins may
        # be the reference's own background, where a chunk "missing" from the product shows:
        # then only the evidence's borders of another colour than that background (as the
        # evidence renders it) are stripped, and the warped reference's footprint bounds the
        # rest. Left in, a dark app bar meets the footprint's edge wherever the fit is a few
        # pixels off there or the screenshot cut the photo, and the plain white beside it
        # (no noise to set a floor) lights up as a band of change.
        frame: tuple[int, int, int, int] | None = box
        border = preps[i].border
        if preps[i].content.framed:
            frame = None
            colour = None if border is None else _rendered_border(ref_rgb, rgb, H, border)
            if colour is not None:
                kept = find_content_box(rgb, keep_colour=colour, lines=result.lines)
                if kept.area_fraction(rgb.shape) < KEPT_FRAME_MAX_SHARE:
                    frame = (kept.x, kept.y, kept.width, kept.height)
        cmap = localize_changes(
            ref_rgb, rgb, H, content=frame, work_side=p.work_side, jpeg=result.jpeg
        )
        if not _explains(cmap, p):
            # A large painted dent magnifies part of the image and can win the fit; the
            # untouched rest is then the runner-up plane.
            second = second_plane(result.matches[i], ref_rgb.shape[:2], rgb.shape[:2])
            if second is not None and second.homography is not None:
                runner_up = localize_changes(
                    ref_rgb,
                    rgb,
                    second.homography,
                    content=frame,
                    work_side=p.work_side,
                    jpeg=result.jpeg,
                )
                if _explains(runner_up, p):
                    result.matches[i], cmap = second, runner_up
        if _explains(cmap, p) and (
            moved_object(result.matches[i], cmap.mask)
            or _beyond_reference(rgb, result.matches[i].homography, ref_rgb.shape, frame)
        ):
            # The same scene a moment later: the product moved in the hand (one homography
            # fits the still background and the "change" is the object that moved), or the
            # camera stepped back or aside and the evidence shows more of the scene.
            result.siblings.add(i)
            continue
        if (
            result.change_map is None
            or cmap.explained_fraction > result.change_map.explained_fraction
        ):
            result.best_reference, result.change_map = i, cmap
        if _explains(cmap, p):
            result.best_reference, result.change_map, result.derived = i, cmap, True
            break


def _beyond_reference(
    rgb: np.ndarray,
    H: np.ndarray | None,
    ref_shape: tuple[int, ...],
    frame: tuple[int, int, int, int] | None,
) -> bool:
    """Does the evidence show the scene past the reference's edges?

    A copy holds nothing of the scene that the reference lacks: a crop lies inside it, a
    rotation or a slant is cropped or padded from its own pixels, and what a screenshot
    shows round the photo is app chrome on a plain ground. Another shot of the same scene, a
    step aside or zoomed out, goes on past the reference's frame with the same kind of
    texture, right up to that frame's edges and across them without a seam (a collage of the
    listing beside another photo has one all along them). ``frame`` is the evidence's content box
    (x, y, width, height) or None for the whole image; ``H`` maps reference analysis pixels
    to evidence analysis pixels.
    """
    if H is None:
        return False
    h, w = rgb.shape[:2]
    x, y, bw, bh = frame if frame is not None else (0, 0, w, h)
    box = np.zeros((h, w), bool)
    box[y : y + bh, x : x + bw] = True
    ones = np.ones(ref_shape[:2], np.uint8)
    footprint = cv2.warpPerspective(ones, H, (w, h), flags=cv2.INTER_NEAREST)
    m = max(2, round(BEYOND_MARGIN * float(np.hypot(h, w))))
    near = cv2.dilate(footprint, np.ones((2 * m + 1, 2 * m + 1), np.uint8)) > 0
    outside = box & ~near
    if outside.sum() < BEYOND_MIN_SHARE * box.sum():
        return False
    strip = outside & (cv2.dilate(footprint, np.ones((4 * m + 1, 4 * m + 1), np.uint8)) > 0)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    textured = local_std(grey, 5) > BEYOND_STD
    if not (
        strip.any()
        and textured[outside].mean() >= BEYOND_TEXTURED
        and textured[strip].mean() >= BEYOND_TEXTURED
    ):
        return False
    # The scene goes on across the reference's edge, with no step along it: a collage (the
    # listing beside another photo, with or without a gutter) breaks there all along.
    grad = cv2.dilate(  # a pixel's leeway for the fit
        cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)),
        np.ones((3, 3), np.uint8),
    )
    inner = np.zeros((h, w), bool)  # the content box less a margin: its own edges are no step
    inner[y + m : y + bh - m, x + m : x + bw - m] = True
    edge = inner & (footprint > 0) & (cv2.erode(footprint, np.ones((3, 3), np.uint8)) == 0)
    wide = np.ones((4 * m + 1, 4 * m + 1), np.uint8)
    ring = box & (cv2.dilate(footprint, wide) > 0) & (cv2.erode(footprint, wide) == 0)
    ring &= cv2.dilate(edge.astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
    if not edge.any() or not ring.any():
        return False
    return bool(np.median(grad[edge]) <= BEYOND_STEP * np.median(grad[ring]))


def _explains(
    cmap: ChangeMap,
    p: DerivationParams,
    *,
    min_explained: float | None = None,
    min_compared: float | None = None,
) -> bool:
    """The aligned reference reproduces the evidence: most of it, and nothing moves.

    The shares default to ``p``'s; the content-box route, which has no feature inliers
    behind its homography, asks for more.
    """
    return (
        cmap.explained_fraction >= (p.min_explained if min_explained is None else min_explained)
        and cmap.compared_fraction >= (p.min_compared if min_compared is None else min_compared)
        and cmap.residual_motion_px <= p.max_residual_motion_px
    )


def _try_hash_route(
    result: EvidenceDerivation,
    rgb: np.ndarray,
    refs: Sequence[Item],
    preps: Mapping[int, ReferencePrep],
    p: DerivationParams,
) -> None:
    """Derived, but the features did not find the copy's plane.

    Too plain for features (a blank wall, a white box), or a painted dent so large that the
    features follow it. A near-duplicate by hash (PDQ within ``HASH_ROUTE_PDQ_BITS``, pHash
    within its match distance: a dent or a stain moves PDQ first), or (when features found
    almost nothing) a content box of the reference's shape, gives the homography from the
    boxes and the hash's dihedral variant; the comparison must then explain nearly all of the
    evidence, or most of it with what changed kept to a part of the product (a large burn on a
    plain lemon). References are tried closest by hash first, at most two by each way (each
    try is a full comparison).
    """
    tried = hashed = 0
    for r in sorted(refs, key=lambda r: result.hashes[r.index].pdq_distance_bits):
        if r.index in result.siblings:  # another shot of its scene, not a copy
            continue
        h = result.hashes[r.index]
        ev_box = result.content
        if h.pdq_distance_bits <= HASH_ROUTE_PDQ_BITS and h.phash_distance_bits <= PHASH_MATCH_BITS:
            if hashed == 2:
                continue
            variant, hashed = h.variant, hashed + 1
            ref_box = preps[r.index].content_at(_analysis(r).pixels.shape)
        elif result.matches[r.index].n_matches < 40 and tried < 2:
            # Too plain for features and a painted stain moved the hash: try the framing as is,
            # by the content boxes or, when noise or a filter hid a plain border, the frames.
            ref_shape = _analysis(r).pixels.shape
            ref_box = preps[r.index].content_at(ref_shape)
            if not _same_aspect(ref_box, ev_box):
                ref_box = ContentBox(0, 0, ref_shape[1], ref_shape[0], False)
                ev_box = ContentBox(0, 0, rgb.shape[1], rgb.shape[0], False)
                if not _same_aspect(ref_box, ev_box):
                    continue
            variant, tried = "identity", tried + 1
        else:
            continue
        H = _variant_homography(variant, ref_box, ev_box)
        cmap = localize_changes(
            _analysis(r).pixels, rgb, H, work_side=p.work_side, jpeg=result.jpeg
        )
        if _explains(cmap, p, min_explained=HASH_EDIT_EXPLAINED, min_compared=0.8) and (
            cmap.explained_fraction >= 0.9 or cmap.changed_fraction <= HASH_EDIT_MAX_CHANGE
        ):
            result.matches[r.index] = GeometricMatch(
                H, 0, 0, 0.0, 1.0, 0.0, variant.startswith("mirror")
            )
            result.best_reference, result.change_map, result.derived = r.index, cmap, True
            return


def _same_aspect(a: ContentBox, b: ContentBox) -> bool:
    return bool(abs(np.log((a.width / a.height) / (b.width / b.height))) < 0.02)


def _variant_homography(variant: str, ref_box: ContentBox, ev_box: ContentBox) -> np.ndarray:
    """Reference pixels -> evidence pixels: content box, turned/mirrored, onto the evidence's."""
    w, h = float(ref_box.width), float(ref_box.height)
    M = np.array([[1.0, 0.0, -ref_box.x], [0.0, 1.0, -ref_box.y], [0.0, 0.0, 1.0]])
    for _ in range(VARIANTS.index(variant) % 4):  # np.rot90: (x, y) -> (y, w - x)
        M = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, w], [0.0, 0.0, 1.0]]) @ M
        w, h = h, w
    if variant.startswith("mirror"):
        M = np.array([[-1.0, 0.0, w], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]) @ M
    scale = np.diag([ev_box.width / w, ev_box.height / h, 1.0])
    shift = np.array([[1.0, 0.0, ev_box.x], [0.0, 1.0, ev_box.y], [0.0, 0.0, 1.0]])
    out: np.ndarray = shift @ scale @ M
    return out


def _reference_features(item: Item, prep: ReferencePrep, p: DerivationParams) -> Features:
    """ORB features of a reference, computed on first use and kept in its preparation."""
    if prep.features is None:
        prep.features = extract_features(
            _analysis(item).pixels, work_side=p.feature_side, n_features=p.n_features
        )
    return prep.features


def _coarse_reference(item: Item, prep: ReferencePrep, p: DerivationParams) -> Features:
    if prep.coarse is None:
        prep.coarse = extract_features(
            _analysis(item).pixels, work_side=p.feature_side, n_features=p.n_features
        )
    return prep.coarse


def _content_features(
    rgb: np.ndarray, content: ContentBox, p: DerivationParams, *, mirrored: bool
) -> Features:
    """Features of the content box (a screenshot's photo gets the full feature budget),
    in the coordinates of the whole (mirrored, when asked) evidence image."""
    f = extract_features(
        content.crop(rgb), work_side=p.feature_side, n_features=p.n_features, mirrored=mirrored
    )
    if not content.framed:
        return f
    pts = f.points.copy()
    h, w = rgb.shape[:2]
    # In the mirrored image the crop's left edge sits at w - (x + width).
    pts[:, 0] += (w - content.x - content.width) if mirrored else content.x
    pts[:, 1] += content.y
    return Features(pts, f.descriptors, (h, w), mirrored)


def _decisive(m: GeometricMatch, p: DerivationParams) -> bool:
    """A fit so clear that other references need not be matched unless this one fails."""
    return _strong(m, p) and m.n_inliers >= 4 * p.min_inliers and m.coverage >= 0.5


def _strong(m: GeometricMatch, p: DerivationParams) -> bool:
    return m.found and m.n_inliers >= p.min_inliers and m.coverage >= p.min_coverage


def _rank(m: GeometricMatch) -> float:
    return m.n_inliers * (0.25 + m.coverage) if m.found else -1.0


# The score of a derivation that passed its tests with nothing to spare (strength 0: content
# still moving by parallax, or little explained beyond the minimum). Such a match is as often
# a second shot of the same shelf as a copy (on the mixed sets 5 forged and 4 genuine scored
# there), so it scores low and the risk model weighs it accordingly; the claim is still held
# for review by the routing policy, which blocks every derivation.
DOUBTFUL_SCORE = 0.3


def _findings(item: Item, r: EvidenceDerivation, p: DerivationParams) -> list[Finding]:
    if not r.derived or r.best_reference is None or r.change_map is None or r.transform is None:
        return []
    assert item.analysis is not None
    ri, m, cmap, t = r.best_reference, r.matches[r.best_reference], r.change_map, r.transform
    ev_no, ref_no = item.index + 1, ri + 1
    # Weaker when few inliers, when less is explained, and when content still moves after
    # alignment (parallax: a second photo of a 3-D scene).
    # The content-box route has no feature inliers; it demands 90% explained instead.
    support = min(1.0, m.n_inliers / 40.0) if m.n_inliers else 1.0
    strength = (
        support
        * min(1.0, (cmap.explained_fraction - 0.4) / 0.4)
        * min(1.0, max(0.0, (0.7 - cmap.residual_motion_px) / 0.4))
    )
    score = float(np.clip(DOUBTFUL_SCORE + (1.0 - DOUBTFUL_SCORE) * strength, 0.0, 1.0))
    data = {
        "version": VERSION,
        "params": {f.name: getattr(p, f.name) for f in fields(p)},
        "reference_index": ri,
        "route": "features" if m.n_inliers else "content-box",
        "transform": t.to_dict(),
        "inliers": m.n_inliers,
        "matches": m.n_matches,
        "inlier_ratio": round(m.inlier_ratio, 4),
        "coverage": round(m.coverage, 4),
        "reprojection_error": round(m.reprojection_error, 5),
        "explained_fraction": round(cmap.explained_fraction, 4),
        "compared_fraction": round(cmap.compared_fraction, 4),
        "changed_fraction": round(cmap.changed_fraction, 4),
        "noise_floor": round(cmap.noise_floor, 3),
        "residual_motion_px": round(cmap.residual_motion_px, 3),
        # text written over the photo, not counted as a change: x, y, width, height (original)
        "captions": [[round(v / item.analysis.scale) for v in box] for box in cmap.captions],
        # marks drawn over the photo (stickers, arrows), not counted as a change: as captions
        "marks": [[round(v / item.analysis.scale) for v in box] for box in cmap.marks],
        "hash": {
            "pdq_distance_bits": r.hashes[ri].pdq_distance_bits,
            "phash_distance_bits": r.hashes[ri].phash_distance_bits,
            "variant": r.hashes[ri].variant,
        },
    }
    how_en, how_zh = t.describe()
    explained = f"{cmap.explained_fraction * 100:.0f}%"
    # A caption the buyer wrote over the photo is named, not counted as damage.
    written_en = (
        f" Text written over the photo ({len(cmap.captions)} line(s)) is not counted as a change."
        if cmap.captions
        else ""
    )
    written_zh = f"照片上另写的文字({len(cmap.captions)} 行)不计为改动。" if cmap.captions else ""
    if cmap.marks:
        written_en += (
            f" {len(cmap.marks)} mark(s) drawn over the photo (stickers, arrows) are not"
            " counted as a change."
        )
        written_zh += f"照片上另画的 {len(cmap.marks)} 处标记(贴纸、箭头)不计为改动。"
    out = [
        Finding(
            detector=DETECTOR,
            code="derived-from-reference",
            severity=Severity.HIGH,
            score=score,
            message_en=f"Evidence photo {ev_no} is made from reference photo {ref_no} "
            f"({how_en}): the reference explains {explained} of it, which a new photo of the "
            "goods would not.",
            message_zh=f"证据照片 {ev_no} 由参考照片 {ref_no} 加工而成({how_zh}):参考照片可解释其 "
            f"{explained} 的内容,重新拍摄的实物照片不会如此。",
            evidence_index=item.index,
            reference_index=ri,
            data=data,
        )
    ]
    edits = [g for g in cmap.regions]
    if cmap.changed_fraction >= p.min_edit_fraction and edits:
        to_orig = 1.0 / item.analysis.scale
        regions = tuple(
            Region(
                x=int(g.x * to_orig),
                y=int(g.y * to_orig),
                width=max(1, round(g.width * to_orig)),
                height=max(1, round(g.height * to_orig)),
                score=g.score,
                label=g.description_en,
            )
            for g in edits
        )
        top = edits[0]
        # "The reference with a local edit" is never surer than "the reference": a strong
        # change in a weakly derived match (a second shot of the same shelf, moved by parallax)
        # must not outweigh the doubt about the derivation itself.
        edit_score = min(score, 0.5 * score + 0.5 * top.score + 0.2)
        more_en = f" and {len(edits) - 1} more change(s)" if len(edits) > 1 else ""
        more_zh = f",另有 {len(edits) - 1} 处改动" if len(edits) > 1 else ""
        out.append(
            Finding(
                detector=DETECTOR,
                code="derived-with-local-edit",
                severity=Severity.CRITICAL,
                score=float(np.clip(edit_score, 0.0, 1.0)),
                message_en=f"Evidence photo {ev_no} is reference photo {ref_no} "
                f"with local changes: "
                f"{top.description_en}{more_en}. Everything else matches the reference, so the "
                f"damage was most likely painted into the merchant's photo.{written_en}",
                message_zh=f"证据照片 {ev_no} 是参考照片 {ref_no} 经局部修改而成:"
                f"{top.description_zh}"
                f"{more_zh}。其余部分与参考照片一致,损坏很可能是在商家照片上后期添加的。"
                f"{written_zh}",
                evidence_index=item.index,
                reference_index=ri,
                regions=regions,
                mask=cmap.mask,
                data={**data, "regions": [g.description_en for g in edits]},
            )
        )
    else:
        out.append(
            Finding(
                detector=DETECTOR,
                code="derived-unedited",
                severity=Severity.MEDIUM,
                score=score,
                message_en=f"Evidence photo {ev_no} is reference photo {ref_no} itself ({how_en}) "
                f"with nothing changed: it shows the merchant's photo, not the goods received."
                f"{written_en}",
                message_zh=f"证据照片 {ev_no} 就是参考照片 {ref_no}({how_zh}),内容未作改动:"
                f"它展示的是商家的照片,而不是收到的商品。{written_zh}",
                evidence_index=item.index,
                reference_index=ri,
                data=data,
            )
        )
    return out
