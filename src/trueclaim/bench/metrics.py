"""Detection and localisation figures from labels, risks and masks (numpy only).

Conventions: a case is *flagged* at threshold ``t`` when ``risk >= t``; positives are forged
cases. ``tpr_at_fpr`` picks the smallest threshold whose false-positive rate is at most the
target, so ties at the threshold count as flagged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trueclaim.forensics.types import Mask, resize_mask

FloatArray = npt.NDArray[np.float64]


class MetricError(ValueError):
    """The inputs cannot give the asked figure (e.g. only one class)."""


@dataclass(frozen=True, slots=True)
class RocCurve:
    """Points of the ROC curve, from (0, 0) to (1, 1); ``thresholds[0]`` is +inf."""

    fpr: FloatArray
    tpr: FloatArray
    thresholds: FloatArray


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """TPR at a threshold chosen for a target FPR."""

    target_fpr: float
    threshold: float  # +inf when only "flag nothing" meets the target
    fpr: float
    tpr: float


def _split(
    labels: Sequence[bool] | npt.ArrayLike, scores: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape or y.ndim != 1:
        raise MetricError(
            f"labels and scores must be 1-D of equal length, got {y.shape} and {s.shape}."
        )
    if np.isnan(s).any():
        raise MetricError("scores contain NaN; drop failed cases before computing metrics.")
    pos, neg = s[y], s[~y]
    if pos.size == 0 or neg.size == 0:
        raise MetricError(
            f"need both forged and genuine cases, got {pos.size} forged and {neg.size} genuine."
        )
    return pos, neg


def roc_auc(labels: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """Area under the ROC curve: P(forged risk > genuine risk) + 0.5 P(tie)."""
    pos, neg = _split(labels, scores)
    allv = np.concatenate([pos, neg])
    ranks = _average_ranks(allv)
    rank_sum = ranks[: pos.size].sum()
    u = rank_sum - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


def _average_ranks(values: FloatArray) -> FloatArray:
    order = np.argsort(values, kind="mergesort")
    sorted_v = values[order]
    ranks = np.empty(values.size, dtype=np.float64)
    # boundaries of runs of equal values
    starts = np.flatnonzero(np.r_[True, sorted_v[1:] != sorted_v[:-1]])
    ends = np.r_[starts[1:], values.size]
    for a, b in zip(starts, ends, strict=True):
        ranks[order[a:b]] = (a + b + 1) / 2.0  # mean of ranks a+1 .. b
    return ranks


def roc_curve(labels: npt.ArrayLike, scores: npt.ArrayLike) -> RocCurve:
    """ROC points at every distinct score (flag when ``score >= threshold``)."""
    pos, neg = _split(labels, scores)
    thresholds = np.unique(np.concatenate([pos, neg]))[::-1]
    pos_sorted, neg_sorted = np.sort(pos), np.sort(neg)
    tp = pos.size - np.searchsorted(pos_sorted, thresholds, side="left")
    fp = neg.size - np.searchsorted(neg_sorted, thresholds, side="left")
    return RocCurve(
        fpr=np.r_[0.0, fp / neg.size],
        tpr=np.r_[0.0, tp / pos.size],
        thresholds=np.r_[np.inf, thresholds],
    )


def tpr_at_fpr(labels: npt.ArrayLike, scores: npt.ArrayLike, target_fpr: float) -> OperatingPoint:
    """TPR at the smallest threshold whose FPR is at most ``target_fpr``."""
    if not 0.0 <= target_fpr <= 1.0:
        raise MetricError(f"target_fpr must be in [0, 1], got {target_fpr}.")
    curve = roc_curve(labels, scores)
    ok = np.flatnonzero(curve.fpr <= target_fpr + 1e-12)
    i = int(ok[-1])  # thresholds fall along the curve, so the last admissible is the smallest
    return OperatingPoint(
        target_fpr=target_fpr,
        threshold=float(curve.thresholds[i]),
        fpr=float(curve.fpr[i]),
        tpr=float(curve.tpr[i]),
    )


def mask_iou(truth: Mask, predicted: Mask | None) -> float:
    """Intersection over union; the prediction is resized to the truth's shape.

    A missing prediction scores 0; when both masks are empty the answer is 1.
    """
    truth = np.asarray(truth, dtype=bool)
    if predicted is None:
        return 0.0
    pred = resize_mask(np.asarray(predicted, dtype=bool), truth.shape)
    union = np.logical_or(truth, pred).sum()
    if union == 0:
        return 1.0
    return float(np.logical_and(truth, pred).sum() / union)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile; NaN when there are no values."""
    if not values:
        return math.nan
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))
