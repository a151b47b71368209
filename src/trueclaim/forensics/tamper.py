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
* ``jpeg-ghost`` — JPEG ghosts (Farid 2009): recompressing at quality ``q`` leaves almost no
  difference where the content was already quantised at ``q`` on the file's 8x8 grid. A
  compact region ghosted at a ``q`` below the file's own quality (kind ``earlier``: cut from
  a lower-quality JPEG and pasted in, grid-aligned) or, in a photo ghosted all over, a compact
  region without the ghost (kind ``fresh``: painted in after the first save). ``info``/``low``
  with a mask: stickers and captions added later do this too.
* ``copy-move`` — keypoints matched to other keypoints of the same image, excluding near
  neighbours, clustered by one consistent displacement, or, for a copy that was rotated or
  scaled, by one similarity transform (RANSAC). Repetitive scenes (tiles, shelves, facades)
  give many displacements and are ignored.
* ``tamper-localized`` — a mask and boxes where two independent signals agree on the same
  place, ``medium``. Families: copy-move (source or copy), noise outlier, compression
  (``jpeg-ghost`` or ``jpeg-inconsistency`` region); two signals of one family (the ghost and
  the histogram-gap region both read the compression history) are not independent and do
  not agree with each other.

Work is done on the shared analysis pixels (longest side <= 1024; copy-move <= 768); JPEG
quantisation tables are read from the file's bytes by :func:`quantization_tables`, and the
compression checks run on the full-resolution luminance on the file's own 8x8 grid (files up
to 4096 px on a side, EXIF orientation 1; the ghost examines at most ``ghost_max_blocks``
blocks, spread over the whole image).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import cv2
import numpy as np
from scipy import ndimage

from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.copy_move import CopyMove, find_copy_move
from trueclaim.forensics.errors import InvalidParameter
from trueclaim.forensics.jpeg_traces import (
    Ghost,
    double_jpeg_map,
    double_jpeg_strength,
    dq_outlier_region,
    jpeg_ghost,
    quantization_tables,
)
from trueclaim.forensics.noise_traces import noise_map, noise_outliers
from trueclaim.forensics.types import Finding, GrayImage, Mask, Region, RGBImage, Severity

__all__ = [
    "CopyMove",
    "TamperParams",
    "detect",
    "double_jpeg_map",
    "double_jpeg_strength",
    "find_copy_move",
    "jpeg_ghost",
    "noise_map",
    "quantization_tables",
]

DETECTOR = "tamper"
ALGORITHM_VERSION = "tamper-2"


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
    jpeg_ghost: bool = True
    ghost_max_blocks: int = 16384  # 8x8 blocks examined (~1 MP); larger files use every n-th


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


# ---------------------------------------------------------------- findings


@dataclass(frozen=True, slots=True)
class _Signal:
    """A localised signal that can take part in an agreement (mask at analysis size)."""

    family: str  # signals of one family are not independent of each other
    code: str
    mask: Mask
    score: float


def _item_findings(item: Item, params: TamperParams) -> list[Finding]:
    a = item.analysis
    assert a is not None
    rgb = a.pixels
    gray = _to_gray(rgb)
    out, signals = _compression_findings(item, params, gray.shape)

    sigma = noise_map(gray, block_px=params.noise_block_px)
    noise_mask, noise_frac = noise_outliers(
        sigma, ratio=params.noise_ratio, min_frac=params.noise_min_region_frac
    )
    if noise_mask.any():
        signals.append(_Signal("noise", "noise-inconsistency", _resized(noise_mask, gray.shape), 0))
        out.append(_noise_finding(item, noise_mask, noise_frac, gray.shape))

    found, cm_signal = _copy_move_finding(item, rgb, params)
    out.extend(found)
    if cm_signal is not None:
        signals.append(cm_signal)

    agreed = _agreement(item, signals, gray.shape)
    if agreed is not None:
        out.append(agreed)
    return out


