"""Local features and one robust homography between a reference and an evidence image.

ORB keypoints (fast, rotation- and scale-tolerant, about 4 ms at 640 px on one core) are
matched with a ratio test and a mutual check, then one homography is fitted with OpenCV's
USAC MAGSAC++. An image made from the reference (crop, rescale, rotation, perspective,
screenshot) fits one homography with inliers spread over its whole content; a genuine
re-photograph of a 3-D product fits, at best, one face of it. A mirrored copy is matched through
features of the mirrored evidence whose points are mapped back, so the homography itself
carries the reflection (negative determinant).

Coordinates are always in the pixels of the arrays the features came from (the analysis
images), never in the feature working size.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from trueclaim.forensics.types import RGBImage

Points = npt.NDArray[np.float32]  # (N, 2) x, y
Homography = npt.NDArray[np.float64]  # (3, 3)

_MIN_MATCHES = 10
_MIN_SECOND = 20  # inliers of a second plane (see second_plane)
# A moved object (see moved_object): inliers of its own motion inside the changes, and the
# shift that even the least moved tenth of them made, as a share of the evidence's diagonal.
MOVED_MIN_INLIERS = 15
MOVED_MIN_SHIFT = 0.015
# ... and the median shift at most this share: matches that far apart pair repeated patterns
# (a row of identical packs, a drawing's equal circles) rather than one object's two places.
MOVED_MAX_SHIFT = 0.25
_SEED = 20251124
_GRID = 8


@dataclass(frozen=True, slots=True, eq=False)
class Features:
    """ORB keypoints of one image, in the pixels of the array they were computed from."""

    points: Points  # (N, 2)
    descriptors: npt.NDArray[np.uint8]  # (N, 32)
    shape: tuple[int, int]  # (H, W) of the source array
    mirrored: bool = False  # found on the mirrored image; points are in its coordinates

    def __len__(self) -> int:
        return int(self.points.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class GeometricMatch:
    """One homography from reference to evidence pixels and how well it explains the matches.

    ``coverage`` is the share of the evidence content's grid cells that hold keypoints and
    also hold an inlier: near 1 when the whole evidence is a warped copy of the reference.
    ``reprojection_error`` is the median inlier error as a fraction of the evidence diagonal.
    """

    homography: Homography | None  # reference -> evidence
    n_matches: int
    n_inliers: int
    inlier_ratio: float
    coverage: float
    reprojection_error: float
    mirrored: bool
    # The matches the fit left out (reference points, evidence points unmirrored), for
    # :func:`second_plane`; None when too few were left out to hold another plane.
    outliers: tuple[Points, Points] | None = field(default=None, repr=False)
    threshold_px: float = 0.0  # the inlier threshold the fit used
    # The matches the fit kept, alongside ``outliers`` (for the second plane's own outliers).
    inlier_points: tuple[Points, Points] | None = field(default=None, repr=False)

    @property
    def found(self) -> bool:
        return self.homography is not None


NO_MATCH = GeometricMatch(None, 0, 0, 0.0, 0.0, 1.0, False)


def extract_features(
    rgb: RGBImage,
    *,
    work_side: int = 640,
    n_features: int = 1500,
    mirrored: bool = False,
) -> Features:
    """Detect ORB keypoints on a grey copy rescaled so its longest side is ``work_side``.

    Small images are upscaled so that a 200-pixel listing photo still yields keypoints.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
    work_side : int, optional
        Longest side of the grey image the detector runs on.
    n_features : int, optional
        Cap on keypoints.
    mirrored : bool, optional
        Detect on the left-right mirror image (points stay in the mirror's coordinates;
        :func:`fit_homography` folds the reflection into its result, because USAC rejects
        orientation-reversing models).

    Returns
    -------
    Features
    """
    h, w = rgb.shape[:2]
    f = work_side / max(h, w)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if mirrored:
        gray = np.ascontiguousarray(gray[:, ::-1])
    size = (max(1, round(w * f)), max(1, round(h * f)))
    gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    # A textured photo fills the cap at FAST threshold 12; a smooth product (a lemon on white)
    # needs 5, at about twice the cost, so that pass runs only when the first falls short.
    orb = cv2.ORB_create(  # type: ignore[attr-defined]
        nfeatures=n_features, scaleFactor=1.2, nlevels=8, fastThreshold=12
    )
    keypoints, descriptors = orb.detectAndCompute(gray, None)
    if len(keypoints) < n_features:
        orb.setFastThreshold(5)
        keypoints, descriptors = orb.detectAndCompute(gray, None)
    if descriptors is None or not keypoints:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), (h, w), mirrored)
    pts = np.array([kp.pt for kp in keypoints], dtype=np.float32)
    pts[:, 0] *= w / size[0]
    pts[:, 1] *= h / size[1]
    return Features(pts, descriptors, (h, w), mirrored)


def match_features(
    reference: Features, evidence: Features, *, ratio: float = 0.8
) -> tuple[Points, Points]:
    """Putative correspondences: Lowe's ratio test one way, then a mutual nearest check.

    Returns
    -------
    (reference_points, evidence_points) : two (M, 2) float32 arrays
    """
    empty = np.zeros((0, 2), np.float32)
    if len(reference) < 2 or len(evidence) < 2:
        return empty, empty
    # Both searches read one distance matrix: OpenCV's brute-force matcher computes every
    # distance again for the backward search, and pays a call per descriptor pair.
    distances = _hamming_distances(evidence.descriptors, reference.descriptors)
    rows = np.arange(len(distances))
    # The two nearest, ties to the lower index (as BFMatcher.knnMatch keeps them).
    nearest = distances.argmin(axis=1)
    best = distances[rows, nearest]
    others = distances.copy()
    others[rows, nearest] = np.iinfo(others.dtype).max  # above any distance of 256 bits
    second = others.min(axis=1)
    passed = np.flatnonzero(best < ratio * second)
    if not passed.size:
        return empty, empty
    # Mutual check: each chosen reference point's nearest evidence point, ties to the lower.
    chosen = nearest[passed]
    mutual = passed[distances[:, chosen].argmin(axis=0) == passed]
    if not mutual.size:
        return empty, empty
    return reference.points[nearest[mutual]], evidence.points[mutual]


_HAMMING_BLOCK = 256  # query rows per pass: the block's temporaries stay in cache


def _hamming_distances(query: npt.NDArray[np.uint8], train: npt.NDArray[np.uint8]) -> np.ndarray:
    """(len(query), len(train)) Hamming distances between binary descriptors, as uint16.

    Descriptors are compared a 64-bit word at a time (XOR, then a population count), all
    train descriptors at once, a block of query rows per pass.
    """
    word = np.uint64 if query.shape[1] % 8 == 0 else np.uint8
    q = np.ascontiguousarray(query).view(word)
    t = np.ascontiguousarray(np.ascontiguousarray(train).view(word).T)  # one row per word
    out = np.empty((len(q), t.shape[1]), np.uint16)
    diff = np.empty((min(_HAMMING_BLOCK, len(q)), t.shape[1]), word)
    bits = np.empty(diff.shape, np.uint8)
    for start in range(0, len(q), _HAMMING_BLOCK):
        block = q[start : start + _HAMMING_BLOCK]
        acc, n = out[start : start + len(block)], len(block)
        for w in range(t.shape[0]):
            np.bitwise_xor(block[:, w, None], t[w], out=diff[:n])
            np.bitwise_count(diff[:n], out=bits[:n])
            if w == 0:
                acc[...] = bits[:n]
            else:
                acc += bits[:n]
    return out


def fit_homography(
    reference: Features,
    evidence: Features,
    *,
    content: tuple[int, int, int, int] | None = None,
    ratio: float = 0.8,
    threshold_fraction: float = 0.003,
) -> GeometricMatch:
    """Match features and fit one homography (USAC MAGSAC++), with coverage statistics.

    Parameters
    ----------
    reference, evidence : Features
    content : (x, y, width, height), optional
        The evidence's content box (screenshot bars stripped); coverage is measured inside it.
    ratio : float, optional
        Lowe's ratio test threshold.
    threshold_fraction : float, optional
        Inlier threshold as a fraction of the evidence's longest side (at least 1.5 px). A
        loose threshold lets a skewed model with many near-misses (coarse-level ORB points of
        a blurred copy) beat the exact one.

    Returns
    -------
    GeometricMatch
        ``NO_MATCH`` (with ``n_matches``) when too few matches or no plausible fit.
    """
    src, dst = match_features(reference, evidence, ratio=ratio)
    n = int(src.shape[0])
    if n < _MIN_MATCHES:
        return GeometricMatch(None, n, 0, 0.0, 0.0, 1.0, evidence.mirrored)
    eh, ew = evidence.shape
    thr = max(1.5, threshold_fraction * max(eh, ew))
    H, inl = _best_fit(src, dst, thr)
    if H is None or inl is None or not _plausible(H, reference.shape, evidence.shape):
        return GeometricMatch(None, n, 0, 0.0, 0.0, 1.0, evidence.mirrored)
    if evidence.mirrored:
        flip = np.array([[-1.0, 0.0, ew - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        H = flip @ H
        dst = dst.copy()
        dst[:, 0] = (ew - 1) - dst[:, 0]
    inliers = inl.ravel().astype(bool)
    k = int(inliers.sum())
    left_out = kept = None
    if n - k >= _MIN_SECOND:
        left_out = (src[~inliers], dst[~inliers])  # boolean indexing copies
        kept = (src[inliers], dst[inliers])
    err = _median_error(H, src[inliers], dst[inliers]) if k else 1.0
    box = content or (0, 0, ew, eh)
    return GeometricMatch(
        homography=H,
        n_matches=n,
        n_inliers=k,
        inlier_ratio=k / n,
        coverage=_coverage(_unmirrored(evidence), dst[inliers], box),
        reprojection_error=err / float(np.hypot(eh, ew)),
        mirrored=evidence.mirrored,
        outliers=left_out,
        threshold_px=thr,
        inlier_points=kept,
    )


def second_plane(
    match: GeometricMatch, ref_shape: tuple[int, int], ev_shape: tuple[int, int]
) -> GeometricMatch | None:
    """The homography that the matches left out by ``match`` fit best, or None.

    One plane wins the robust fit; when part of the image was magnified (a painted dent
    pulls the surrounding texture outwards), the magnified part may hold more matches than
    the untouched rest, so the fit follows the dent and the copy's true plane is the runner-up.
    Returned only with at least ``_MIN_SECOND`` inliers; its ``coverage`` is not measured (0).
    Its ``outliers`` are the first plane's inliers and the matches neither plane kept.
    """
    if match.outliers is None or match.homography is None:
        return None
    src, dst = match.outliers
    H, inl = _best_fit(src, dst, match.threshold_px)
    if H is None or inl is None or not _plausible(H, ref_shape, ev_shape):
        return None
    keep = inl.ravel().astype(bool)
    k = int(keep.sum())
    if k < _MIN_SECOND:
        return None
    err = _median_error(H, src[keep], dst[keep])
    left_out = None
    if match.inlier_points is not None:
        first_src, first_dst = match.inlier_points
        left_out = (
            np.concatenate([first_src, src[~keep]]),
            np.concatenate([first_dst, dst[~keep]]),
        )
    return replace(
        match,
        homography=H,
        n_inliers=k,
        inlier_ratio=k / match.n_matches,
        coverage=0.0,
        reprojection_error=err / float(np.hypot(*ev_shape)),
        outliers=left_out,
        inlier_points=None,
    )


def moved_object(match: GeometricMatch, changed: npt.NDArray[np.bool_]) -> bool:
    """Do the changes hold an object that moved as a whole? Then the evidence is another
    shot of the reference's scene (the same shelf a moment later, the product turned in the
    hand), not a copy with an edit.

    The matches ``match`` left out that land inside ``changed`` (a mask of the evidence's
    analysis pixels) are fitted with a homography of their own. A moved object carries at
    least ``MOVED_MIN_INLIERS`` of them, all shifted from where ``match`` puts them: even the
    least moved tenth by ``MOVED_MIN_SHIFT`` of the diagonal. A painted dent also holds
    matches that fit a motion of their own (the texture it magnified), but the centre of a
    dent barely moves: its least moved tenth shifts by under 0.8% of the diagonal on the
    bench sets, rigid objects by 2.4% and more. A derived copy the runner-up plane explains
    (see ``second_plane``) is judged the same way, on the first plane's matches.
    """
    if match.outliers is None or match.homography is None or not changed.any():
        return False
    src, dst = match.outliers
    h, w = changed.shape
    xs = np.clip(np.rint(dst[:, 0]).astype(np.intp), 0, w - 1)
    ys = np.clip(np.rint(dst[:, 1]).astype(np.intp), 0, h - 1)
    inside = changed[ys, xs]
    if int(inside.sum()) < MOVED_MIN_INLIERS:
        return False
    H, inl = _best_fit(src[inside], dst[inside], match.threshold_px)
    if H is None or inl is None:
        return False
    keep = inl.ravel().astype(bool)
    if int(keep.sum()) < MOVED_MIN_INLIERS:
        return False
    moved_src, moved_dst = src[inside][keep], dst[inside][keep]
    placed = cv2.perspectiveTransform(
        moved_src.reshape(-1, 1, 2).astype(np.float64), match.homography
    ).reshape(-1, 2)
    shift = np.linalg.norm(placed - moved_dst, axis=1) / float(np.hypot(h, w))
    return bool(np.percentile(shift, 10) >= MOVED_MIN_SHIFT and np.median(shift) <= MOVED_MAX_SHIFT)


def _median_error(H: Homography, src: Points, dst: Points) -> float:
    """Median distance, in evidence pixels, between ``H`` applied to ``src`` and ``dst``."""
    proj = cv2.perspectiveTransform(src.reshape(-1, 1, 2).astype(np.float64), H).reshape(-1, 2)
    return float(np.median(np.linalg.norm(proj - dst, axis=1)))


def _best_fit(src: Points, dst: Points, thr: float) -> tuple[Homography | None, np.ndarray | None]:
    """MAGSAC++ at ``thr`` and at ``thr / 2``; keep the model with more tight inliers.

    With many near-miss matches (coarse ORB levels, a blurred copy) the loose fit can settle
    on a slightly skewed model; the exact one wins on matches within half the threshold.
    """
    best: tuple[Any, Any] = (None, None)
    best_tight = -1
    for t in (thr, thr / 2):
        cv2.setRNGSeed(_SEED)  # the same inputs give the same fit, whatever ran before
        fit = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, t, maxIters=2000, confidence=0.999)
        H, inl = fit[0], fit[1]
        if H is None or inl is None:
            continue
        proj = cv2.perspectiveTransform(src.reshape(-1, 1, 2).astype(np.float64), H).reshape(-1, 2)
        err = np.linalg.norm(proj - dst, axis=1)
        tight = int((err < thr / 2).sum())
        if tight > best_tight:
            best, best_tight = (H, (err < thr).astype(np.uint8)), tight
    return best


def _unmirrored(f: Features) -> Points:
    if not f.mirrored:
        return f.points
    pts = f.points.copy()
    pts[:, 0] = (f.shape[1] - 1) - pts[:, 0]
    return pts


def _coverage(all_points: Points, inlier_points: Points, box: tuple[int, int, int, int]) -> float:
    """Share of the content box's textured grid cells (any keypoint) that hold an inlier."""
    x, y, w, h = box

    def cells(p: Points) -> set[int]:
        gx = ((p[:, 0] - x) * _GRID / max(w, 1)).astype(int)
        gy = ((p[:, 1] - y) * _GRID / max(h, 1)).astype(int)
        ok = (gx >= 0) & (gx < _GRID) & (gy >= 0) & (gy < _GRID)
        return set((gy[ok] * _GRID + gx[ok]).tolist())

    textured = cells(all_points)
    if not textured:
        return 0.0
    return len(cells(inlier_points) & textured) / len(textured)


