"""JPEG compression traces: quantisation tables and double-compression statistics.

Pure helpers over a file's bytes and its luminance on the file's own 8x8 grid, used by the
tamper detector: :func:`quantization_tables` (header only, no pixels decoded),
:func:`double_jpeg_strength` (is the whole image compressed twice?),
:func:`double_jpeg_map` / :func:`dq_outlier_region` (which blocks lack that trace?) and
:func:`jpeg_ghost` (Farid's JPEG ghosts: which region was quantised at another quality?).
The derivation localiser uses :func:`jpeg_coding` and :func:`recompressed` to put pixels
through an evidence file's own coding (what recompression alone does around a change).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from trueclaim.forensics.types import GrayImage, Mask, RGBImage


def _jpeg_header(data: bytes) -> tuple[dict[int, Any], int, str] | None:
    """A JPEG file's quantisation tables (as Pillow reads them), its chroma subsampling
    (Pillow's code, -1 when unknown) and its mode, read through Pillow without decoding
    pixels; None for other formats and unreadable headers."""
    if data[:3] != b"\xff\xd8\xff":
        return None
    from PIL import Image, JpegImagePlugin

    try:
        with Image.open(io.BytesIO(data)) as im:
            tables = dict(getattr(im, "quantization", None) or {})
            return tables, JpegImagePlugin.get_sampling(im), im.mode
    except (OSError, ValueError, SyntaxError) as exc:
        del exc  # an unreadable header has no usable tables
        return None


def quantization_tables(data: bytes) -> dict[int, np.ndarray]:
    """The JPEG quantisation tables of a file (8x8, natural order), {} for other formats.

    Reads the header through Pillow without decoding pixels.
    """
    header = _jpeg_header(data)
    if header is None:
        return {}
    out: dict[int, np.ndarray] = {}
    for k, table in header[0].items():
        arr = np.asarray(list(table), dtype=np.float64)
        if arr.size == 64:
            out[int(k)] = _unzigzag(arr)
    return out


@dataclass(frozen=True, slots=True)
class JpegCoding:
    """How a colour JPEG file was coded: its quantisation tables, as Pillow reads and writes
    them, and its chroma subsampling (Pillow's codes: 0 is 4:4:4, 1 is 4:2:2, 2 is 4:2:0)."""

    qtables: tuple[tuple[int, ...], ...]
    subsampling: int

    @property
    def block_px(self) -> int:
        """The period of the coding grid: one minimum coded unit (16 px when chroma is halved)."""
        return 8 if self.subsampling == 0 else 16


def jpeg_coding(data: bytes) -> JpegCoding | None:
    """The coding of a three-channel JPEG file (header only), or None.

    None for other formats, grey or CMYK JPEGs, subsamplings or 16-bit tables Pillow cannot
    write, and unreadable headers.
    """
    header = _jpeg_header(data)
    if header is None:
        return None
    tables, sampling, mode = header
    if mode != "RGB" or sampling not in (0, 1, 2) or len(tables) < 2:
        return None
    coded = tuple(tuple(int(v) for v in tables[k]) for k in sorted(tables))
    if any(len(t) != 64 or min(t) < 1 or max(t) > 255 for t in coded):
        return None  # 16-bit tables: Pillow writes baseline (8-bit) tables only
    return JpegCoding(coded, sampling)


def recompressed(rgb: RGBImage, coding: JpegCoding) -> RGBImage:
    """``rgb`` encoded with ``coding``'s tables and subsampling, then decoded (block grid at
    its top-left pixel)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(
        buf,
        format="JPEG",
        qtables=[list(t) for t in coding.qtables],
        subsampling=coding.subsampling,
    )
    with Image.open(buf) as im:
        out: RGBImage = np.asarray(im.convert("RGB"))
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


def dq_outlier_region(gray: GrayImage, q_luma: np.ndarray) -> tuple[Mask, float]:
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


# ---------------------------------------------------------------- JPEG ghosts

_IJG_LUMA = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=np.float64,
)
# low and middle AC frequencies (u + v <= 4, no DC): steps large enough to leave a ghost,
# coefficients often non-zero; DC is left out because flat areas make it deterministic
_GHOST_FREQ = np.array([[0 < u + v <= 4 for v in range(8)] for u in range(8)])


def ijg_luma_table(quality: int) -> np.ndarray:
    """The libjpeg (IJG) luminance quantisation table for ``quality`` in 1..100."""
    q = int(np.clip(quality, 1, 100))
    scale = 5000 // q if q < 50 else 200 - 2 * q
    return np.clip(np.floor((_IJG_LUMA * scale + 50) / 100), 1, 255)


def estimate_quality(q_luma: np.ndarray) -> int:
    """The IJG quality whose luminance table is closest (in log steps) to ``q_luma``."""
    logs = np.log(np.maximum(np.asarray(q_luma, dtype=np.float64), 1.0))
    errs = [float(np.abs(np.log(ijg_luma_table(q)) - logs).mean()) for q in range(1, 101)]
    return int(np.argmin(errs)) + 1


@dataclass(frozen=True, slots=True)
class Ghost:
    """A compact region whose JPEG history at one quality differs from the rest of the image.

    ``mask`` is on a grid of ``cell_px``-pixel cells anchored at the image's top-left corner
    (cell ``(i, j)`` covers rows ``i * cell_px ...`` of the image given).
    """

    mask: np.ndarray
    cell_px: int
    quality: int  # the IJG quality the region (kind "earlier") or the rest ("fresh") matches
    kind: str  # "earlier": the region was compressed before at ``quality``; "fresh": it was not
    share: float  # of the textured area
    contrast: float  # 0..1: how cleanly the region separates from the rest


def jpeg_ghost(
    gray: GrayImage,
    q_luma: np.ndarray,
    *,
    max_blocks: int = 16384,
    min_quality: int = 50,
    quality_step: int = 2,
) -> Ghost | None:
    """JPEG ghosts (Farid 2009) on the file's own 8x8 grid, or None.

    Recompressing at quality ``q`` and measuring the difference is done in the DCT domain (the
    DCT is orthonormal, so the squared pixel difference of a block equals the squared
    requantisation error of its coefficients). Per window of 3x3 blocks, the error of the
    non-zero low-frequency coefficients is divided by the error expected of content never
    quantised at ``q`` (step**2 / 12): ~1 for such content, near 0 for content that was
    (the ghost). A compact region ghosted at ``q`` in an image that is not, or the reverse (a
    region without the ghost the rest has: painted in after the first compression), is
    returned with the quality that separates it best.

    Parameters
    ----------
    gray : GrayImage
        Full-resolution luminance on the file's 8x8 grid (no resize, no rotation).
    q_luma : np.ndarray
        The file's luminance table; only qualities clearly coarser than it are tried.
    max_blocks : int
        Larger images use every n-th block in both directions (coverage stays whole).
    """
    h, w = gray.shape
    hb, wb = h // 8, w // 8
    if hb < 16 or wb < 16:
        return None
    stride = max(1, math.ceil(math.sqrt(hb * wb / max_blocks)))
    rows = gray[: hb * 8].reshape(hb, 8, w)[::stride]
    blocks = rows[:, :, : wb * 8].reshape(len(rows), 8, wb, 8)[:, :, ::stride].transpose(0, 2, 1, 3)
    clipped = (blocks.min(axis=(2, 3)) <= 2) | (blocks.max(axis=(2, 3)) >= 253)
    from scipy.fft import dctn

    coef = dctn(blocks.astype(np.float32) - 128.0, type=2, norm="ortho", axes=(2, 3))
    coef = coef[:, :, _GHOST_FREQ]  # (rows, cols, K)
    file_steps = np.asarray(q_luma, dtype=np.float64)[_GHOST_FREQ]
    q_file = estimate_quality(q_luma)
    best: Ghost | None = None
    for q in range(min_quality, min(q_file - 2, 98) + 1, quality_step):
        steps = ijg_luma_table(q)[_GHOST_FREQ]
        if steps.mean() < 1.15 * file_steps.mean():
            continue  # too close to the file's own table to tell apart
        found = _ghost_at(coef, steps.astype(np.float32), clipped, q, stride * 8)
        if found is not None and (best is None or found.contrast > best.contrast):
            best = found
    return best


def _ghost_at(
    coef: np.ndarray, steps: np.ndarray, clipped: np.ndarray, quality: int, cell_px: int
) -> Ghost | None:
    use = steps > 2.0
    c = coef[:, :, use]
    s = steps[use]
    k = np.rint(c / s)
    nz = k != 0
    err = np.where(nz, (c - k * s) ** 2, 0.0)
    num = ndimage.uniform_filter(err.sum(axis=-1), 3, mode="nearest")
    den = ndimage.uniform_filter((nz * (s * s / 12.0)).sum(axis=-1), 3, mode="nearest")
    cnt = ndimage.uniform_filter(nz.sum(axis=-1).astype(np.float64), 3, mode="nearest") * 9
    bad = ndimage.maximum_filter(clipped, 3, mode="nearest")
    valid = (cnt >= 18) & ~bad
    if valid.sum() < 100:
        return None
    ratio = np.where(valid, num / np.maximum(den, 1e-6), np.nan)
    med = float(np.median(ratio[valid]))
    if med > 0.7:  # the image is not ghosted here: look for a ghosted region
        cand, kind = valid & (ratio < 0.3), "earlier"
    elif med < 0.3:  # the image was compressed at this quality before: look for fresh content
        cand, kind = valid & (ratio > 0.7), "fresh"
    else:
        return None
    cand = ndimage.binary_opening(cand, np.ones((2, 2), dtype=bool))
    lab, n = ndimage.label(cand)
    if n == 0:
        return None
    sizes = ndimage.sum(cand, lab, index=np.arange(1, n + 1))
    region = lab == int(np.argmax(sizes)) + 1
    share = float(region.sum() / valid.sum())
    if share < 0.02 or share > 0.35:
        return None
    inside = float(np.median(ratio[region]))
    outside = float(np.median(ratio[valid & ~region]))
    contrast = float(np.clip(abs(outside - inside) / max(outside, inside, 1e-6), 0.0, 1.0))
    if contrast < 0.6:
        return None
    return Ghost(region, cell_px, quality, kind, share, contrast)