def _compression_findings(
    item: Item, params: TamperParams, shape: tuple[int, ...]
) -> tuple[list[Finding], list[_Signal]]:
    """``double-jpeg``, ``jpeg-inconsistency`` and ``jpeg-ghost`` on the file's 8x8 grid."""
    a = item.analysis
    assert a is not None
    out: list[Finding] = []
    signals: list[_Signal] = []
    tables = quantization_tables(item.data) if params.double_jpeg or params.jpeg_ghost else {}
    if 0 not in tables or max(a.width, a.height) > 4096:
        return out, signals
    full = item.full
    if full is None or full.orientation != 1:
        return out, signals  # rotated pixels are off the file's 8x8 grid
    fgray = _to_gray(full.pixels)
    fshape = fgray.shape
    n = item.index + 1
    dj = double_jpeg_strength(fgray, tables[0]) if params.double_jpeg else 0.0
    if dj >= 0.45:
        score = float(np.clip((dj - 0.45) / 0.5, 0.0, 1.0) * 0.5 + 0.2)
        out.append(
            Finding(
                detector=DETECTOR,
                code="double-jpeg",
                severity=Severity.LOW if score >= 0.4 else Severity.INFO,
                score=score,
                message_en=f"Evidence photo {n} was saved as JPEG at least twice "
                "(its DCT histograms show the gaps of an earlier compression). Apps and "
                "platforms re-save photos routinely, so this alone is no sign of editing.",
                message_zh=f"证据图片 {n} 至少经过两次 JPEG 压缩"
                "(DCT 系数直方图有周期性空缺)。"
                "应用和平台常会重新保存图片,此项单独不代表被编辑。",
                evidence_index=item.index,
                data={"strength": round(dj, 4), "algorithm": ALGORITHM_VERSION},
            )
        )
        # a region without the double-compression traces the rest of the image has
        dq_mask, dq_share = dq_outlier_region(fgray, tables[0])
        if dq_mask.any():
            dq_score = float(
                np.clip(0.45 + 0.5 * min(dj, 1.5) / 1.5 * (1.0 - dq_share), 0.45, 0.75)
            )
            mask = _grid_to_mask(dq_mask, 8, fshape, shape)
            signals.append(_Signal("compression", "jpeg-inconsistency", mask, dq_score))
            out.append(
                Finding(
                    detector=DETECTOR,
                    code="jpeg-inconsistency",
                    severity=Severity.MEDIUM,
                    score=dq_score,
                    message_en=f"Evidence photo {n} was compressed twice, except in the marked "
                    "area, which lacks the traces of the first compression: that area was pasted "
                    "or painted in after the photo was first saved (an added sticker or caption "
                    "does this too).",
                    message_zh=f"证据图片 {n} 整体经过两次压缩,"
                    "唯独标记区域没有第一次压缩的痕迹:"
                    "该区域是在图片首次保存后粘贴或绘制上去的(后加的贴纸或文字也会如此)。",
                    evidence_index=item.index,
                    regions=(_grid_box(dq_mask, 8, fshape),),
                    mask=mask,
                    data={
                        "region_fraction": round(dq_share, 4),
                        "strength": round(dj, 4),
                        "algorithm": ALGORITHM_VERSION,
                    },
                )
            )
    if params.jpeg_ghost:
        ghost = jpeg_ghost(fgray, tables[0], max_blocks=params.ghost_max_blocks)
        if ghost is not None:
            mask = _grid_to_mask(ghost.mask, ghost.cell_px, fshape, shape)
            score = float(0.2 + 0.25 * ghost.contrast)
            signals.append(_Signal("compression", "jpeg-ghost", mask, score))
            out.append(_ghost_finding(item, ghost, score, mask, fshape))
    return out, signals


def _ghost_finding(
    item: Item, ghost: Ghost, score: float, mask: Mask, fshape: tuple[int, ...]
) -> Finding:
    n, q = item.index + 1, ghost.quality
    if ghost.kind == "earlier":
        en = (
            f"The marked area of evidence photo {n} still carries the traces of an earlier JPEG "
            f"compression at about quality {q} that the rest of the photo lacks (a 'JPEG "
            "ghost'): it may have been cut from another JPEG and pasted in. Weak on its own."
        )
        zh = (
            f"证据图片 {n} 的标记区域带有约 {q} 质量的早期 JPEG 压缩痕迹,"
            "而图片其余部分没有(“JPEG 幽灵”):该区域可能是从另一张 JPEG 图片剪切后粘贴进来的。"
            "此项单独证据较弱。"
        )
    else:
        en = (
            f"Evidence photo {n} was first saved as JPEG at about quality {q}, except the marked "
            "area, which lacks the traces of that compression (its 'JPEG ghost' is missing "
            "there): it may have been painted or pasted in after the photo was first saved; a "
            "sticker or caption added later does this too. Weak on its own."
        )
        zh = (
            f"证据图片 {n} 最初以约 {q} 的质量保存为 JPEG,唯独标记区域没有这次压缩的痕迹"
            "(该处缺少“JPEG 幽灵”):该区域可能是在图片首次保存后绘制或粘贴上去的;"
            "后加的贴纸或文字也会如此。此项单独证据较弱。"
        )
    return Finding(
        detector=DETECTOR,
        code="jpeg-ghost",
        severity=Severity.LOW if score >= 0.3 else Severity.INFO,
        score=score,
        message_en=en,
        message_zh=zh,
        evidence_index=item.index,
        regions=(_grid_box(ghost.mask, ghost.cell_px, fshape),),
        mask=mask,
        data={
            "quality": q,
            "kind": ghost.kind,
            "region_fraction": round(ghost.share, 4),
            "contrast": round(ghost.contrast, 4),
            "algorithm": ALGORITHM_VERSION,
        },
    )


