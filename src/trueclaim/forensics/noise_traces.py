"""Sensor-noise level per block, and a compact region whose noise is far off the rest.

Pure helpers for the tamper detector: :func:`noise_map` (robust HH1 wavelet noise sigma per
block) and :func:`noise_outliers` (the largest compact region far below or above the median).
"""

from __future__ import annotations

import numpy as np
import pywt
from scipy import ndimage

from trueclaim.forensics.types import GrayImage, Mask


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


def noise_outliers(sigma: np.ndarray, *, ratio: float, min_frac: float) -> tuple[Mask, float]:
    """Mask of blocks in a compact region far off the image's median noise, and its share.

    A block ``ratio`` times below or above the median noise is an outlier; the largest
    connected region of outliers counts when it covers ``min_frac`` to 35 % of the valid blocks.
    """
    valid = np.isfinite(sigma)
    if valid.sum() < 16:
        return np.zeros(sigma.shape, dtype=bool), 0.0
    med = float(np.median(sigma[valid]))
    floor = max(med, 0.5)
    low = valid & (sigma < floor / ratio) & (med > 1.5)
    high = valid & (sigma > floor * ratio)
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
    if frac < min_frac or frac > 0.35:
        return np.zeros(sigma.shape, dtype=bool), 0.0
    return best, frac
