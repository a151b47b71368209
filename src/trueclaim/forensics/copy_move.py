"""Copy-move: the same image content pasted at a second place, found by keypoint self-matching.

SIFT keypoints of one image are matched against each other; a match to a keypoint at the
same place (another orientation or scale of the same blob) is skipped, Lowe's ratio test is
taken against the next candidate that is not at the match's own place, and the surviving
pairs are binned by displacement. A copied region gives one dense displacement bin;
repetitive scenes give several, which :attr:`CopyMove.clusters` reports.

A copy that was rotated or scaled before pasting has no single displacement; when no
displacement bin holds enough pairs, a similarity transform (rotation, uniform scale,
translation) is fitted to the pairs with RANSAC, again on the pairs left over, so that one
consistent transform is found and the number of such transforms is counted the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from trueclaim.forensics.types import RGBImage


@dataclass(frozen=True, slots=True)
class CopyMove:
    """One consistent displacement found by keypoint self-matching."""

    dx: float
    dy: float
    matches: int
    source: tuple[int, int, int, int]  # x, y, w, h in the pixels of the image given
    target: tuple[int, int, int, int]
    clusters: int  # distinct displacement clusters seen (many = repetitive scene)
    rotation_deg: float = 0.0  # of the copy against its source (a similarity fit), 0 = shifted
    scale: float = 1.0


def find_copy_move(
    rgb: RGBImage,
    *,
    max_side: int = 768,
    min_distance_px: int = 40,
    min_matches: int = 10,
) -> CopyMove | None:
    """Keypoint self-matching: the strongest consistent displacement, or None.

    Parameters
    ----------
    rgb : RGBImage
        The image; it is reduced to ``max_side`` for matching, boxes come back in its pixels.
    min_distance_px : int
        Matches closer than this (in ``rgb`` pixels) are the same structure, not a copy.
    min_matches : int
        Fewest distinct keypoints on each side of one displacement.
    """
    h, w = rgb.shape[:2]
    f = min(1.0, max_side / max(h, w))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if f < 1.0:
        gray = cv2.resize(gray, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
    sift = cv2.SIFT.create(nfeatures=3000, contrastThreshold=0.02)
    kps, desc = sift.detectAndCompute(gray, None)
    if desc is None or len(kps) < 20:
        return None
    pts = np.array([k.pt for k in kps], dtype=np.float32)
    matcher = cv2.BFMatcher(cv2.NORM_L2)
    knn = matcher.knnMatch(desc, desc, k=6)
    near_px = min_distance_px * f
    s, t = _self_matches(knn, pts, near_px)
    if len(s) < min_matches:
        return None
    disp = t - s
    # canonical direction: a pair seen from both ends counts once
    flip = (disp[:, 0] < 0) | ((disp[:, 0] == 0) & (disp[:, 1] < 0))
    s2 = np.where(flip[:, None], t, s)
    t2 = np.where(flip[:, None], s, t)
    shift = _translation_copy(s2, t2, f=f, min_matches=min_matches)
    turned = _similarity_copy(s2, t2, f=f, min_matches=min_matches, near_px=near_px)
    if turned is not None and (shift is None or turned.matches >= 1.5 * shift.matches):
        return turned
    return shift


def _self_matches(
    knn: Sequence[Sequence[cv2.DMatch]], pts: np.ndarray, near_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """Keypoint pairs (from, to) that pass the self-matching ratio test.

    Per keypoint, candidates at its own place (closer than ``near_px``: the point itself,
    another orientation or scale of the same blob) are dropped; the first remaining candidate
    is kept when its distance is at most 0.6 of the next candidate that is not at the
    match's own place (4 px). Vectorised over all keypoints.
    """
    n = len(knn)
    k = max((len(ms) for ms in knn), default=0)
    idx = np.full((n, k), -1, dtype=np.int64)
    dist = np.full((n, k), np.inf, dtype=np.float64)
    for i, ms in enumerate(knn):
        idx[i, : len(ms)] = [m.trainIdx for m in ms]
        dist[i, : len(ms)] = [m.distance for m in ms]
    valid = idx >= 0
    to = pts[np.where(valid, idx, 0)]  # (n, k, 2)
    far = valid & (np.linalg.norm(to - pts[:, None, :], axis=2) >= near_px)
    rows = np.arange(n)
    j0 = np.argmax(far, axis=1)  # first candidate away from the keypoint itself
    first = to[rows, j0]
    later = np.arange(k)[None, :] > j0[:, None]
    rest = far & later & (np.linalg.norm(to - first[:, None, :], axis=2) > 4)
    jr = np.argmax(rest, axis=1)
    keep = (far.sum(axis=1) >= 2) & rest.any(axis=1) & (dist[rows, j0] <= 0.6 * dist[rows, jr])
    return pts[keep], pts[idx[rows, j0][keep]]


def _bins(disp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Displacements in 6 px bins: (bin of each pair, distinct bins, pairs per bin)."""
    q = np.round(disp / 6.0).astype(np.int64)
    keys, counts = np.unique(q, axis=0, return_counts=True)
    return q, keys, counts


