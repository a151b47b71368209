"""The tamper detector: statistics inside one image that betray an edit.

Weak signals on their own, so this detector is conservative: an honest phone photo must not
be flagged. Each signal is measured on the evidence alone:

* ``double-jpeg`` — the DCT coefficient histograms of a JPEG, divided by its own
  quantisation table, show periodic gaps or peaks: it was decoded and saved again. Almost
  every shared photo is re-saved by some app, so this is ``info``/``low`` only.
* ``jpeg-inconsistency`` — in a double-compressed JPEG, a compact region (4-30 % of the
  textured area) whose coefficients do not avoid the histogram's gaps: it was pasted or
  painted in after the first compression. ``medium``; stickers and captions added by
  honest buyers do this too.
* ``noise-inconsistency`` — wavelet (HH1) noise level per block; a compact region whose
  noise is far below or above the rest. ``low`` only on its own: denoising, bokeh and
  brightness change noise in real photos too.
* ``copy-move`` — keypoints matched to other keypoints of the same image, excluding near
  neighbours, clustered by one consistent displacement. Repetitive scenes (tiles, shelves,
  facades) give many displacements and are ignored.
* ``tamper-localized`` — a mask and boxes where two signals agree on the same place
  (copy-move target or source with a noise outlier), ``medium``.

Work is done on the shared analysis pixels (longest side <= 1024; copy-move <= 768); JPEG
quantisation tables are read from the file's bytes by :func:`quantization_tables`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import cv2
import numpy as np
import pywt
from scipy import ndimage

from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.errors import InvalidParameter
from trueclaim.forensics.types import Finding, GrayImage, Mask, Region, RGBImage, Severity

DETECTOR = "tamper"
ALGORITHM_VERSION = "tamper-1"


@dataclass(frozen=True, slots=True)
class TamperParams:
    """Options of the tamper detector."""

    copy_move_max_side: int = 768
    copy_move_min_distance_px: int = 40  # matches closer than this are the same structure
    copy_move_min_matches: int = 10
    noise_block_px: int = 32
    noise_ratio: float = 4.0  # a block this many times off the median noise is an outlier
    noise_min_region_frac: float = 0.02
    double_jpeg: bool = True


@dataclass(frozen=True, slots=True)
class CopyMove:
    """One consistent displacement found by keypoint self-matching."""

    dx: float
    dy: float
    matches: int
    source: tuple[int, int, int, int]  # x, y, w, h in analysis pixels
    target: tuple[int, int, int, int]
    clusters: int  # distinct displacement clusters seen (many = repetitive scene)


def detect(case: Case, options: Mapping[str, Any]) -> Sequence[Finding]:
    """Return tamper findings for every evidence image.

    Parameters
    ----------
    case : Case
        The claim; only ``case.evidence`` is examined.
    options : mapping
        Keyword overrides of :class:`TamperParams`.
    """
    params = _params(options)
    out: list[Finding] = []
    for item in case.evidence:
        if item.analysis is not None:
            out.extend(_item_findings(item, params))
    return out


def _params(options: Mapping[str, Any]) -> TamperParams:
    known = {f.name for f in fields(TamperParams)}
    unknown = set(options) - known
    if unknown:
        raise InvalidParameter(f"Unknown tamper option(s) {sorted(unknown)}; use {sorted(known)}.")
    return TamperParams(**options)


# ---------------------------------------------------------------- JPEG quantisation


def quantization_tables(data: bytes) -> dict[int, np.ndarray]:
    """The JPEG quantisation tables of a file (8x8, natural order), {} for other formats.

    Reads the header through Pillow without decoding pixels.
    """
    if data[:3] != b"\xff\xd8\xff":
        return {}
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            q = getattr(im, "quantization", None) or {}
    except (OSError, ValueError, SyntaxError) as exc:
        del exc  # an unreadable header has no usable tables
        return {}
    out: dict[int, np.ndarray] = {}
    for k, table in q.items():
        arr = np.asarray(list(table), dtype=np.float64)
        if arr.size == 64:
            out[int(k)] = _unzigzag(arr)
    return out


def _unzigzag(arr: np.ndarray) -> np.ndarray:
    # Pillow >= 9 returns tables in natural (row-major) order already.
    return arr.reshape(8, 8)


def double_jpeg_strength(gray: GrayImage, q_luma: np.ndarray) -> float:
    """Periodicity of low-frequency DCT histograms after dividing by the file's own table.

    ``gray`` must be the full-resolution luminance on the file's 8x8 grid. Returns a value
    in [0, 1]: the mean over 5 low AC frequencies of the share of histogram energy in
    periodic (non-smooth) components. Single compression gives ~0.1-0.25.
    """
    h, w = gray.shape
    h8, w8 = h // 8 * 8, w // 8 * 8
    if h8 < 64 or w8 < 64:
        return 0.0
    y = gray[:h8, :w8].astype(np.float32) - 128.0
    blocks = y.reshape(h8 // 8, 8, w8 // 8, 8).transpose(0, 2, 1, 3).reshape(-1, 8, 8)
    if len(blocks) > 20000:
        blocks = blocks[:: len(blocks) // 20000 + 1]
    from scipy.fft import dctn

    coef = dctn(blocks, type=2, norm="ortho", axes=(1, 2))
    scores = []
    for u, v in ((0, 1), (1, 0), (1, 1), (0, 2), (2, 0)):
        q = float(q_luma[u, v])
        if q <= 1.5:  # too fine a step to show gaps
            continue
        k = np.rint(coef[:, u, v] / q).astype(np.int64)
        k = np.abs(k[(k != 0) & (np.abs(k) <= 24)])
        if k.size < 500:
            continue
        hist = np.bincount(k, minlength=25)[1:25].astype(np.float64)
        smooth = ndimage.uniform_filter1d(hist, 5, mode="nearest")
        resid = hist - smooth
        scores.append(float(np.abs(resid).sum() / max(hist.sum(), 1.0)))
    return float(np.median(scores)) if scores else 0.0


_DQ_FREQUENCIES = ((0, 1), (1, 0), (1, 1), (0, 2), (2, 0), (1, 2), (2, 1))


def double_jpeg_map(gray: GrayImage, q_luma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per 8x8 block: how many low-frequency coefficients fall in the histogram's gaps.

    In a double-compressed JPEG the coefficients (divided by the last table) avoid certain
    values; a block that was pasted or painted after the first compression does not avoid
    them. Returns (gap hits, coefficients counted) per block; their ratio is ~0 in a
    double-compressed area and ~0.3-0.5 in a singly compressed one.
    """
    h, w = gray.shape
    h8, w8 = h // 8 * 8, w // 8 * 8
    if h8 < 64 or w8 < 64:
        z = np.zeros((max(h8 // 8, 1), max(w8 // 8, 1)))
        return z, z
    from scipy.fft import dctn

    y = gray[:h8, :w8].astype(np.float32) - 128.0
    coef = dctn(
        y.reshape(h8 // 8, 8, w8 // 8, 8).transpose(0, 2, 1, 3), type=2, norm="ortho", axes=(2, 3)
    )
    gaps = np.zeros(coef.shape[:2])
    counted = np.zeros(coef.shape[:2])
    for u, v in _DQ_FREQUENCIES:
        q = float(q_luma[u, v])
        if q <= 1.5:
            continue
        k = np.abs(np.rint(coef[:, :, u, v] / q).astype(np.int64))
        sel = (k >= 1) & (k <= 24)
        hist = np.bincount(k[sel], minlength=26)[:26].astype(np.float64)
        ratio = hist / (ndimage.uniform_filter1d(hist, 5, mode="nearest") + 1e-6)
        is_gap = ratio < 0.4
        is_gap[0] = False
        gaps += np.where(sel, is_gap[np.clip(k, 0, 25)], False)
        counted += sel
    return gaps, counted


def _dq_outlier_region(gray: GrayImage, q_luma: np.ndarray) -> tuple[Mask, float]:
    """Blocks (8 px) of a compact region without double-compression traces, and its share."""
    gaps, counted = double_jpeg_map(gray, q_luma)
    kernel = np.ones((4, 4))
    g = ndimage.convolve(gaps, kernel, mode="nearest")
    n = ndimage.convolve(counted, kernel, mode="nearest")
    textured = n >= 12
    empty = np.zeros(gaps.shape, dtype=bool)
    if textured.sum() < 64:
        return empty, 0.0
    frac = np.where(textured, g / np.maximum(n, 1.0), 0.0)
    if float(np.median(frac[textured])) > 0.08:  # the image as a whole is not double-compressed
        return empty, 0.0
    lab, k = ndimage.label(textured & (frac > 0.25))
    if k == 0:
        return empty, 0.0
    sizes = ndimage.sum(np.ones_like(frac), lab, index=np.arange(1, k + 1))
    best = lab == int(np.argmax(sizes)) + 1
    share = float(best.sum() / textured.sum())
    # honest double-compressed photos show gap-rich patches of up to ~2 % (textured corners)
    if share < 0.04 or share > 0.3 or float(frac[best].mean()) < 0.33:
        return empty, 0.0
    return best, share


# ---------------------------------------------------------------- noise


def noise_map(gray: GrayImage, *, block_px: int = 32) -> np.ndarray:
    """Per-block noise sigma from the finest diagonal wavelet band (robust MAD estimate).

    Blocks that are clipped (mean < 8 or > 247) are NaN: they carry no noise information.
    """
    g = gray.astype(np.float32)
    g = g[: g.shape[0] // 2 * 2, : g.shape[1] // 2 * 2]
    if min(g.shape) < 2 * block_px:
        return np.full((1, 1), np.nan)
    _, (_, _, hh) = pywt.dwt2(g, "db1")
    b = max(2, block_px // 2)
    hb, wb = hh.shape[0] // b, hh.shape[1] // b
    if hb < 2 or wb < 2:
        return np.full((max(hb, 1), max(wb, 1)), np.nan)
    t = (
        np.abs(hh[: hb * b, : wb * b])
        .reshape(hb, b, wb, b)
        .transpose(0, 2, 1, 3)
        .reshape(hb, wb, -1)
    )
    sigma = np.median(t, axis=-1) / 0.6745
    mean = g[: hb * b * 2, : wb * b * 2].reshape(hb, 2 * b, wb, 2 * b).mean(axis=(1, 3))
    sigma[(mean < 8) | (mean > 247)] = np.nan
    return np.asarray(sigma, dtype=np.float64)


def _noise_outliers(sigma: np.ndarray, params: TamperParams) -> tuple[Mask, float]:
    """Mask of blocks in a compact region far off the image's median noise, and its share."""
    valid = np.isfinite(sigma)
    if valid.sum() < 16:
        return np.zeros(sigma.shape, dtype=bool), 0.0
    med = float(np.median(sigma[valid]))
    floor = max(med, 0.5)
    low = valid & (sigma < floor / params.noise_ratio) & (med > 1.5)
    high = valid & (sigma > floor * params.noise_ratio)
    best = np.zeros(sigma.shape, dtype=bool)
    for m in (low, high):
        lab, n = ndimage.label(m)
        if n == 0:
            continue
        sizes = ndimage.sum(m, lab, index=np.arange(1, n + 1))
        k = int(np.argmax(sizes)) + 1
        region = lab == k
        if region.sum() > best.sum():
            best = region
    frac = float(best.sum() / valid.sum())
    # a region covering a large share is a different scene part (sky, bokeh), not a paste
    if frac < params.noise_min_region_frac or frac > 0.35:
        return np.zeros(sigma.shape, dtype=bool), 0.0
    return best, frac


# ---------------------------------------------------------------- copy-move


def find_copy_move(rgb: RGBImage, params: TamperParams = TamperParams()) -> CopyMove | None:
    """Keypoint self-matching: the strongest consistent displacement, or None."""
    h, w = rgb.shape[:2]
    f = min(1.0, params.copy_move_max_side / max(h, w))
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
    near_px = params.copy_move_min_distance_px * f
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
    if len(src) < params.copy_move_min_matches:
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
    if best_n < params.copy_move_min_matches:
        return None
    members = np.all(np.abs(q - keys[best_k]) <= 1, axis=1)
    # dedupe: the same source point may appear twice (matched from both ends)
    ss = np.unique(np.round(s2[members]).astype(int), axis=0)
    tt = np.unique(np.round(t2[members]).astype(int), axis=0)
    if min(len(ss), len(tt)) < params.copy_move_min_matches:
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


# ---------------------------------------------------------------- findings


def _item_findings(item: Item, params: TamperParams) -> list[Finding]:
    a = item.analysis
    assert a is not None
    rgb = a.pixels
    gray = _to_gray(rgb)
    out: list[Finding] = []
    to_orig = 1.0 / a.scale if a.scale > 0 else 1.0

    # double JPEG (global, informative only)
    dj = 0.0
    h_a, w_a = gray.shape
    full = None
    tables = quantization_tables(item.data) if params.double_jpeg else {}
    if tables and 0 in tables:
        full = item.full if max(a.width, a.height) <= 4096 else None
        if full is not None and full.orientation != 1:
            full = None  # rotated pixels are off the file's 8x8 grid
        if full is not None:
            dj = double_jpeg_strength(_to_gray(full.pixels), tables[0])
    if dj >= 0.45:
        score = float(np.clip((dj - 0.45) / 0.5, 0.0, 1.0) * 0.5 + 0.2)
        out.append(
            Finding(
                detector=DETECTOR,
                code="double-jpeg",
                severity=Severity.LOW if score >= 0.4 else Severity.INFO,
                score=score,
                message_en=f"Evidence photo {item.index + 1} was saved as JPEG at least twice "
                "(its DCT histograms show the gaps of an earlier compression). Apps and "
                "platforms re-save photos routinely, so this alone is no sign of editing.",
                message_zh=f"证据图片 {item.index + 1} 至少经过两次 JPEG 压缩"
                "(DCT 系数直方图有周期性空缺)。"
                "应用和平台常会重新保存图片,此项单独不代表被编辑。",
                evidence_index=item.index,
                data={"strength": round(dj, 4), "algorithm": ALGORITHM_VERSION},
            )
        )

    # a region without the double-compression traces the rest of the image has
    if dj >= 0.45 and full is not None:
        dq_mask, dq_share = _dq_outlier_region(_to_gray(full.pixels), tables[0])
        if dq_mask.any():
            fh, fw = full.pixels.shape[:2]
            dq_score = float(
                np.clip(0.45 + 0.5 * min(dj, 1.5) / 1.5 * (1.0 - dq_share), 0.45, 0.75)
            )
            out.append(
                Finding(
                    detector=DETECTOR,
                    code="jpeg-inconsistency",
                    severity=Severity.MEDIUM,
                    score=dq_score,
                    message_en=f"Evidence photo {item.index + 1} was compressed twice, except in "
                    "the marked area, which lacks the traces of the first compression: that area "
                    "was pasted or painted in after the photo was first saved (an added sticker or "
                    "caption does this too).",
                    message_zh=f"证据图片 {item.index + 1} 整体经过两次压缩,"
                    "唯独标记区域没有第一次压缩的痕迹:"
                    "该区域是在图片首次保存后粘贴或绘制上去的(后加的贴纸或文字也会如此)。",
                    evidence_index=item.index,
                    regions=(_mask_box(dq_mask, (fh, fw), 1.0),),
                    mask=cv2.resize(
                        dq_mask.astype(np.uint8), (w_a, h_a), interpolation=cv2.INTER_NEAREST
                    )
                    > 0,
                    data={
                        "region_fraction": round(dq_share, 4),
                        "strength": round(dj, 4),
                        "algorithm": ALGORITHM_VERSION,
                    },
                )
            )

    # noise
    sigma = noise_map(gray, block_px=params.noise_block_px)
    noise_mask, noise_frac = _noise_outliers(sigma, params)
    # copy-move
    cm = find_copy_move(rgb, params)
    cm_ok = cm is not None and cm.clusters <= 2
    cm_score = 0.0
    if cm is not None and cm_ok:
        cm_score = float(
            np.clip(0.35 + 0.03 * (cm.matches - params.copy_move_min_matches), 0.35, 0.85)
        )
        # identical objects side by side (a shelf of the same product, a pair of shoes) repeat
        # at about their own size; only one clean, well separated copy counts as strong
        size = max(cm.source[2], cm.source[3], cm.target[2], cm.target[3])
        if cm.clusters > 1 or np.hypot(cm.dx, cm.dy) < 1.5 * size:
            cm_score = min(cm_score, 0.4)

    h, w = gray.shape
    agree_mask: Mask | None = None
    if cm is not None and cm_ok and cm_score >= 0.5:  # a repetition-like copy never localises
        tmask = np.zeros((h, w), dtype=bool)
        x, y, bw, bh = (int(v * a.scale) for v in cm.target)
        tmask[max(0, y) : y + bh, max(0, x) : x + bw] = True
        if noise_mask.any():
            nm = (
                cv2.resize(noise_mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
            )
            sm = np.zeros((h, w), dtype=bool)
            sx, sy, sw, sh = (int(v * a.scale) for v in cm.source)
            sm[max(0, sy) : sy + sh, max(0, sx) : sx + sw] = True
            overlap = nm & (tmask | sm)
            if overlap.sum() >= 0.2 * min(nm.sum(), tmask.sum()):
                agree_mask = tmask | (nm & sm)
    if cm is not None and cm_ok:
        out.append(
            Finding(
                detector=DETECTOR,
                code="copy-move",
                severity=Severity.MEDIUM if cm_score >= 0.6 else Severity.LOW,
                score=cm_score,
                message_en=f"Part of evidence photo {item.index + 1} appears twice: {cm.matches} "
                f"matching details are shifted by the same offset ({cm.dx:.0f}, {cm.dy:.0f}) px, "
                "as when a region is copied and pasted over another to hide or add something.",
                message_zh=f"证据图片 {item.index + 1} 中有一块区域出现了两次:"
                f"{cm.matches} 个细节特征以相同位移"
                f"({cm.dx:.0f}, {cm.dy:.0f}) 像素重复,符合复制粘贴以遮盖或添加内容的特征。",
                evidence_index=item.index,
                regions=(
                    Region(*cm.source, score=cm_score, label="source"),
                    Region(*cm.target, score=cm_score, label="copy"),
                ),
                data={
                    "dx": cm.dx,
                    "dy": cm.dy,
                    "matches": cm.matches,
                    "clusters": cm.clusters,
                    "algorithm": ALGORITHM_VERSION,
                },
            )
        )
    if noise_mask.any():
        n_score = float(np.clip(0.05 + noise_frac, 0.05, 0.2))
        lab_box = _mask_box(noise_mask, gray.shape, to_orig)
        out.append(
            Finding(
                detector=DETECTOR,
                code="noise-inconsistency",
                severity=Severity.INFO,
                score=n_score,
                message_en=f"A region of evidence photo {item.index + 1} has a very different "
                "sensor-noise level from the rest of the picture, which can mean it was pasted "
                "or painted in; focus blur and strong light changes can also do this.",
                message_zh=f"证据图片 {item.index + 1} 中有一块区域的噪声水平与其余部分明显不同,"
                "可能是后期粘贴或涂改;"
                "对焦模糊或光照变化也可能造成此现象。",
                evidence_index=item.index,
                regions=(lab_box,),  # no mask: too weak alone to draw on the report's localisation
                data={"region_fraction": round(noise_frac, 4), "algorithm": ALGORITHM_VERSION},
            )
        )
    if agree_mask is not None and agree_mask.any():
        score = float(min(0.9, cm_score + 0.15))
        out.append(
            Finding(
                detector=DETECTOR,
                code="tamper-localized",
                severity=Severity.MEDIUM,
                score=score,
                message_en=f"Two independent checks point at the same place in evidence photo "
                f"{item.index + 1}: a copied region whose noise differs from its surroundings. "
                "The marked area was most likely edited.",
                message_zh=f"两项独立检测指向证据图片 {item.index + 1} 的同一位置:"
                "一块复制区域且噪声与周围不一致,"
                "标记区域很可能被编辑过。",
                evidence_index=item.index,
                regions=(_mask_box(agree_mask, gray.shape, to_orig),),
                mask=agree_mask,
                data={
                    "signals": ["copy-move", "noise-inconsistency"],
                    "algorithm": ALGORITHM_VERSION,
                },
            )
        )
    return out


def _to_gray(rgb: RGBImage) -> GrayImage:
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)


def _mask_box(mask: Mask, shape: tuple[int, ...], to_orig: float) -> Region:
    ys, xs = np.nonzero(mask)
    fy = shape[0] / mask.shape[0] * to_orig
    fx = shape[1] / mask.shape[1] * to_orig
    x0, x1 = int(xs.min() * fx), int((xs.max() + 1) * fx)
    y0, y1 = int(ys.min() * fy), int((ys.max() + 1) * fy)
    return Region(x0, y0, x1 - x0, y1 - y0, score=1.0, label="suspect")
