"""JPEG compression traces: quantisation tables and double-compression statistics.

Pure helpers over a file's bytes and its luminance on the file's own 8x8 grid, used by the
tamper detector: :func:`quantization_tables` (header only, no pixels decoded),
:func:`double_jpeg_strength` (is the whole image compressed twice?) and
:func:`double_jpeg_map` / :func:`dq_outlier_region` (which blocks lack that trace?).
"""

from __future__ import annotations

import io

import numpy as np
from scipy import ndimage

from trueclaim.forensics.types import GrayImage, Mask


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
