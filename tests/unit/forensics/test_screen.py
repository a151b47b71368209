from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import encode
from trueclaim.forensics import screen
from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.errors import InvalidParameter
from trueclaim.forensics.types import CaseContext, Finding, Severity


def _run(data: bytes, **options: object) -> list[Finding]:
    item = Item(0, "evidence", data, analysis_max_side=1024)
    case = Case(evidence=(item,), references=(), context=CaseContext(), cache={})
    return list(screen.detect(case, options))


SCREENSHOT_CODES = ("screenshot", "screenshot-of-photo")


def _flagged(findings: list[Finding], code: str) -> bool:
    codes = SCREENSHOT_CODES if code == "screenshot" else (code,)
    return any(f.code in codes and f.severity.rank >= Severity.MEDIUM.rank for f in findings)


def _phone_frame(content: np.ndarray, *, width: int = 1080, height: int = 2400) -> np.ndarray:
    """A phone screenshot: status bar (clock left, icons right), content, navigation bar."""
    screen_px = np.full((height, width, 3), 246, np.uint8)
    bar = 90
    screen_px[:bar] = (250, 250, 250)
    screen_px[30:62, 40:150] = 20  # clock
    screen_px[32:60, 880:920] = 20  # signal
    screen_px[32:60, 940:1040] = 20  # battery
    screen_px[-130:] = (255, 255, 255)
    screen_px[-90:-40, 515:565] = 60  # home button
    screen_px[-90:-40, 180:230] = 60
    screen_px[-90:-40, 850:900] = 60
    ch, cw = content.shape[:2]
    f = width / cw
    resized = np.asarray(Image.fromarray(content).resize((width, round(ch * f))))
    y = bar + 40
    screen_px[y : y + resized.shape[0]] = resized[: height - 130 - y]
    return screen_px


def test_phone_screenshot_with_bars_is_flagged(photo: np.ndarray) -> None:
    shot = _phone_frame(photo)
    findings = _run(encode(shot, "PNG"), recapture=False)
    assert _flagged(findings, "screenshot")
    f = next(f for f in findings if f.code == "screenshot-of-photo")  # a photo in app chrome
    assert f.data["status_bar"] and f.data["device_size"]
    assert "screenshot" in f.message_en and f.message_zh
    box = f.regions[0]  # the photo: below the status bar, full width
    assert 90 <= box.y <= 200 and box.width >= 700 and box.height >= 500


def test_listing_photo_framed_as_jpeg_screenshot_is_flagged(photo: np.ndarray) -> None:
    shot = _phone_frame(photo, width=1170, height=2532)
    assert _flagged(_run(encode(shot, "JPEG", quality=90), recapture=False), "screenshot")


def test_camera_photo_is_not_a_screenshot(photo: np.ndarray) -> None:
    findings = _run(encode(photo, "JPEG", quality=92))
    assert not _flagged(findings, "screenshot")
    assert not _flagged(findings, "screen-recapture")


def test_flat_ui_page_is_flagged() -> None:
    ui = np.full((900, 1200, 3), 255, np.uint8)
    ui[:70] = (24, 119, 242)  # app header
    rng = np.random.default_rng(3)
    for row in range(120, 860, 36):  # lines of "text"
        n = int(rng.integers(20, 60))
        for x in rng.integers(40, 1100, n):
            ui[row : row + 14, x : x + 8] = 40
    findings = _run(encode(ui, "PNG"), recapture=False)
    assert _flagged(findings, "screenshot")
    assert [f.code for f in findings] == ["screenshot"]  # an app page, not a framed photo


def test_blank_or_underexposed_frame_is_not_a_screenshot(photo: np.ndarray) -> None:
    blank = np.full((600, 800, 3), 128, np.uint8)  # a placeholder: flat because empty
    blank[100:104, 200:204] = 255
    findings = _run(encode(blank, "JPEG", quality=95), recapture=False)
    assert not _flagged(findings, "screenshot")
    assert findings[0].data["contrast"] < screen.BLANK_CONTRAST
    dark = (photo.astype(np.float32) * 0.12).astype(np.uint8)  # clipped blacks, little else
    dark[dark < 6] = 0
    assert not _flagged(_run(encode(dark, "JPEG", quality=92), recapture=False), "screenshot")
    # The same flat grey with a page of UI on it is a screenshot again.
    ui = blank.copy()
    for row in range(60, 560, 40):
        ui[row : row + 14, 40:700:12] = 20
        ui[row : row + 14, 41:700:12] = 20
    assert _flagged(_run(encode(ui, "PNG"), recapture=False), "screenshot")


