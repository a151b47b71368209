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
  noise is far below or above the rest. ``info`` only (a box, no mask): denoising, bokeh and
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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import cv2
import numpy as np
import pywt
from scipy import ndimage

from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.copy_move import CopyMove, find_copy_move
from trueclaim.forensics.errors import InvalidParameter
from trueclaim.forensics.jpeg_traces import (
    double_jpeg_map,
    double_jpeg_strength,
    dq_outlier_region,
    quantization_tables,
)
from trueclaim.forensics.types import Finding, GrayImage, Mask, Region, RGBImage, Severity

__all__ = [
    "CopyMove",
    "TamperParams",
    "detect",
    "double_jpeg_map",
    "double_jpeg_strength",
    "find_copy_move",
    "noise_map",
    "quantization_tables",
]

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
        dq_mask, dq_share = dq_outlier_region(_to_gray(full.pixels), tables[0])
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
    cm = find_copy_move(
        rgb,
        max_side=params.copy_move_max_side,
        min_distance_px=params.copy_move_min_distance_px,
        min_matches=params.copy_move_min_matches,
    )
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
