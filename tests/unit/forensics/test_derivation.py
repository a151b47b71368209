"""The derivation detector end to end: built forgeries, unrelated photos, real pairs."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from tests.conftest import encode, one_evidence_case
from trueclaim.forensics import EngineParams, InvalidParameter, verify
from trueclaim.forensics import derivation as D
from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.derivation import detect
from trueclaim.forensics.framing import find_content_box
from trueclaim.forensics.matching import extract_features, fit_homography
from trueclaim.forensics.types import Report, resize_mask

ONLY = EngineParams(detectors=("derivation",))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    b = resize_mask(b, a.shape)
    return float((a & b).sum() / max(1, (a | b).sum()))


def _listing() -> np.ndarray:
    """A real photo, enlarged to listing size."""
    return cv2.resize(
        np.ascontiguousarray(data.chelsea()), (902, 600), interpolation=cv2.INTER_CUBIC
    )


def _paint_damage(photo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A dark branching crack and a stain, soft-edged like an AI brush; returns image and mask."""
    alpha = np.zeros(photo.shape[:2], np.float32)
    rng = np.random.default_rng(7)
    pts = [(250, 380)]
    for _ in range(12):
        x, y = pts[-1]
        pts.append((x + int(rng.integers(6, 24)), y + int(rng.integers(-14, 14))))
    for a, b in itertools.pairwise(pts):
        cv2.line(alpha, a, b, 1.0, 4)
    cv2.line(alpha, pts[5], (pts[5][0] + 20, pts[5][1] + 40), 1.0, 3)
    cv2.circle(alpha, (600, 200), 32, 0.8, -1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 1.2)[..., None]
    out = (photo * (1 - 0.75 * alpha)).clip(0, 255).astype(np.uint8)
    mask = np.abs(out.astype(int) - photo).max(axis=2) >= 3
    return out, mask


