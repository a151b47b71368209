"""The scorer's figures against values worked out by hand on tiny inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trueclaim.bench.metrics import (
    MetricError,
    mask_iou,
    percentile,
    roc_auc,
    roc_curve,
    tpr_at_fpr,
)


def test_auc_perfect_and_inverted() -> None:
    assert roc_auc([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1]) == 1.0
    assert roc_auc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]) == 0.0


def test_auc_by_hand_with_ties() -> None:
    # pairs (pos, neg): (0.8,0.5) win, (0.8,0.8) tie, (0.8,0.1) win,
    # (0.5,0.5) tie, (0.5,0.8) loss, (0.5,0.1) win -> (3 + 2 * 0.5) / 6
    labels = [1, 1, 0, 0, 0]
    scores = [0.8, 0.5, 0.5, 0.8, 0.1]
    assert roc_auc(labels, scores) == pytest.approx(4 / 6)


def test_auc_all_tied_is_half() -> None:
    assert roc_auc([1, 0, 1, 0], [0.3, 0.3, 0.3, 0.3]) == 0.5


def test_auc_matches_pairwise_count() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(60) < 0.4
    s = rng.integers(0, 5, 60) / 4.0  # many ties
    pos, neg = s[y], s[~y]
    expected = (
        (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    ) / (pos.size * neg.size)
    assert roc_auc(y, s) == pytest.approx(expected)


@pytest.mark.parametrize("labels", [[1, 1, 1], [0, 0], []])
def test_one_class_is_an_error(labels: list[int]) -> None:
    with pytest.raises(MetricError, match="both forged and genuine"):
        roc_auc(labels, [0.5] * len(labels))


def test_nan_scores_are_an_error() -> None:
    with pytest.raises(MetricError, match="NaN"):
        roc_auc([1, 0], [float("nan"), 0.1])


def test_roc_curve_points() -> None:
    curve = roc_curve([1, 0, 1, 0], [0.9, 0.7, 0.7, 0.2])
    assert curve.thresholds.tolist() == [math.inf, 0.9, 0.7, 0.2]
    assert curve.tpr.tolist() == [0.0, 0.5, 1.0, 1.0]
    assert curve.fpr.tolist() == [0.0, 0.0, 0.5, 1.0]


def test_tpr_at_fpr_picks_smallest_admissible_threshold() -> None:
    # 100 genuine at 0.00 .. 0.99, forged at 0.985, 0.995, 0.5
    neg = [i / 100 for i in range(100)]
    pos = [0.985, 0.995, 0.5]
    labels = [0] * 100 + [1] * 3
    scores = neg + pos
    p1 = tpr_at_fpr(labels, scores, 0.01)
    # FPR <= 1% allows one genuine (0.99) flagged: smallest such threshold is 0.985
    assert p1.threshold == 0.985
    assert p1.fpr == pytest.approx(0.01)
    assert p1.tpr == pytest.approx(2 / 3)
    p01 = tpr_at_fpr(labels, scores, 0.001)
    # no genuine may be flagged: threshold 0.995, only one forged case above 0.99
    assert p01.threshold == 0.995
    assert p01.fpr == 0.0
    assert p01.tpr == pytest.approx(1 / 3)


def test_tpr_at_fpr_flags_nothing_when_genuine_is_on_top() -> None:
    p = tpr_at_fpr([1, 0], [0.2, 0.9], 0.01)
    assert p.threshold == math.inf and p.tpr == 0.0 and p.fpr == 0.0


def test_tpr_at_fpr_counts_ties_at_threshold_as_flagged() -> None:
    # a genuine tie with a forged case at 0.7: flagging it costs FPR 0.5
    p = tpr_at_fpr([1, 1, 0, 0], [0.9, 0.7, 0.7, 0.1], 0.5)
    assert p.threshold == 0.7 and p.tpr == 1.0 and p.fpr == 0.5


def test_mask_iou_by_hand() -> None:
    truth = np.zeros((4, 4), bool)
    truth[:2, :2] = True  # 4 px
    pred = np.zeros((4, 4), bool)
    pred[1:3, 1:3] = True  # 4 px, 1 shared
    assert mask_iou(truth, pred) == pytest.approx(1 / 7)
    assert mask_iou(truth, None) == 0.0
    assert mask_iou(np.zeros((3, 3), bool), np.zeros((3, 3), bool)) == 1.0


def test_mask_iou_resizes_prediction() -> None:
    truth = np.zeros((8, 8), bool)
    truth[:, :4] = True
    pred = np.zeros((2, 2), bool)
    pred[:, 0] = True  # the left half at quarter resolution
    assert mask_iou(truth, pred) == 1.0


def test_percentile() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([10.0] * 3 + [100.0], 95) == pytest.approx(86.5)
    assert math.isnan(percentile([], 50))