def _noise_finding(
    item: Item, noise_mask: Mask, noise_frac: float, shape: tuple[int, ...]
) -> Finding:
    a = item.analysis
    assert a is not None
    to_orig = 1.0 / a.scale if a.scale > 0 else 1.0
    return Finding(
        detector=DETECTOR,
        code="noise-inconsistency",
        severity=Severity.INFO,
        score=float(np.clip(0.05 + noise_frac, 0.05, 0.2)),
        message_en=f"A region of evidence photo {item.index + 1} has a very different "
        "sensor-noise level from the rest of the picture, which can mean it was pasted "
        "or painted in; focus blur and strong light changes can also do this.",
        message_zh=f"证据图片 {item.index + 1} 中有一块区域的噪声水平与其余部分明显不同,"
        "可能是后期粘贴或涂改;"
        "对焦模糊或光照变化也可能造成此现象。",
        evidence_index=item.index,
        regions=(_mask_box(noise_mask, shape, to_orig),),  # no mask: too weak alone to draw
        data={"region_fraction": round(noise_frac, 4), "algorithm": ALGORITHM_VERSION},
    )


def _copy_move_finding(
    item: Item, rgb: RGBImage, params: TamperParams
) -> tuple[list[Finding], _Signal | None]:
    a = item.analysis
    assert a is not None
    cm = find_copy_move(
        rgb,
        max_side=params.copy_move_max_side,
        min_distance_px=params.copy_move_min_distance_px,
        min_matches=params.copy_move_min_matches,
    )
    if cm is None or cm.clusters > 2:
        return [], None
    cm_score = float(np.clip(0.35 + 0.03 * (cm.matches - params.copy_move_min_matches), 0.35, 0.85))
    # identical objects side by side (a shelf of the same product, a pair of shoes) repeat
    # at about their own size; only one clean, well separated copy counts as strong
    size = max(cm.source[2], cm.source[3], cm.target[2], cm.target[3])
    if cm.clusters > 1 or np.hypot(cm.dx, cm.dy) < 1.5 * size:
        cm_score = min(cm_score, 0.4)
    signal = None
    if cm_score >= 0.5:  # a repetition-like copy never localises
        h, w = rgb.shape[:2]
        m = np.zeros((h, w), dtype=bool)
        for x, y, bw, bh in (cm.source, cm.target):
            m[
                max(0, int(y * a.scale)) : int((y + bh) * a.scale) + 1,
                max(0, int(x * a.scale)) : int((x + bw) * a.scale) + 1,
            ] = True
        signal = _Signal("copy-move", "copy-move", m, cm_score)
    n = item.index + 1
    turned = abs(cm.rotation_deg) >= 2.0 or abs(cm.scale - 1.0) >= 0.03
    how_en = how_zh = ""
    if turned:
        how_en = f", turned by {abs(cm.rotation_deg):.0f}° and resized to {cm.scale:.0%}"
        how_zh = f",并旋转 {abs(cm.rotation_deg):.0f}°、缩放至 {cm.scale:.0%}"
    finding = Finding(
        detector=DETECTOR,
        code="copy-move",
        severity=Severity.MEDIUM if cm_score >= 0.6 else Severity.LOW,
        score=cm_score,
        message_en=f"Part of evidence photo {n} appears twice: {cm.matches} matching details "
        f"are moved by the same offset ({cm.dx:.0f}, {cm.dy:.0f}) px{how_en}, as when a region "
        "is copied and pasted over another to hide or add something.",
        message_zh=f"证据图片 {n} 中有一块区域出现了两次:{cm.matches} 个细节特征以相同位移"
        f"({cm.dx:.0f}, {cm.dy:.0f}) 像素重复{how_zh},符合复制粘贴以遮盖或添加内容的特征。",
        evidence_index=item.index,
        regions=(
            Region(*cm.source, score=cm_score, label="source"),
            Region(*cm.target, score=cm_score, label="copy"),
        ),
        data={
            "dx": cm.dx,
            "dy": cm.dy,
            "rotation_deg": round(cm.rotation_deg, 2),
            "scale": round(cm.scale, 4),
            "matches": cm.matches,
            "clusters": cm.clusters,
            "algorithm": ALGORITHM_VERSION,
        },
    )
    return [finding], signal