def _evade(img: np.ndarray, mask: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Crop, rescale, mirror, colour filter, phone-screenshot framing, recompression."""
    img, mask = img[40:560, 60:840], mask[40:560, 60:840]
    img = cv2.resize(img, (624, 416), interpolation=cv2.INTER_AREA)
    mask = cv2.resize(mask.astype(np.uint8), (624, 416), interpolation=cv2.INTER_NEAREST) > 0
    img, mask = np.ascontiguousarray(img[:, ::-1]), np.ascontiguousarray(mask[:, ::-1])
    img = (img.astype(np.float32) * [1.08, 1.0, 0.9] + 8).clip(0, 255).astype(np.uint8)
    canvas = np.full((1100, 624, 3), 246, np.uint8)
    canvas[:44] = 25
    cv2.putText(
        canvas, "12:30   4G  87%", (12, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2
    )
    canvas[-70:] = 235
    cv2.putText(
        canvas, "Share   Edit   Delete", (40, 1070), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (40, 40, 40), 1
    )
    canvas[300:716] = img
    full = np.zeros(canvas.shape[:2], bool)
    full[300:716] = mask
    return encode(canvas, "JPEG", quality=82), full


def _codes(report: Report) -> set[str]:
    return {f.code for f in report.findings}


def test_painted_damage_through_evasions_is_derived_with_local_edit() -> None:
    listing = _listing()
    damaged, truth = _paint_damage(listing)
    evidence, truth = _evade(damaged, truth)
    others = [
        encode(np.ascontiguousarray(data.astronaut())),
        encode(np.ascontiguousarray(data.coffee())),
    ]
    report = verify([evidence], [*others, encode(listing, "JPEG", quality=92)], params=ONLY)
    assert {"derived-from-reference", "derived-with-local-edit"} <= _codes(report)
    edit = next(f for f in report.findings if f.code == "derived-with-local-edit")
    assert edit.reference_index == 2
    assert edit.data["transform"]["mirrored"] and edit.data["transform"]["screenshot"]
    assert _iou(truth, report.localization(0)) >= 0.6
    assert edit.message_zh and "reference photo 3" in edit.message_en
    for region in edit.regions:  # original pixels, inside the image
        assert region.x >= 0 and region.x + region.width <= 624 + 1
        assert region.y >= 0 and region.y + region.height <= 1100 + 1


def test_reference_itself_resubmitted_is_derived_unedited() -> None:
    listing = _listing()
    evidence = encode(np.ascontiguousarray(listing[30:570, 50:850]), "JPEG", quality=70)
    report = verify([evidence], [encode(listing, "JPEG", quality=92)], params=ONLY)
    assert _codes(report) == {"derived-from-reference", "derived-unedited"}
    derived = next(f for f in report.findings if f.code == "derived-from-reference")
    assert derived.data["transform"]["cropped"]


def test_a_captioned_copy_names_the_caption_and_keeps_it_out_of_the_edit() -> None:
    from PIL import Image, ImageDraw, ImageFont

    listing = _listing()
    damaged, truth = _paint_damage(listing)
    canvas = Image.fromarray(damaged)
    ImageDraw.Draw(canvas).text(
        (560, 480),
        "damaged",
        fill=(250, 220, 0),
        font=ImageFont.load_default(size=44),
        stroke_width=3,
        stroke_fill=(0, 0, 0),
    )
    evidence = encode(np.asarray(canvas), "JPEG", quality=90)
    report = verify([evidence], [encode(listing, "JPEG", quality=92)], params=ONLY)
    edit = next(f for f in report.findings if f.code == "derived-with-local-edit")
    ((x, y, w, h),) = edit.data["captions"]  # original pixels
    assert 540 <= x <= 570 and 470 <= y <= 500 and 150 <= w <= 260 and h <= 70
    assert "Text written over the photo (1 line(s))" in edit.message_en
    assert "照片上另写的文字" in edit.message_zh
    mask = report.localization(0)
    assert not mask[480:540, 560:760].any(), "the caption is marked as damage"
    assert _iou(truth, mask) >= 0.6


def test_unrelated_photo_gives_no_finding() -> None:
    report = verify(
        [encode(np.ascontiguousarray(data.rocket()))],
        [encode(_listing()), encode(np.ascontiguousarray(data.astronaut()))],
        params=ONLY,
    )
    assert not report.findings


def test_cache_holds_the_matches_for_other_detectors() -> None:
    listing = _listing()
    case = one_evidence_case(
        encode(listing[::2, ::2].copy(), "JPEG", quality=90),
        [encode(np.ascontiguousarray(data.coffee())), encode(listing)],
    )
    detect(case, {})
    result = case.cache["derivation"]["evidence"][0]
    assert result.derived and result.best_reference == 1
    assert result.matches[1].found and result.matches[1].homography.shape == (3, 3)
    assert set(case.cache["derivation"]["references"]) == {0, 1}


def test_unknown_option_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="Unknown derivation option"):
        detect(one_evidence_case(encode(_listing()), [encode(_listing())]), {"no_such_option": 1})


def _pair(shared_data: Path, evidence: str, reference: str) -> tuple[bytes, bytes]:
    folder = shared_data / "pairs"
    return (folder / evidence).read_bytes(), (folder / reference).read_bytes()


@pytest.mark.shared_data
def test_box_photographed_in_a_scene_is_not_derived(shared_data: Path) -> None:
    evidence, reference = _pair(shared_data, "box_in_scene.png", "box.png")
    assert not verify([evidence], [reference], params=ONLY).findings


@pytest.mark.shared_data
def test_real_tamper_pair_is_derived_and_the_mask_covers_the_edit(shared_data: Path) -> None:
    evidence, reference = _pair(shared_data, "ela_modified.jpg", "ela_original.jpg")
    report = verify([evidence], [reference], params=ONLY)
    assert "derived-with-local-edit" in _codes(report)
    # The true edit from the pair itself: align the original onto the modified photo, keep
    # what differs strongly, drop specks.
    ev = decode_image(evidence).pixels
    ref = decode_image(reference).pixels
    match = fit_homography(extract_features(ref), extract_features(ev))
    warped = cv2.warpPerspective(ref, match.homography, (ev.shape[1], ev.shape[0]))
    diff = cv2.GaussianBlur(np.abs(warped.astype(np.float32) - ev).max(axis=2), (0, 0), 2.0)
    inside = cv2.warpPerspective(
        np.ones(ref.shape[:2], np.uint8), match.homography, (ev.shape[1], ev.shape[0])
    )
    inside = cv2.erode(inside, np.ones((31, 31), np.uint8)) > 0  # where the original reaches
    truth = (
        cv2.morphologyEx((diff > 40).astype(np.uint8), cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))
        > 0
    )
    truth &= inside
    predicted = resize_mask(report.localization(0), truth.shape)
    assert truth.sum() > 2000
    assert (predicted & truth).sum() / truth.sum() >= 0.8  # the mask covers the edit


@pytest.mark.shared_data
def test_planar_wall_seen_from_another_viewpoint(shared_data: Path) -> None:
    """graf3 is a second photo of the flat graffiti wall of graf1, from about 40 degrees aside.

    A flat scene under a pure viewpoint change is, pixel for pixel, a perspective warp of the
    first photo: one homography explains the part both photos see, windows correlate and
    nothing moves once aligned. What tells it from a warped copy is the rest of the frame:
    graf3 goes on past graf1's edges with more of the wall, which no copy of graf1 can show
    (``derivation._beyond_reference``). Without that rule it reads as a derived copy with a
    perspective warp. A slanted copy, which shows nothing past the reference's edges, stays
    derived (``test_derivation_beyond.py``).
    """
    evidence, reference = _pair(shared_data, "graf3.png", "graf1.png")
    assert not verify([evidence], [reference], params=ONLY).findings
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(D, "BEYOND_MIN_SHARE", 2.0)
        report = verify([evidence], [reference], params=ONLY)
    derived = [f for f in report.findings if f.code == "derived-from-reference"]
    assert derived and derived[0].data["transform"]["perspective"] > 0.02


def test_plain_image_without_features_is_still_derived() -> None:
    """A smooth, nearly featureless photo: the framing route compares it as it is."""
    h, w = 480, 640
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    plain = np.dstack([120 + 60 * xx / w, 140 + 40 * yy / h, 160 - 30 * xx / w]).astype(np.uint8)
    cv2.circle(plain, (200, 200), 60, (90, 100, 140), -1)
    plain = cv2.GaussianBlur(plain, (0, 0), 8)
    stained = plain.copy()
    cv2.circle(stained, (420, 300), 40, (60, 50, 40), -1)
    stained = cv2.GaussianBlur(stained, (0, 0), 1)
    report = verify(
        [encode(stained, "JPEG", quality=85)], [encode(plain, "JPEG", quality=95)], params=ONLY
    )
    edit = next(f for f in report.findings if f.code == "derived-with-local-edit")
    assert edit.data["route"] == "content-box"
    truth = np.zeros((h, w), bool)
    cv2.circle(truth.view(np.uint8), (420, 300), 40, 1, -1)
    assert _iou(truth, report.localization(0)) >= 0.6


def test_plain_listing_shot_with_noise_is_compared_frame_to_frame() -> None:
    """A smooth product on white has no features; noise over the evidence hides the white
    border its content box is found by, so the two frames are compared as they are."""
    h, w = 400, 400
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    inside = ((xx - 200) / 130) ** 2 + ((yy - 210) / 100) ** 2 < 1
    shade = (1 - 0.25 * ((xx - 170) ** 2 + (yy - 180) ** 2) / 130**2)[..., None]
    listing = np.full((h, w, 3), 255, np.float32)
    listing[inside] = (np.array([235, 200, 40], np.float32) * shade)[inside]
    listing = cv2.GaussianBlur(listing, (0, 0), 1.5).clip(0, 255).astype(np.uint8)
    stained = listing.copy()
    cv2.circle(stained, (240, 230), 30, (120, 90, 30), -1)
    stained = cv2.GaussianBlur(stained, (0, 0), 1.0)
    noisy = stained + np.random.default_rng(3).normal(0, 6, stained.shape)
    evidence = encode(noisy.clip(0, 255).astype(np.uint8), "PNG")
    ev_rgb, ref_rgb = decode_image(evidence).pixels, listing
    ev_box, ref_box = find_content_box(ev_rgb), find_content_box(ref_rgb)
    assert (ev_box.width, ev_box.height) != (ref_box.width, ref_box.height)
    report = verify([evidence], [encode(listing, "JPEG", quality=95)], params=ONLY)
    assert {"derived-from-reference", "derived-with-local-edit"} <= _codes(report)
    truth = np.zeros((h, w), bool)
    cv2.circle(truth.view(np.uint8), (240, 230), 30, 1, -1)
    assert _iou(truth, report.localization(0)) >= 0.5


def _listing_on_white() -> np.ndarray:
    """A listing shot: a textured product (a real photo, cut to an ellipse) on plain white."""
    h, w = 600, 600
    yy, xx = np.mgrid[0:h, 0:w]
    inside = ((xx - 300) / 200) ** 2 + ((yy - 320) / 230) ** 2 < 1
    product = cv2.resize(np.ascontiguousarray(data.chelsea()), (w, h))
    listing = np.full((h, w, 3), 255, np.uint8)
    listing[inside] = product[inside]
    return listing


def _framed_screenshot(listing: np.ndarray, chrome: int) -> tuple[bytes, tuple[int, int]]:
    """The listing, scaled to a 540-pixel-wide phone screen between bars of grey ``chrome``;
    the screen shows it from its 20th row (the app scrolled it). Returns the file and the rows
    the photo takes."""
    photo = cv2.resize(listing, (540, 540), interpolation=cv2.INTER_AREA)[18:]
    canvas = np.full((1100, 540, 3), chrome, np.uint8)
    top = 300
    canvas[top : top + photo.shape[0]] = photo
    return encode(canvas, "JPEG", quality=90), (top, top + photo.shape[0])


@pytest.mark.parametrize("chrome", [20, 250])
def test_a_listing_on_white_inside_app_chrome_is_compared_inside_the_photo(
    chrome: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The evidence's chrome is stripped, but not the listing's own white margins.

    A listing shot's white border may hold a chunk "missing" from the product, so the
    evidence's plain margins stay in the comparison; chrome of another colour (a dark app
    bar) is stripped, or the reference's rows the screenshot cut off would be compared with
    the bar. Chrome as white as the listing cannot be told from it: the footprint alone
    bounds the comparison then.
    """
    from trueclaim.forensics import derivation

    listing = _listing_on_white()
    stained = listing.copy()
    cv2.circle(stained, (330, 360), 40, (90, 60, 30), -1)
    evidence, (top, bottom) = _framed_screenshot(stained, chrome)
    frames: list[tuple[int, int, int, int] | None] = []
    localize = derivation.localize_changes

    def spy(*args: object, **kwargs: object) -> object:
        frames.append(kwargs.get("content"))  # type: ignore[arg-type]
        return localize(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(derivation, "localize_changes", spy)
    report = verify([evidence], [encode(listing, "JPEG", quality=95)], params=ONLY)
    assert {"derived-from-reference", "derived-with-local-edit"} <= _codes(report)
    if chrome == 250:
        assert frames[0] is None
        return
    assert frames[0] is not None
    _x, y, _w, h = frames[0]
    scale = 1024 / 1100  # the analysis decode's
    # Down to the photo's first row (its white margin), not into the bar, and not beyond.
    assert abs(y - top * scale) <= 4 and abs(y + h - bottom * scale) <= 4
    mask = resize_mask(report.localization(0), (1100, 540))
    assert not mask[:top].any() and not mask[bottom:].any()


def test_a_copy_with_only_an_arrow_drawn_on_it_is_unedited_and_the_mark_is_named() -> None:
    """An arrow is no edit of the goods: the copy is the listing itself, and the finding names
    the mark (in the original's pixels) in both languages."""
    listing = _listing()
    pointed = listing.copy()
    cv2.arrowedLine(pointed, (120, 520), (300, 380), (230, 30, 40), 12, tipLength=0.35)
    report = verify([encode(pointed, "PNG")], [encode(listing, "JPEG", quality=95)], params=ONLY)
    assert {"derived-from-reference", "derived-unedited"} <= _codes(report)
    found = next(f for f in report.findings if f.code == "derived-unedited")
    ((x, y, w, h),) = found.data["marks"]
    assert x <= 125 and y <= 385 and x + w >= 295 and y + h >= 515
    assert "mark(s) drawn over the photo" in found.message_en and "标记" in found.message_zh
