"""The process-level reference cache of the derivation detector is pure memoisation."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from tests.conftest import encode
from trueclaim.forensics import EngineParams, verify
from trueclaim.forensics import derivation as D

ONLY = EngineParams(detectors=("derivation",))


def _pair() -> tuple[bytes, bytes]:
    listing = cv2.resize(
        np.ascontiguousarray(data.chelsea()), (902, 600), interpolation=cv2.INTER_CUBIC
    )
    edited = listing.copy()
    cv2.line(edited, (250, 380), (420, 330), (20, 15, 10), 5)
    crop = cv2.resize(edited[30:570, 40:860], (820, 540), interpolation=cv2.INTER_AREA)
    return encode(crop, "JPEG", quality=85), encode(listing, "JPEG", quality=92)


def _summary(report: object) -> list[tuple[str, float, int | None]]:
    return [(f.code, round(f.score, 9), f.reference_index) for f in report.findings]  # type: ignore[attr-defined]


def test_a_cache_hit_gives_the_same_findings_as_a_cold_run() -> None:
    evidence, reference = _pair()
    other = encode(np.ascontiguousarray(data.astronaut()), "JPEG", quality=90)
    D.clear_reference_cache()
    cold = verify([evidence], [other, reference], params=ONLY)
    assert len(D._prep_cache) == 2
    warm = verify([evidence], [reference, other], params=ONLY)  # other order, other indices
    assert len(D._prep_cache) == 2
    assert {f.code for f in cold.findings} >= {"derived-from-reference", "derived-with-local-edit"}
    assert [(c, s) for c, s, _ in _summary(cold)] == [(c, s) for c, s, _ in _summary(warm)]
    assert {i for _, _, i in _summary(cold)} == {1}
    assert {i for _, _, i in _summary(warm)} == {0}


def test_the_cache_is_bounded_and_keyed_by_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    _, reference = _pair()
    D.clear_reference_cache()
    monkeypatch.setattr(D, "_PREP_CACHE_SIZE", 1)
    params = EngineParams(
        detectors=("derivation",), detector_options={"derivation": {"n_features": 500}}
    )
    verify([reference], [reference], params=ONLY)
    verify([reference], [reference], params=params)
    assert len(D._prep_cache) == 1
    (key,) = D._prep_cache
    assert 500 in key
    D.clear_reference_cache()
    assert not D._prep_cache