_SIGNAL_WORDS = {
    "copy-move": ("a copied region", "复制区域"),
    "noise-inconsistency": ("a noise level unlike the rest", "噪声水平与周围不一致"),
    "jpeg-ghost": ("a different JPEG compression history", "JPEG 压缩历史不同"),
    "jpeg-inconsistency": ("missing traces of the first compression", "缺少首次压缩痕迹"),
}


def _agreement(item: Item, signals: list[_Signal], shape: tuple[int, ...]) -> Finding | None:
    """``tamper-localized``: two signals of different families on the same place."""
    a = item.analysis
    assert a is not None
    agree = np.zeros(shape[:2], dtype=bool)
    used: list[_Signal] = []
    for i, s1 in enumerate(signals):
        for s2 in signals[i + 1 :]:
            if s1.family == s2.family:
                continue
            both = s1.mask & s2.mask
            if both.sum() < 0.2 * min(s1.mask.sum(), s2.mask.sum()) or not both.any():
                continue
            # the parts of either signal that touch the shared place
            lab, _ = ndimage.label(s1.mask | s2.mask)
            agree |= np.isin(lab, np.unique(lab[both]))
            used += [s for s in (s1, s2) if s not in used]
    if not agree.any():
        return None
    score = float(min(0.9, max(0.55, max(s.score for s in used) + 0.15)))
    n = item.index + 1
    en = " and ".join(_SIGNAL_WORDS[s.code][0] for s in used)
    zh = "、".join(_SIGNAL_WORDS[s.code][1] for s in used)
    to_orig = 1.0 / a.scale if a.scale > 0 else 1.0
    return Finding(
        detector=DETECTOR,
        code="tamper-localized",
        severity=Severity.MEDIUM,
        score=score,
        message_en=f"Independent checks point at the same place in evidence photo {n}: {en}. "
        "The marked area was most likely edited.",
        message_zh=f"多项独立检测指向证据图片 {n} 的同一位置:{zh}。标记区域很可能被编辑过。",
        evidence_index=item.index,
        regions=(_mask_box(agree, shape, to_orig),),
        mask=agree,
        data={"signals": [s.code for s in used], "algorithm": ALGORITHM_VERSION},
    )


def _resized(mask: Mask, shape: tuple[int, ...]) -> Mask:
    out: Mask = (
        cv2.resize(mask.astype(np.uint8), (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST) > 0
    )
    return out


def _grid_to_mask(grid: Mask, cell_px: int, full: tuple[int, ...], shape: tuple[int, ...]) -> Mask:
    """A mask of ``cell_px`` cells (anchored top-left on a ``full``-size image) at ``shape``."""
    rows = ((np.arange(shape[0]) + 0.5) * full[0] / shape[0] // cell_px).astype(int)
    cols = ((np.arange(shape[1]) + 0.5) * full[1] / shape[1] // cell_px).astype(int)
    inside = (rows < grid.shape[0])[:, None] & (cols < grid.shape[1])[None, :]
    r = rows.clip(0, grid.shape[0] - 1)
    c = cols.clip(0, grid.shape[1] - 1)
    out: Mask = grid[r[:, None], c[None, :]] & inside
    return out


def _grid_box(grid: Mask, cell_px: int, full: tuple[int, ...]) -> Region:
    """The box of a cell mask in full-resolution pixels."""
    ys, xs = np.nonzero(grid)
    x0, y0 = int(xs.min()) * cell_px, int(ys.min()) * cell_px
    x1 = min((int(xs.max()) + 1) * cell_px, full[1])
    y1 = min((int(ys.max()) + 1) * cell_px, full[0])
    return Region(x0, y0, x1 - x0, y1 - y0, score=1.0, label="suspect")


def _to_gray(rgb: RGBImage) -> GrayImage:
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)


def _mask_box(mask: Mask, shape: tuple[int, ...], to_orig: float) -> Region:
    ys, xs = np.nonzero(mask)
    fy = shape[0] / mask.shape[0] * to_orig
    fx = shape[1] / mask.shape[1] * to_orig
    x0, x1 = int(xs.min() * fx), int((xs.max() + 1) * fx)
    y0, y1 = int(ys.min() * fy), int((ys.max() + 1) * fy)
    return Region(x0, y0, x1 - x0, y1 - y0, score=1.0, label="suspect")
