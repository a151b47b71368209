"""Another shot of the reference's scene, an object moved in it, is no copy with an edit.

A buyer's shelf photos come in runs: the same shelf a moment later, the product turned in the
hand. One homography then fits the still background and the product that moved shows as a
large "change"; :func:`~trueclaim.forensics.matching.moved_object` finds that the change holds
matches of their own motion, all shifted, which a painted edit (or a dent) does not.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from tests.conftest import derivation_codes
from trueclaim.forensics import EngineParams, verify
from trueclaim.forensics import derivation as D
from trueclaim.forensics import matching as M
from trueclaim.forensics.matching import GeometricMatch, moved_object

ONLY = EngineParams(detectors=("derivation",))


def _scene(offset: tuple[int, int], angle: float, seed: int) -> np.ndarray:
    """A still background (a real photo) and a real object held in front of it at
    ``offset``, turned by ``angle`` degrees; each shot has its own sensor noise."""
    back = cv2.resize(np.ascontiguousarray(data.coffee()), (900, 600), interpolation=cv2.INTER_AREA)
    thing = np.ascontiguousarray(data.chelsea())[40:260, 60:320]  # 220 x 260
    turn = cv2.getRotationMatrix2D((130, 110), angle, 1.0)
    turned = cv2.warpAffine(thing, turn, (260, 220), borderMode=cv2.BORDER_REFLECT)
    out = back.copy()
    x, y = 300 + offset[0], 180 + offset[1]
    out[y : y + 220, x : x + 260] = turned
    noise = np.random.default_rng(seed).normal(0, 2.0, out.shape)
    return np.clip(out + noise, 0, 255).astype(np.uint8)


def test_the_next_shot_with_the_product_moved_is_not_derived() -> None:
    reference, evidence = _scene((0, 0), 0.0, 1), _scene((34, 16), 5.0, 2)
    assert derivation_codes(evidence, reference) == set()


def test_without_the_moved_object_rule_the_next_shot_reads_as_an_edited_copy() -> None:
    """The rule is what clears it: the still background alone makes it a derived copy."""
    reference, evidence = _scene((0, 0), 0.0, 1), _scene((34, 16), 5.0, 2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(M, "MOVED_MIN_SHIFT", 1.0)
        assert "derived-with-local-edit" in derivation_codes(evidence, reference)


def _match(moved_src: np.ndarray, moved_dst: np.ndarray) -> GeometricMatch:
    """A first fit (identity) that left ``moved_src`` -> ``moved_dst`` out."""
    n = 200 + len(moved_src)
    outliers = (moved_src.astype(np.float32), moved_dst.astype(np.float32))
    return GeometricMatch(np.eye(3), n, 200, 200 / n, 0.5, 0.0, False, outliers, 2.0)


def _changed(box: tuple[int, int, int, int]) -> np.ndarray:
    mask = np.zeros((400, 600), bool)
    x, y, w, h = box
    mask[y : y + h, x : x + w] = True
    return mask


def test_a_rigidly_moved_object_is_told_from_a_dent_and_from_repeated_patterns() -> None:
    rng = np.random.default_rng(5)
    src = rng.uniform([200, 120], [300, 220], (40, 2))
    # The object moved 30 px right and 12 down (4.5% of the 721 px diagonal): moved.
    moved = src + np.array([30.0, 12.0])
    assert moved_object(_match(src, moved), _changed((180, 100, 180, 160)))
    # A dent magnifies around its centre: the middle barely moves.
    centre = np.array([250.0, 170.0])
    dented = centre + (src - centre) * 1.12
    assert not moved_object(_match(src, dented), _changed((180, 100, 180, 160)))
    # A pack matched to its twin across the shelf (300 px away): repeated patterns.
    far = src + np.array([300.0, 0.0])
    assert not moved_object(_match(src, far), _changed((480, 100, 120, 160)))
    # Too few matches to say, or none inside the changes.
    assert not moved_object(_match(src[:10], moved[:10]), _changed((180, 100, 180, 160)))
    assert not moved_object(_match(src, moved), _changed((0, 300, 100, 100)))


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("product", "evidence_no", "reference_no", "module", "rule", "off", "code"),
    [
        # The carton turned in the hand before the shelf behind it: a moved object.
        ("Alpro-Vanilla-Soyghurt", 17, 14, M, "MOVED_MIN_SHIFT", 1.0, "derived-with-local-edit"),
        # A fruit stand from a step further back: more of it past the reference's frame
        # (derivation._beyond_reference, see test_derivation_beyond.py).
        ("Mango", 11, 12, D, "BEYOND_MIN_SHARE", 2.0, "derived-from-reference"),
    ],
)
def test_a_real_next_shot_is_not_derived(
    shared_data: Path,
    product: str,
    evidence_no: int,
    reference_no: int,
    module: object,
    rule: str,
    off: float,
    code: str,
) -> None:
    """Two consecutive shop photos; without the rule that clears them, a derived copy."""
    folder = shared_data / "grocery" / product / "photos"
    evidence = (folder / f"{product}_{evidence_no:03d}.jpg").read_bytes()
    reference = (folder / f"{product}_{reference_no:03d}.jpg").read_bytes()
    assert not verify([evidence], [reference], params=ONLY).findings
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(module, rule, off)
        codes = {f.code for f in verify([evidence], [reference], params=ONLY).findings}
    assert code in codes
