"""With several references, the copied one is found wherever it is, and skipping is safe.

The detector matches references in hash order and stops at a decisive fit; the others are
matched only when that fit does not explain the evidence.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
from skimage import data

from tests.conftest import encode, one_evidence_case
from trueclaim.forensics import EngineParams, verify
from trueclaim.forensics import derivation as D
from trueclaim.forensics.localize import ChangeMap

ONLY = EngineParams(detectors=("derivation",))


def _listing() -> np.ndarray:
    return cv2.resize(
        np.ascontiguousarray(data.chelsea()), (902, 600), interpolation=cv2.INTER_CUBIC
    )


def _forgery(listing: np.ndarray) -> bytes:
    edited = listing.copy()
    cv2.line(edited, (250, 380), (420, 330), (20, 15, 10), 5)
    crop = cv2.resize(edited[30:570, 40:860], (820, 540), interpolation=cv2.INTER_AREA)
    return encode(crop, "JPEG", quality=85)


def _others() -> list[bytes]:
    return [
        encode(np.ascontiguousarray(img), "JPEG", quality=90)
        for img in (data.astronaut(), data.coffee(), data.rocket(), data.camera())
    ]


@pytest.mark.parametrize("position", [0, 2, 4])
def test_the_copied_reference_is_found_at_any_position(position: int) -> None:
    listing = _listing()
    refs = _others()
    refs.insert(position, encode(listing, "JPEG", quality=92))
    report = verify([_forgery(listing)], refs, params=ONLY)
    found = {f.code: f.reference_index for f in report.findings}
    assert found.get("derived-with-local-edit") == position
    assert found.get("derived-from-reference") == position


def test_an_unrelated_evidence_is_matched_against_every_reference() -> None:
    case = one_evidence_case(
        encode(np.ascontiguousarray(data.chelsea()), "JPEG", quality=90), _others()
    )
    assert not D.detect(case, {})
    assert set(case.cache["derivation"]["evidence"][0].matches) == {0, 1, 2, 3}


def test_the_other_references_are_matched_when_the_decisive_one_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listing = _listing()
    first, second = encode(listing, "JPEG", quality=92), encode(listing, "JPEG", quality=80)
    calls: list[int] = []
    real = D.localize_changes

    def failing_once(ref: np.ndarray, ev: np.ndarray, H: np.ndarray, **kw: Any) -> ChangeMap:
        calls.append(len(calls))
        out = real(ref, ev, H, **kw)
        if len(calls) == 1:  # the first comparison explains nothing
            return ChangeMap(out.mask, (), 0.0, 0.0, 0.0, 0.0, 9.0, out.work_side)
        return out

    monkeypatch.setattr(D, "localize_changes", failing_once)
    D.clear_reference_cache()
    case = one_evidence_case(_forgery(listing), [first, *_others(), second])
    findings = D.detect(case, {})
    result = case.cache["derivation"]["evidence"][0]
    assert set(result.matches) == set(range(6))
    assert result.derived and len(calls) >= 2
    assert {f.reference_index for f in findings} <= {0, 5}
    assert {f.code for f in findings} >= {"derived-from-reference", "derived-with-local-edit"}


def test_a_local_edit_is_never_surer_than_the_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    """A doubtful match (content still moving, as in a second shot of the same shelf) scores
    low, and a strong change in it no higher than the match; a clean copy keeps both high."""
    listing = _listing()
    refs = [encode(listing, "JPEG", quality=92)]
    clean = {f.code: f.score for f in verify([_forgery(listing)], refs, params=ONLY).findings}
    assert clean["derived-from-reference"] > 0.9
    assert clean["derived-with-local-edit"] > 0.9

    real = D.localize_changes

    def moving(ref: np.ndarray, ev: np.ndarray, H: np.ndarray, **kw: Any) -> ChangeMap:
        out = real(ref, ev, H, **kw)
        return ChangeMap(
            out.mask,
            out.regions,
            out.explained_fraction,
            out.compared_fraction,
            out.changed_fraction,
            out.noise_floor,
            0.8,  # residual motion: parallax that a copy would not show
            out.work_side,
        )

    monkeypatch.setattr(D, "localize_changes", moving)
    D.clear_reference_cache()
    doubtful = {f.code: f.score for f in verify([_forgery(listing)], refs, params=ONLY).findings}
    assert doubtful["derived-from-reference"] == pytest.approx(D.DOUBTFUL_SCORE)
    assert "derived-with-local-edit" in doubtful
    assert doubtful["derived-with-local-edit"] <= doubtful["derived-from-reference"]