def _text_page(*, angle_deg: float = 0.0) -> np.ndarray:
    """A page of text lines on a JPEG-noisy background, optionally turned by ``angle_deg``."""
    from PIL import ImageDraw, ImageFont

    rng = np.random.default_rng(0)
    page = Image.new("RGB", (720, 900), (244, 244, 244))
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=26)
    words = ["order", "delivered", "refund", "parcel", "courier", "status", "tracking"]
    for i in range(14):
        draw.text((40, 40 + i * 60), " ".join(rng.choice(words, 4)), fill=(30, 30, 30), font=font)
    noisy = np.asarray(page).astype(np.int16) + rng.integers(-2, 3, (900, 720, 3))
    px = np.clip(noisy, 0, 255).astype(np.uint8)
    if angle_deg:
        m = cv2.getRotationMatrix2D((360, 450), angle_deg, 1.0)
        px = cv2.warpAffine(px, m, (720, 900), borderValue=(244, 244, 244))
    return px


def test_level_text_page_is_a_screenshot_but_tilted_text_is_not() -> None:
    level = _run(encode(_text_page(), "JPEG", quality=90), recapture=False)
    assert _flagged(level, "screenshot")
    assert level[0].data["column_text"] and "lines of text" in level[0].message_en
    assert level[0].data["text_aligned"] >= 3
    tilted = _run(encode(_text_page(angle_deg=7.0), "JPEG", quality=90), recapture=False)
    assert not _flagged(tilted, "screenshot")  # a page photographed at an angle: labels, not UI
    assert not _run(encode(_text_page(), "JPEG", quality=90), recapture=False, text=False)


def _centred_label(words: list[str]) -> np.ndarray:
    """Packaging photographed square-on: level lines of different lengths, centred."""
    from PIL import ImageDraw, ImageFont

    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:900, 0:720]
    shade = 200 + 30 * np.sin(xx / 97.0) * np.cos(yy / 131.0)  # a lit carton, not flat UI
    base = np.dstack([shade, shade * 0.9, shade * 0.7]) + rng.normal(0, 3, (900, 720, 3))
    page = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(page)
    for i, word in enumerate(words):
        font = ImageFont.load_default(size=36)
        width = draw.textlength(word, font=font)
        draw.text(((720 - width) / 2, 60 + i * 110), word, fill=(20, 40, 120), font=font)
    return np.asarray(page)


def test_centred_level_labels_are_not_a_page_of_text() -> None:
    words = ["ORGANIC", "whole milk", "3.5% fat", "1 litre", "keep refrigerated", "best before"]
    from trueclaim.forensics.screen_cues import text_layout

    pixels = _centred_label(words)
    layout = text_layout(pixels)  # level lines, as on a page, but not in a column
    assert layout.lines >= 5 and layout.level_fraction >= 0.8 and layout.aligned_lines < 3
    label = _run(encode(pixels, "JPEG", quality=90), recapture=False)
    assert not _flagged(label, "screenshot")
    page = _run(encode(_text_page(), "JPEG", quality=90), recapture=False)
    assert _flagged(page, "screenshot")


def _features(**cues: object) -> screen.ScreenFeatures:
    """Screen features with no cue set, but those given."""
    base: dict[str, object] = {
        "ui_flat_fraction": 0.0,
        "status_bar": False,
        "navigation_bar": False,
        "device_size": False,
        "camera_exif": False,
        "moire_peak": 0.0,
        "moire_consistency": 0.0,
    }
    return screen.ScreenFeatures(**{**base, **cues})  # type: ignore[arg-type]


def test_a_caption_over_a_picture_is_not_a_page() -> None:
    def feats(**kw: object) -> screen.ScreenFeatures:
        # level lines in a column, no flat UI colour, no bars, not a device size
        cues = {"text_lines": 6, "text_area": 0.13, "level_text": True, "column_text": True}
        return _features(**{**cues, "text_level": 1.0, "text_aligned": 4, **kw})

    flag = screen.ScreenParams().flag_score
    assert 0.3 <= screen.screenshot_score(feats()) < flag  # a captioned photo: a low note
    assert screen.screenshot_score(feats(text_lines=14)) >= flag  # a page of text
    assert screen.screenshot_score(feats(text_area=0.4)) >= flag  # large text fills the frame
    assert screen.screenshot_score(feats(ui_flat_fraction=0.2)) >= flag  # text in app chrome
    assert screen.screenshot_score(feats(device_size=True)) >= flag


