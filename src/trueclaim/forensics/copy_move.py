"""Copy-move: the same image content pasted at a second place, found by keypoint self-matching.

SIFT keypoints of one image are matched against each other; a match to a keypoint at the
same place (another orientation or scale of the same blob) is skipped, Lowe's ratio test is
taken against the next candidate that is not at the match's own place, and the surviving
pairs are binned by displacement. A copied region gives one dense displacement bin;
repetitive scenes give several, which :attr:`CopyMove.clusters` reports.
"""

from __future__ import annotations

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
    src, dst = [], []
    for i, ms in enumerate(knn):
        # drop the point itself and keypoints at its own place (other orientation/scale)
        cands = [m for m in ms if np.hypot(*(pts[m.trainIdx] - pts[i])) >= near_px]
        if len(cands) < 2:
            continue
        m0 = cands[0]
        # ratio test against the next candidate that is not at the match's own place
        rest = [m for m in cands[1:] if np.hypot(*(pts[m.trainIdx] - pts[m0.trainIdx])) > 4]
        if not rest or m0.distance > 0.6 * rest[0].distance:
            continue
        src.append(pts[i])
        dst.append(pts[m0.trainIdx])
    if len(src) < min_matches:
        return None
    s = np.asarray(src)
    t = np.asarray(dst)
    disp = t - s
    # canonical direction: a pair seen from both ends counts once
    flip = (disp[:, 0] < 0) | ((disp[:, 0] == 0) & (disp[:, 1] < 0))
    s2 = np.where(flip[:, None], t, s)
    t2 = np.where(flip[:, None], s, t)
    disp = t2 - s2
    q = np.round(disp / 6.0).astype(np.int64)
    keys, inverse, counts = np.unique(q, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    # merge neighbouring bins
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

    def box(p: np.ndarray) -> tuple[int, int, int, int]:
        x0, y0 = p.min(axis=0)
        x1, y1 = p.max(axis=0)
        return (int(x0 / f), int(y0 / f), int((x1 - x0) / f) + 1, int((y1 - y0) / f) + 1)

    return CopyMove(
        dx=float(dxy[0] / f),
        dy=float(dxy[1] / f),
        matches=int(min(len(ss), len(tt))),
        source=box(s2[members]),
        target=box(t2[members]),
        clusters=clusters,
    )
