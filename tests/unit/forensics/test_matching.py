"""ORB features and one robust homography: transforms recovered, unrelated images refused."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from tests.conftest import encode
from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.matching import extract_features, fit_homography


def _photo() -> np.ndarray:
    return np.ascontiguousarray(data.astronaut())  # 512 x 512, textured


def _mapping_error(H: np.ndarray, truth: np.ndarray, shape: tuple[int, int]) -> float:
    h, w = shape
    pts = np.array(
        [[[w * 0.25, h * 0.25]], [[w * 0.75, h * 0.3]], [[w * 0.5, h * 0.7]]], np.float64
    )
    return float(
        np.abs(cv2.perspectiveTransform(pts, H) - cv2.perspectiveTransform(pts, truth)).max()
    )


def test_crop_rescale_rotation_is_recovered() -> None:
    ref = _photo()
    truth = cv2.getRotationMatrix2D((256.0, 256.0), 12.0, 0.7)
    truth[:, 2] -= (40.0, 30.0)  # and a crop
    ev = cv2.warpAffine(ref, truth, (300, 320), flags=cv2.INTER_AREA)
    ev = decode_image(encode(ev, "JPEG", quality=80)).pixels
    match = fit_homography(extract_features(ref), extract_features(ev))
    assert match.found and not match.mirrored
    assert match.n_inliers >= 30
    assert match.coverage > 0.4
    assert _mapping_error(match.homography, np.vstack([truth, [0, 0, 1]]), ref.shape[:2]) < 2.0


def test_mirrored_copy_is_recovered_with_a_reflection() -> None:
    ref = _photo()
    ev = np.ascontiguousarray(cv2.resize(ref, (400, 400), interpolation=cv2.INTER_AREA)[:, ::-1])
    direct = fit_homography(extract_features(ref), extract_features(ev))
    mirrored = fit_homography(extract_features(ref), extract_features(ev, mirrored=True))
    assert mirrored.found and mirrored.mirrored
    assert mirrored.n_inliers > max(direct.n_inliers, 20)
    assert np.linalg.det(mirrored.homography[:2, :2]) < 0
    truth = np.array([[-400 / 512, 0, 399], [0, 400 / 512, 0], [0, 0, 1]], np.float64)
    assert _mapping_error(mirrored.homography, truth, ref.shape[:2]) < 2.0


def test_unrelated_photos_do_not_match() -> None:
    a = np.ascontiguousarray(data.astronaut())
    b = np.ascontiguousarray(data.coffee())
    match = fit_homography(extract_features(a), extract_features(b))
    assert not match.found or match.n_inliers < 12


def test_flat_image_has_no_features_and_no_match() -> None:
    flat = np.full((200, 300, 3), 128, np.uint8)
    features = extract_features(flat)
    assert len(features) == 0
    assert not fit_homography(extract_features(_photo()), features).found


@pytest.mark.shared_data
def test_object_in_a_scene_matches_only_part_of_the_scene(shared_data: Path) -> None:
    box = decode_image((shared_data / "pairs" / "box.png").read_bytes()).pixels
    scene = decode_image((shared_data / "pairs" / "box_in_scene.png").read_bytes()).pixels
    match = fit_homography(extract_features(box), extract_features(scene))
    # The box is found (a planar face), but its inliers cover little of the scene.
    assert match.found
    assert match.coverage < 0.3