def test_text_over_local_moire_is_a_recapture() -> None:
    def feats(**kw: object) -> screen.ScreenFeatures:
        # one window with a strong peak, but not across the frame; lines of text
        return _features(**{"moire_peak": 2.2, "moire_consistency": 1.3, "text_lines": 8, **kw})

    assert screen.recapture_score(feats()) >= 0.5
    assert screen.recapture_score(feats(text_lines=0)) == 0.0  # a regular texture alone
    assert screen.recapture_score(feats(moire_peak=1.6)) == 0.0  # text alone: labels
    assert screen.recapture_score(feats(greyscale=True)) == 0.0
    assert screen.recapture_score(feats(level_text=True)) == 0.0  # rendered text: a screenshot


def test_simulated_moire_is_a_recapture(photo: np.ndarray) -> None:
    base = np.asarray(Image.fromarray(photo).resize((1024, 680))).astype(np.float32)
    yy, xx = np.mgrid[: base.shape[0], : base.shape[1]]
    grating = 12.0 * np.sin(2 * np.pi * (xx * 0.23 + yy * 0.11))
    moire = np.clip(base + grating[..., None], 0, 255).astype(np.uint8)
    findings = _run(encode(moire, "JPEG", quality=92))
    assert _flagged(findings, "screen-recapture")
    clean = _run(encode(base.astype(np.uint8), "JPEG", quality=92))
    assert not any(f.code == "screen-recapture" for f in clean)


def test_one_moire_frequency_in_separate_parts_is_a_recapture(photo: np.ndarray) -> None:
    from trueclaim.forensics.screen_cues import moire_strength

    base = np.asarray(Image.fromarray(photo).resize((1024, 680))).astype(np.float32)
    yy, xx = np.mgrid[: base.shape[0], : base.shape[1]]

    def patches(fx2: float, fy2: float) -> np.ndarray:
        # a faint grating in the top-left and bottom-right quarters only
        out = base.copy()
        first = 7.0 * np.sin(2 * np.pi * (xx * 0.23 + yy * 0.11))
        second = 7.0 * np.sin(2 * np.pi * (xx * fx2 + yy * fy2))
        out[:300, :420] += first[:300, :420, None]
        out[380:, 600:] += second[380:, 600:, None]
        return np.clip(out, 0, 255).astype(np.uint8)

    same = moire_strength(patches(0.23, 0.11))
    assert same.repeat >= 2 and same.consistency < 1.55  # two windows of five: no median
    assert screen.recapture_score(_features(moire_repeat=same.repeat)) >= 0.5
    # A real texture changes frequency across the frame (perspective): no repeat.
    assert moire_strength(patches(0.31, 0.05)).repeat < 2
    assert moire_strength(base.astype(np.uint8)).repeat < 2
    assert screen.recapture_score(_features(moire_repeat=2, greyscale=True)) == 0.0


def _screen_on_desk(photo: np.ndarray, *, bezel_noise: float, seed: int = 0) -> np.ndarray:
    """A display photographed slightly askew: desk, a dark bezel, the lit picture inside."""
    rng = np.random.default_rng(seed)
    h, w = 900, 1200
    desk = rng.normal(150, 18, (h, w, 3))
    desk = cv2.GaussianBlur(desk, (0, 0), 2)
    frame = np.zeros((h, w), np.float32)
    cv2.rectangle(frame, (60, 80), (1140, 820), 1.0, -1)  # bezel outline
    bezel = rng.normal(6, bezel_noise, (h, w, 1)) if bezel_noise else np.zeros((h, w, 1))
    pic = np.asarray(Image.fromarray(photo).resize((1000, 660))).astype(np.float64)
    pic = 60.0 + 0.75 * pic  # a lit panel: its blacks glow
    canvas = np.where(frame[..., None] > 0, bezel, desk)
    canvas[120:780, 100:1100] = pic
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), 3.0, 1.0)
    out = cv2.warpAffine(canvas.astype(np.float32), rot, (w, h), borderMode=cv2.BORDER_REFLECT)
    return np.clip(out, 0, 255).astype(np.uint8)


