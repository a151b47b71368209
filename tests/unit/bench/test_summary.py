"""`bench score` figures from a manifest and results, worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from trueclaim.bench.manifest import BenchCase
from trueclaim.bench.summary import summarize
from trueclaim.forensics import CaseContext


def _case(cid: str, label: str, kind: str, mask: Path | None = None) -> BenchCase:
    return BenchCase(cid, (Path("e.jpg"),), (), label, kind, mask, CaseContext(), 1)


def _result(
    cid: str, risk: float | None, mask: str | None = None, ms: float = 10.0
) -> dict[str, object]:
    out: dict[str, object] = {
        "id": cid,
        "risk": risk,
        "verdict": None,
        "codes": [],
        "mask": mask,
        "elapsed_ms": ms,
    }
    if risk is None:
        out["error"] = "boom"
    return out


def test_figures_by_hand(tmp_path: Path) -> None:
    truth = np.zeros((10, 10), bool)
    truth[:5] = True  # top half
    Image.fromarray(truth).save(tmp_path / "t.png")
    pred = np.zeros((5, 5), bool)
    pred[:, :] = True  # everything, at half resolution: IoU 0.5
    (tmp_path / "masks").mkdir()
    Image.fromarray(pred).save(tmp_path / "masks" / "f1.png")
    cases = [
        _case("f1", "forged", "a", tmp_path / "t.png"),
        _case("f2", "forged", "a", tmp_path / "t.png"),  # no predicted mask: IoU 0
        _case("f3", "forged", "b"),
        _case("g1", "genuine", "g"),
        _case("g2", "genuine", "g"),
        _case("u1", "unlabeled", "a"),
        _case("x1", "forged", "b"),  # failed
        _case("m1", "genuine", "g"),  # not run yet
    ]
    results = [
        _result("f1", 0.9, "masks/f1.png", 10),
        _result("f2", 0.4, None, 20),
        _result("f3", 0.2, None, 30),
        _result("g1", 0.3, None, 40),
        _result("g2", 0.1, None, 50),
        _result("u1", 0.99, None, 60),
        _result("x1", None),
    ]
    s = summarize(cases, results, tmp_path)
    assert (s.cases, s.forged, s.genuine, s.unlabeled, s.errors, s.missing) == (8, 4, 3, 1, 1, 1)
    # forged 0.9, 0.4, 0.2 vs genuine 0.3, 0.1: wins 2 + 2 + 1 of 6
    assert s.auc == pytest.approx(5 / 6)
    # no genuine may be flagged at 1% FPR: threshold 0.4 flags f1, f2
    assert s.threshold_1pct == 0.4 and s.tpr_at_1pct == pytest.approx(2 / 3)
    kinds = {(k.kind, k.label): k for k in s.by_kind}
    assert kinds[("a", "forged")].flagged == 2 and kinds[("b", "forged")].flagged == 0
    assert kinds[("a", "unlabeled")].flagged == 1  # shown, but not in the detection figures
    assert kinds[("a", "forged")].auc_vs_genuine == 1.0
    assert kinds[("g", "genuine")].auc_vs_genuine is None
    assert s.mask_cases == 2 and s.mean_mask_iou == pytest.approx(0.25)
    assert s.latency_p50_ms == pytest.approx(35.0)
    figures = s.to_dict()
    assert set(figures["flagged_by_kind"]) == {"a (forged)", "a (unlabeled)", "b", "g"}
    assert any("failed" in n for n in s.notes) and any("no result" in n for n in s.notes)


def test_one_class_gives_no_detection_figures(tmp_path: Path) -> None:
    s = summarize([_case("f1", "forged", "a")], [_result("f1", 0.5)], tmp_path)
    assert s.auc is None and s.roc is None
    assert any("both forged and genuine" in n for n in s.notes)
    assert s.to_dict()["roc_auc"] is None
