"""Order statistics with numpy's exact values, at less cost on the small arrays of the engine.

The localisation takes a few hundred medians and sorts per check, mostly of a few thousand
values; numpy's generic paths (any axis, NaN checks at a third partition point) cost more
than the work itself there. Each function here returns exactly what the numpy call it names
returns (``tests/property/test_same_numbers.py`` holds them to it), so masks and scores do not
move by a bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def stable_argsort(x: npt.NDArray[np.float32]) -> np.ndarray:
    """``np.argsort(x, kind="stable")`` of a float32 array, in about half the time.

    Each value's bits are mapped to an unsigned key that sorts as the value does (negative
    zero as zero, every NaN last) and packed above its index into one 64-bit integer: the
    keys are then distinct, so numpy's (vectorised, unstable) sort gives the stable order.
    """
    x = np.where(np.isnan(x), np.float32(np.nan), x + np.float32(0.0))  # one NaN, one zero
    bits = x.view(np.uint32)
    key = np.where(bits >> 31 == 1, ~bits, bits | np.uint32(0x80000000)).astype(np.uint64)
    packed = (key << np.uint64(32)) | np.arange(x.size, dtype=np.uint64)
    return (np.sort(packed) & np.uint64(0xFFFFFFFF)).astype(np.intp)


def median(values: npt.NDArray[Any]) -> float:
    """``float(np.median(values))`` of a float array, at a fraction of np.median's overhead.

    The same middle value (or the two middle values, averaged in the array's dtype) from one
    partition, a NaN anywhere giving NaN, as np.median (a zero, whose sign depends on how the
    partition ordered equal values, is left to np.median). Its generic path (any axis, a third
    partition point for its NaN check) costs more than the partition itself on the few
    thousand values most calls here take, and a partition at two points runs about three
    times faster in numpy than one at a single point.
    """
    flat = values.ravel()
    if flat.size < 2 or flat.dtype.type not in (np.float32, np.float64):
        return float(np.median(flat))
    if np.isnan(flat).any():
        return float("nan")
    half = flat.size // 2
    part = np.partition(flat, (half - 1, half))
    middle = part[half] if flat.size % 2 else (part[half - 1] + part[half]) / 2
    if middle == 0.0:  # which of -0.0 and 0.0 lands in the middle depends on the partition
        return float(np.median(flat))
    return float(middle)