def test_display_bezel_is_a_recapture_cue(photo: np.ndarray) -> None:
    from trueclaim.forensics.screen_cues import screen_bezel

    shot = _screen_on_desk(photo, bezel_noise=5.0)
    assert screen_bezel(shot) >= 0.35
    findings = _run(encode(shot, "JPEG", quality=92))
    rec = [f for f in findings if f.code == "screen-recapture"]
    assert rec and rec[0].severity.rank >= Severity.MEDIUM.rank
    assert "bezel" in rec[0].message_en and rec[0].data["bezel"] >= 0.35
    # the picture alone has no bezel; a rendered black border (exactly flat) is not one
    assert screen_bezel(photo) == 0.0
    assert screen_bezel(_screen_on_desk(photo, bezel_noise=0.0)) == 0.0


def test_a_bezel_edge_broken_by_dark_picture_is_joined() -> None:
    from trueclaim.forensics.screen_cues import _longest_edge

    # three pieces of one slightly tilted line (two overlapping), and one parallel line 9 px off
    pieces = [
        (10.0, 50.0, 150.0, 52.0, 512.0),
        (140.0, 51.9, 260.0, 53.6, 512.0),
        (330.0, 54.6, 480.0, 56.8, 512.0),
        (200.0, 62.0, 400.0, 65.0, 512.0),
    ]
    joined = _longest_edge(pieces, tol_px=5.12)
    assert joined == pytest.approx((250 + 150) / 512, abs=0.01)  # overlaps count once
    assert _longest_edge(pieces[3:], tol_px=5.12) == pytest.approx(200 / 512, abs=0.01)
    # a vertical piece never joins a horizontal line, even through a shared point
    cross = _longest_edge([pieces[0], (60.0, 0.0, 61.0, 300.0, 512.0)], tol_px=5.12)
    assert cross == pytest.approx(300 / 512, abs=0.01)


def test_bezel_counts_only_on_a_photo() -> None:
    def feats(**kw: object) -> screen.ScreenFeatures:
        cues = {"camera_exif": True, "moire_peak": 1.4, "moire_consistency": 1.3, "bezel": 0.6}
        return _features(**{**cues, **kw})

    assert screen.recapture_score(feats()) >= 0.5
    assert screen.recapture_score(feats(bezel=0.0)) == 0.0
    assert screen.recapture_score(feats(ui_flat_fraction=0.3)) == 0.0  # app chrome
    assert screen.recapture_score(feats(greyscale=True)) == 0.0
    # a weak moiré note inside a bezel says more than either
    weak = screen.recapture_score(feats(bezel=0.0, moire_consistency=1.7))
    assert screen.recapture_score(feats(moire_consistency=1.7)) > max(weak, 0.55)


def test_png_without_camera_data_is_a_low_note(photo: np.ndarray) -> None:
    png = _run(encode(photo, "PNG"), recapture=False)
    assert [(f.code, f.severity) for f in png] == [("png-without-camera-data", Severity.LOW)]
    assert "PNG" in png[0].message_en and png[0].message_zh
    assert _run(encode(photo, "JPEG", quality=90), recapture=False) == []


def test_device_sizes_both_orientations() -> None:
    assert screen.is_device_size(1080, 2400) and screen.is_device_size(2400, 1080)
    assert not screen.is_device_size(4032, 3024)
    assert not screen.is_device_size(1024, 768)  # a camera size too
    # A 16:9 or 16:10 photo sent through a chat app (long side 1280) is no screenshot.
    assert not screen.is_device_size(1280, 720) and not screen.is_device_size(800, 1280)


def test_camera_exif_is_recognised(photo: np.ndarray) -> None:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS 5D"
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, format="JPEG", exif=exif.tobytes())
    raw = Image.open(io.BytesIO(buf.getvalue())).info["exif"]
    assert screen.has_camera_exif(raw)
    assert not screen.has_camera_exif(None)
    assert not screen.has_camera_exif(b"garbage")


