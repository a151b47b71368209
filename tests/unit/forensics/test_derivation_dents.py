"""Large painted dents: the copy is still found when its own plane is not the strongest fit.

A dent magnifies part of the photo. When it is large, the magnified part can hold more
matched features than the untouched rest, so the robust fit follows the dent and the copy's
true plane is only the runner-up (:func:`~trueclaim.forensics.matching.second_plane`); and a
near-duplicate by hash is compared frame to frame when the features miss it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import encode
from trueclaim.forensics import EngineParams, verify
from trueclaim.forensics import derivation as D
from trueclaim.forensics.matching import GeometricMatch, second_plane
from trueclaim.forensics.types import resize_mask

ONLY = EngineParams(detectors=("derivation",))


def _dent(
    img: np.ndarray, centre: tuple[float, float], radius: float, k: float, moved: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Magnify the photo around ``centre`` (a pushed-in surface); where it moved ``moved`` px."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xx - centre[0], yy - centre[1]
    g = np.exp(-((dx / radius) ** 2 + (dy / radius) ** 2))
    map_x = (centre[0] + dx * (1 - k * g)).astype(np.float32)
    map_y = (centre[1] + dy * (1 - k * g)).astype(np.float32)
    out = cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return out, np.hypot(dx, dy) * k * g >= moved


def _photo(shared_data: Path, relative: str) -> np.ndarray:
    return np.asarray(Image.open(shared_data / relative).convert("RGB"))


def _codes(evidence: np.ndarray, reference: np.ndarray) -> tuple[set[str], np.ndarray]:
    report = verify([encode(evidence)], [encode(reference)], params=ONLY)
    return {f.code for f in report.findings}, report.localization(0)


def _fit(left_out: np.ndarray | None, inliers: int = 150) -> GeometricMatch:
    """A first fit (a 1.3x zoom) that left ``left_out`` (evidence = reference points) out."""
    zoom = np.array([[1.3, 0.0, -60.0], [0.0, 1.3, -45.0], [0.0, 0.0, 1.0]])
    n = inliers + (0 if left_out is None else len(left_out))
    outliers = None if left_out is None else (left_out, left_out.copy())
    return GeometricMatch(zoom, n, inliers, inliers / n, 0.5, 0.0, False, outliers, 1.5)


def test_second_plane_is_fitted_on_what_the_first_left_out() -> None:
    rng = np.random.default_rng(3)
    rest = np.concatenate(
        [rng.uniform(0, 500, (40, 2)), rng.uniform([0, 400], [500, 500], (30, 2))]
    ).astype(np.float32)  # the untouched rest of the photo: identity
    second = second_plane(_fit(rest), (500, 500), (500, 500))
    assert second is not None and second.homography is not None
    assert second.n_inliers == len(rest)
    assert np.abs(second.homography / second.homography[2, 2] - np.eye(3)).max() < 1e-3
    # Nothing left out, or too little for a plane: none.
    assert second_plane(_fit(None), (500, 500), (500, 500)) is None
    assert second_plane(_fit(rest[:10]), (500, 500), (500, 500)) is None


@pytest.mark.shared_data
def test_a_cropped_copy_with_a_large_dent_is_derived_through_its_second_plane(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _photo(shared_data, "camera/exif-samples/jpg/gps/DSCN0042.jpg")
    h, w = ref.shape[:2]
    dented, zone = _dent(ref, (w * 0.5, h * 0.45), 0.2 * np.sqrt(h * w), 0.25)
    crop = (slice(int(0.05 * h), int(0.9 * h)), slice(int(0.1 * w), int(0.97 * w)))
    codes, mask = _codes(dented[crop], ref)
    assert {"derived-from-reference", "derived-with-local-edit"} <= codes
    found, moved = resize_mask(mask, zone[crop].shape), zone[crop]
    # The edit is where the dent is: every pixel found was resampled by the warp (moved by a
    # quarter pixel or more: the sub-pixel rim lost its fine detail to the interpolation).
    _same, resampled = _dent(ref, (w * 0.5, h * 0.45), 0.2 * np.sqrt(h * w), 0.25, moved=0.25)
    assert (found & resampled[crop]).sum() / found.sum() > 0.9
    assert (found & moved).sum() / moved.sum() > 0.5
    monkeypatch.setattr(D, "second_plane", lambda *args: None)
    assert "derived-from-reference" not in _codes(dented[crop], ref)[0]  # what the plane adds


def _dented_listing(shared_data: Path) -> tuple[np.ndarray, np.ndarray]:
    """A grocery listing photo with a large dent painted in, and the photo."""
    folder = shared_data / "grocery" / "Red-Grapefruit" / "listing"
    ref = _photo(folder, sorted(p.name for p in folder.iterdir())[0])
    h, w = ref.shape[:2]
    dented, _zone = _dent(ref, (w * 0.5, h * 0.45), 0.22 * np.sqrt(h * w), 0.35)
    return dented, ref


@pytest.mark.shared_data
def test_a_near_duplicate_with_a_large_dent_is_compared_frame_to_frame(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dented, ref = _dented_listing(shared_data)
    codes, _mask = _codes(dented, ref)
    assert {"derived-from-reference", "derived-with-local-edit"} <= codes
    monkeypatch.setattr(D, "HASH_ROUTE_PDQ_BITS", 31)  # PDQ's own match distance
    assert "derived-from-reference" not in _codes(dented, ref)[0]


@pytest.mark.shared_data
def test_the_hash_route_compares_the_two_closest_references_only(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dented, ref = _dented_listing(shared_data)
    # four near-duplicate references (re-encoded, slightly brighter): every one within the
    # hash route's distance; none explains the evidence here, so every allowed try is made
    refs = [encode(np.clip(ref.astype(int) + k, 0, 255).astype(np.uint8)) for k in (0, 3, 6, 9)]
    compared: list[str] = []
    real = D.localize_changes

    def counting(*args: object, **kwargs: object) -> object:
        compared.append(sys._getframe(1).f_code.co_name)  # the feature route compares too
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(D, "localize_changes", counting)
    monkeypatch.setattr(D, "_explains", lambda *args, **kwargs: False)
    verify([encode(dented)], refs, params=ONLY)
    assert compared.count("_try_hash_route") == 2