def _plausible(H: Homography, ref_shape: tuple[int, int], ev_shape: tuple[int, int]) -> bool:
    """Reject degenerate fits: collapsed, twisted or absurdly scaled reference outlines."""
    if not np.all(np.isfinite(H)) or abs(H[2, 2]) < 1e-12:
        return False
    rh, rw = ref_shape
    corners = np.array([[0, 0], [rw, 0], [rw, rh], [0, rh]], np.float64).reshape(-1, 1, 2)
    den = corners[:, 0, 0] * H[2, 0] + corners[:, 0, 1] * H[2, 1] + H[2, 2]
    if not (np.all(den > 0) or np.all(den < 0)):
        return False  # the reference plane crosses the horizon
    quad = cv2.perspectiveTransform(corners, H).reshape(-1, 2)
    area = abs(_signed_area(quad))
    if area < 1e-4 * ev_shape[0] * ev_shape[1] or area > 400 * ev_shape[0] * ev_shape[1]:
        return False
    # Convex, consistently oriented outline (a mirror flips the orientation, not convexity).
    cross = []
    for i in range(4):
        a, b, c = quad[i], quad[(i + 1) % 4], quad[(i + 2) % 4]
        cross.append((b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]))
    return bool(all(v > 0 for v in cross) or all(v < 0 for v in cross))


def _signed_area(quad: np.ndarray) -> float:
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