def test_a_snipped_strip_is_a_screenshot(photo: np.ndarray) -> None:
    # One line cut out of a terminal: light text on a dark, not quite flat background.
    rng = np.random.default_rng(0)
    line = np.clip(rng.normal(30, 4, (60, 900, 3)), 0, 255).astype(np.uint8)
    for x in range(10, 880, 14):
        cv2.putText(line, "a", (x, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (220, 220, 220), 1)
    for fmt in ("PNG", "JPEG"):
        found = [f for f in _run(encode(line, fmt)) if f.code == "screenshot"]
        assert found and found[0].severity.rank >= Severity.MEDIUM.rank
        assert found[0].data["strip"] and "strip" in found[0].message_en
    # the whole photo is not a strip; a strip that names a camera is left alone
    assert not _flagged(_run(encode(photo, "JPEG", quality=90)), "screenshot")
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "EOS 5D"
    buf = io.BytesIO()
    Image.fromarray(line).save(buf, format="JPEG", exif=exif.tobytes())
    assert not _flagged(_run(buf.getvalue()), "screenshot")


def test_unknown_option_is_refused(photo: np.ndarray) -> None:
    with pytest.raises(InvalidParameter, match="flag_scor"):
        _run(encode(photo), flag_scor=0.2)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _rate(files: list[Path], code: str) -> float:
    hits = 0
    for p in files:
        hits += _flagged(_run(p.read_bytes(), recapture=(code == "screen-recapture")), code)
    return hits / len(files)


@pytest.mark.shared_data
def test_real_screenshots_are_mostly_flagged(shared_data: Path) -> None:
    # measured 0.87 on the development set (benchmarks/screen_rates.py); margin below
    assert _rate(_files(shared_data / "screens" / "screenshots"), "screenshot") >= 0.75


@pytest.mark.shared_data
def test_ordinary_photos_are_not_screenshots(shared_data: Path) -> None:
    assert _rate(_files(shared_data / "screens" / "photos"), "screenshot") <= 1 / 23


@pytest.mark.shared_data
def test_camera_photos_with_camera_exif_are_not_screenshots(shared_data: Path) -> None:
    flagged = []
    for p in _files(shared_data / "camera"):
        item = Item(0, "evidence", p.read_bytes(), analysis_max_side=1024)
        if not item.ok or not screen.has_camera_exif(item.analysis.info.get("exif")):
            continue
        if _flagged(_run(p.read_bytes(), recapture=False), "screenshot"):
            flagged.append(p.name)
    assert flagged == []


@pytest.mark.shared_data
def test_ordinary_and_shop_photos_are_not_recaptures(shared_data: Path) -> None:
    photos = _files(shared_data / "screens" / "photos")
    shop = sorted((shared_data / "grocery").glob("*/photos/*"))[::17]
    # measured: 1 of 23 ordinary photos (regular foliage) and ~1 % of shop photos
    assert _rate(photos, "screen-recapture") <= 2 / 23
    assert _rate(shop, "screen-recapture") <= 0.03


@pytest.mark.shared_data
def test_some_real_recaptures_are_flagged(shared_data: Path) -> None:
    files = _files(shared_data / "screens" / "recaptured")[::2]
    hits = sum(
        any(f.severity.rank >= Severity.MEDIUM.rank for f in _run(p.read_bytes())) for p in files
    )
    # measured 0.83 over the folder (moiré 0.22, bezel 0.22, the rest by PNG, text or
    # screen-size files)
    assert hits >= 0.5 * len(files)


def test_no_ocr_options_keep_the_text_cue_off() -> None:
    from trueclaim.forensics import EngineParams, verify
    from trueclaim.forensics.params import NO_OCR

    page = encode(_text_page(), "JPEG", quality=90)
    report = verify([page], [], params=EngineParams(detector_options=NO_OCR))
    shots = [f for f in report.findings if f.detector == "screen"]
    assert all(f.data.get("text_lines") == 0 for f in shots)
    with_ocr = verify([page], [])
    assert any(f.data.get("level_text") for f in with_ocr.findings if f.detector == "screen")


def test_a_few_straight_edges_in_a_png_photo_are_not_ui() -> None:
    """A PNG without camera data: a handful of long straight edges is a photo of a room or a
    shelf (saved by a markup tool), many of them or flat UI colour is rendered UI."""
    flag = screen.ScreenParams().flag_score

    def score(**kw: object) -> float:
        return screen.screenshot_score(_features(png=True, contrast=50.0, **kw))

    assert score(straight_lines=4) < flag
    assert score(straight_lines=screen.UI_LINES) >= flag
    assert score(ui_flat_fraction=0.1) >= flag
    assert screen.screenshot_score(_features(contrast=50.0, straight_lines=6)) < flag  # JPEG