def _translation_copy(
    s2: np.ndarray, t2: np.ndarray, *, f: float, min_matches: int
) -> CopyMove | None:
    """The densest displacement bin (merged with its neighbours), or None."""
    disp = t2 - s2
    q, keys, counts = _bins(disp)
    best_k, best_n = -1, 0
    for k, key in enumerate(keys):
        near = np.all(np.abs(keys - key) <= 1, axis=1)
        n = int(counts[near].sum())
        if n > best_n:
            best_k, best_n = k, n
    clusters = int((counts >= 4).sum())
    if best_n < min_matches:
        return None
    members = np.all(np.abs(q - keys[best_k]) <= 1, axis=1)
    # dedupe: the same source point may appear twice (matched from both ends)
    ss = np.unique(np.round(s2[members]).astype(int), axis=0)
    tt = np.unique(np.round(t2[members]).astype(int), axis=0)
    if min(len(ss), len(tt)) < min_matches:
        return None
    dxy = np.median(disp[members], axis=0)
    return CopyMove(
        dx=float(dxy[0] / f),
        dy=float(dxy[1] / f),
        matches=int(min(len(ss), len(tt))),
        source=_box(s2[members], f),
        target=_box(t2[members], f),
        clusters=clusters,
    )


def _box(p: np.ndarray, f: float) -> tuple[int, int, int, int]:
    x0, y0 = p.min(axis=0)
    x1, y1 = p.max(axis=0)
    return (int(x0 / f), int(y0 / f), int((x1 - x0) / f) + 1, int((y1 - y0) / f) + 1)


def _similarity_copy(
    s: np.ndarray, t: np.ndarray, *, f: float, min_matches: int, near_px: float
) -> CopyMove | None:
    """The strongest rotated and/or scaled copy among self-match pairs, or None.

    Every pair enters in both directions, so a pair seen from its other end fits the
    inverse transform instead of spoiling the fit; transforms are fitted with RANSAC, their
    inliers removed, and fitted again (at most 4 times) to count distinct transforms.
    """
    pairs = np.unique(np.round(np.hstack([s, t]), 1), axis=0)  # same pair matched twice
    src = np.vstack([pairs[:, :2], pairs[:, 2:]]).astype(np.float32)
    dst = np.vstack([pairs[:, 2:], pairs[:, :2]]).astype(np.float32)
    alive = np.ones(len(src), dtype=bool)
    found: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
    for _ in range(4):
        idx = np.flatnonzero(alive)
        if len(idx) < 2 * min_matches:
            break
        model, inl = cv2.estimateAffinePartial2D(
            src[idx],
            dst[idx],
            method=cv2.RANSAC,
            ransacReprojThreshold=3.0,
            maxIters=2000,
            confidence=0.995,
            refineIters=10,
        )
        if model is None or inl is None:
            break
        members = idx[inl.ravel().astype(bool)]
        ss = np.unique(np.round(src[members]).astype(int), axis=0)
        tt = np.unique(np.round(dst[members]).astype(int), axis=0)
        n = int(min(len(ss), len(tt)))
        # this transform's pairs and their mirrored entries are used up
        key = {(round(float(a), 1), round(float(b), 1)) for a, b in src[members]}
        alive &= ~np.array([(round(float(a), 1), round(float(b), 1)) in key for a, b in dst])
        alive[members] = False
        if n < max(4, min_matches // 2):
            break
        found.append((n, model, src[members], dst[members]))
    if not found:
        return None
    n, model, ps, pt = max(found, key=lambda x: x[0])
    scale = float(np.hypot(model[0, 0], model[1, 0]))
    if n < min_matches or not 0.25 <= scale <= 4.0:
        return None
    # a transform that leaves points about where they were, or turns an object onto itself,
    # is a symmetric object (a wheel, a flower), not a copy
    moved = np.hypot(*(pt - ps).T)
    if float(np.median(moved)) < near_px or _overlap(_box(ps, 1.0), _box(pt, 1.0)) > 0.25:
        return None
    # displacement bins this transform does not explain are other repeats in the scene
    q, keys, counts = _bins(t - s)
    fwd = np.hypot(*(s @ model[:, :2].T + model[:, 2] - t).T) < 4.0
    bwd = np.hypot(*(t @ model[:, :2].T + model[:, 2] - s).T) < 4.0
    other = 0
    for key in keys[counts >= 4]:
        in_bin = np.all(q == key, axis=1)
        other += int((fwd | bwd)[in_bin].mean() < 0.5)
    if scale > 1.0:  # report the larger copy as the source: the paste was scaled down
        ps, pt = pt, ps
        inv = cv2.invertAffineTransform(model)
        model, scale = inv, 1.0 / scale
    c_src = ps.mean(axis=0)
    c_dst = model[:, :2] @ c_src + model[:, 2]
    return CopyMove(
        dx=float((c_dst[0] - c_src[0]) / f),
        dy=float((c_dst[1] - c_src[1]) / f),
        matches=n,
        source=_box(ps, f),
        target=_box(pt, f),
        clusters=max(len(found), 1 + other),
        rotation_deg=float(np.degrees(np.arctan2(model[1, 0], model[0, 0]))),
        scale=scale,
    )


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection of two (x, y, w, h) boxes as a share of the smaller one."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return float(w * h / max(1, min(a[2] * a[3], b[2] * b[3])))
