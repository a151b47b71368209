"""The screen detector: a screenshot, or a photo of a screen, instead of a photo of the goods.

Two questions, each answered from simple physical cues on the shared analysis pixels:

*Screenshot* (code ``screenshot``): rendered pixels, not light through a lens. Cues are
large areas of exactly one colour (a camera sensor never produces them: noise and
demosaicing make every block differ a little), many lines of text set exactly level with
the pixel grid and in columns (app and web pages; a photo holds a few labels at the camera's
angle, packaging photographed square-on holds level lines centred or scattered, and a few
level lines over a picture with no UI around them are a caption or a poster's title), a
status bar at the top and a navigation bar at the bottom (a uniform band holding small
high-contrast glyphs at both ends), a pixel size that is exactly a common screen size while
the file carries no camera EXIF, and a PNG container without camera EXIF together with some
UI structure (cameras write JPEG or HEIC; screenshot tools, editors and generators write
PNG). A blank or underexposed frame (grey-level deviation under ``BLANK_CONTRAST``) is flat
because it is empty or its blacks are clipped, so its flat areas give a ``low`` note at most.
Camera EXIF (make, model, exposure) or a TIFF container halves the score. A PNG without
camera EXIF and without any other cue gets its own ``low`` note, ``png-without-camera-data``
(edited photos are PNGs too).

*Photo of a screen* (code ``screen-recapture``): a camera sampling a pixel grid makes
moiré, i.e. isolated periodic peaks in the high-pass spectrum that repeat across the frame;
a strong peak in one window counts too when the file (no camera EXIF) shows lines of text.
Peaks are measured in five windows of the full-resolution decode, excluding the JPEG
block-grid frequencies and the spectrum's axes (straight edges); the median window counts,
so the pattern must cover most of the frame. One strong peak frequency found again in a
window that does not overlap the first counts too (a display's beat recurs across it; a real
texture changes frequency with perspective), as does a display's dark bezel along a border.

A screenshot whose content (UI bars and borders stripped) is a camera-like photo is reported
as ``screenshot-of-photo`` with the photo's box: a buyer showing a gallery photo, or a
listing photo screenshotted from the shop (the derivation detector tells which).

Scores are the detector's confidence; ``screenshot`` at >= ``flag_score`` is a medium
finding (high from 0.85), ``screen-recapture`` likewise; scores in [0.3, flag_score) are
``low`` notes (one weak cue alone); under 0.3 nothing is emitted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import cv2
import numpy as np

from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.errors import InvalidParameter
from trueclaim.forensics.framing import find_content_box
from trueclaim.forensics.screen_cues import (
    Moire,
    detect_bars,
    moire_strength,
    screen_bezel,
    straight_lines,
    text_layout,
    ui_flat_fraction,
)
from trueclaim.forensics.types import Finding, Region, RGBImage, Severity

__all__ = [
    "BLANK_CONTRAST",
    "CAMERA_EXIF_TAGS",
    "DEVICE_SIZES",
    "ScreenFeatures",
    "ScreenParams",
    "detect",
    "has_camera_exif",
    "is_device_size",
    "measure",
    "recapture_score",
    "screenshot_score",
]

DETECTOR = "screen"
ALGORITHM_VERSION = "screen-8"
# Grey-level standard deviation under which a frame is blank (a placeholder, a lens cap, an
# underexposed shot): its exact-flat areas come from emptiness or clipped blacks, not from UI.
# Screenshots of apps and pages sit above 18 on the development images (text on a background).
BLANK_CONTRAST = 12.0
# EXIF tags that name a camera or an exposure: a file carrying one was written by a camera.
CAMERA_EXIF_TAGS = ("Make", "Model", "ExposureTime", "FNumber")
# A snipping tool cuts one line of an app or a terminal out of the screen: a strip 4:1 or
# longer and under 160 px across. Cameras and phones frame 1:1 to about 21:9; a panorama is
# thousands of pixels wide and carries camera data.
STRIP_ASPECT = 4.0
STRIP_MAX_PX = 160
# Level text in columns is a page (an app, a web page, a document) when it fills the frame:
# this many lines or this share of the area. Fewer lines over a picture, with no flat UI
# colour, bars or device size, are a caption or a poster's title: a low note only. Screenshots
# of pages on the development images hold 7 to 59 lines; captioned photos and posters 6 to 9
# lines over 13-20 % of the frame.
PAGE_LINES = 12
PAGE_AREA = 0.3
# Long pixel-aligned edges (panels, rules, window borders) that count as UI structure. A
# downscaled photo of an interior or a shelf holds a few too (door frames, pillars, shelf
# fronts): 6 of the 84 camera photos of the development images with little flat colour hold 3
# to 5, and an honest photo marked up in an editor is saved as PNG without camera data, so
# even a PNG needs this many. No screenshot there needed fewer.
UI_LINES = 6

# Common screen sizes in physical pixels (portrait width x height; both orientations match).
# Sizes that cameras also produce (640x480, 800x600, 1024x768, 1600x1200, 2048x1536 ...)
# are deliberately absent, and so are 720x1280 and 800x1280: chat apps send photos at a long
# side of 1280, so an honest 16:9 or 16:10 photo arrives at exactly that size.
DEVICE_SIZES: frozenset[tuple[int, int]] = frozenset(
    {
        # phones
        (640, 1136),
        (750, 1334),
        (828, 1792),
        (1125, 2436),
        (1242, 2208),
        (1242, 2688),
        (1080, 2340),
        (1170, 2532),
        (1179, 2556),
        (1284, 2778),
        (1290, 2796),
        (1206, 2622),
        (1320, 2868),
        (720, 1520),
        (720, 1600),
        (1080, 1920),
        (1080, 2160),
        (1080, 2220),
        (1080, 2280),
        (1080, 2310),
        (1080, 2400),
        (1080, 2408),
        (1080, 2412),
        (1080, 2436),
        (1080, 2460),
        (1080, 2520),
        (1096, 2560),
        (1116, 2480),
        (1176, 2400),
        (1220, 2712),
        (1240, 2772),
        (1256, 2760),
        (1260, 2800),
        (1264, 2780),
        (1280, 2800),
        (1440, 2560),
        (1440, 2960),
        (1440, 3040),
        (1440, 3088),
        (1440, 3120),
        (1440, 3168),
        (1440, 3200),
        (1440, 3216),
        # tablets
        (1200, 1920),
        (1200, 2000),
        (1600, 2560),
        (1620, 2160),
        (1640, 2360),
        (1668, 2224),
        (1668, 2388),
        (1488, 2266),
        (2048, 2732),
        (1800, 2880),
        (1840, 2944),
        # desktops and laptops
        (768, 1366),
        (900, 1440),
        (864, 1536),
        (900, 1600),
        (1050, 1680),
        (1080, 1920),
        (1200, 1920),
        (1440, 2560),
        (1600, 2560),
        (1800, 2880),
        (1964, 3024),
        (2234, 3456),
        (1664, 2560),
        (1912, 2940),
        (2160, 3840),
        (1824, 2736),
        (1504, 2256),
        (2000, 3000),
        (1440, 3440),
        (1080, 2560),
        (1600, 3840),
    }
)


@dataclass(frozen=True, slots=True)
class ScreenParams:
    """Options of the screen detector."""

    flag_score: float = 0.5  # findings at or above this are emitted as medium/high
    block_px: int = 4  # block size (analysis pixels) for exact-flatness
    flat_colours: int = 3  # flat area counted for the most common N exact colours
    bar_min_frac: float = 0.018  # status/navigation bar height range, fraction of height
    bar_max_frac: float = 0.075
    spectrum_window_px: int = 256
    recapture: bool = True
    text: bool = True  # detect text lines (OCR detection) when the file names no camera
    text_min_lines: int = 5  # level text counts from this many lines ...
    text_min_level: float = 0.8  # ... when at least this share of them is exactly level
    text_min_aligned: int = 3  # ... and this many level lines start in a shared column


@dataclass(frozen=True, slots=True)
class ScreenFeatures:
    """The measured cues for one image (recorded in findings' ``data``)."""

    ui_flat_fraction: float
    status_bar: bool
    navigation_bar: bool
    device_size: bool
    camera_exif: bool
    moire_peak: float
    moire_consistency: float
    straight_lines: int = 0  # rows/columns holding one sharp step across >= 30 % of the side
    greyscale: bool = False
    tiff: bool = False  # scanners, cameras and publishing tools write TIFF; screenshot tools don't
    png: bool = False  # screenshot tools, editors and generators write PNG; cameras don't
    text_lines: int = 0  # detected text lines (0 when not measured: camera files, TIFF)
    text_area: float = 0.0  # fraction of the image inside text-line boxes
    text_level: float = 0.0  # share of the lines that are level with the pixel grid
    level_text: bool = False  # enough level lines to be a page of text (see ScreenParams)
    text_aligned: int = 0  # level lines that start in a column shared with another line
    column_text: bool = False  # level text set in columns, as pages and apps set it
    contrast: float = 255.0  # standard deviation of the grey levels (blank frames: < 12)
    bezel: float = 0.0  # longest display-bezel edge, fraction of its image side (0: none)
    strip: bool = False  # a thin strip (4:1 or longer, under 160 px across): a snipped UI line
    moire_repeat: int = 0  # windows sharing one strong spectral peak, apart from each other

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def detect(case: Case, options: Mapping[str, Any]) -> Sequence[Finding]:
    """Return screenshot and screen-recapture findings for every evidence image.

    Parameters
    ----------
    case : Case
        The claim; only ``case.evidence`` is examined.
    options : mapping
        Keyword overrides of :class:`ScreenParams`.

    Returns
    -------
    sequence of Finding
    """
    params = _params(options)
    out: list[Finding] = []
    for item in case.evidence:
        if item.analysis is None:
            continue
        feats = measure(item, params)
        out.extend(_findings(item, feats, params))
    return out


def _params(options: Mapping[str, Any]) -> ScreenParams:
    known = {f.name for f in fields(ScreenParams)}
    unknown = set(options) - known
    if unknown:
        raise InvalidParameter(f"Unknown screen option(s) {sorted(unknown)}; use {sorted(known)}.")
    return ScreenParams(**options)


def measure(item: Item, params: ScreenParams = ScreenParams()) -> ScreenFeatures:
    """Measure every screen cue of one evidence item (its analysis pixels must exist)."""
    a = item.analysis
    if a is None:
        raise InvalidParameter(f"Evidence {item.index + 1} has no pixels; decode it first.")
    rgb = a.pixels
    top, bottom = detect_bars(rgb, min_frac=params.bar_min_frac, max_frac=params.bar_max_frac)
    moire, bezel = Moire(0.0, 0.0), 0.0
    if params.recapture:
        bezel = screen_bezel(rgb)
        full = item.full if max(a.width, a.height) > max(rgb.shape[:2]) else a
        pixels = full.pixels if full is not None else rgb
        moire = moire_strength(pixels, window_px=params.spectrum_window_px)
    camera = _camera_metadata(item)
    tiff = a.format == "TIFF"
    lines, area, level, aligned = 0, 0.0, 0.0, 0
    if params.text and not camera and not tiff and a.width * a.height >= 12_000:
        layout = text_layout(rgb)
        lines, area, level = layout.lines, layout.area_fraction, layout.level_fraction
        aligned = layout.aligned_lines
    level_text = lines >= params.text_min_lines and level >= params.text_min_level
    return ScreenFeatures(
        ui_flat_fraction=ui_flat_fraction(
            rgb, block_px=params.block_px, n_colours=params.flat_colours
        ),
        status_bar=top,
        navigation_bar=bottom,
        device_size=is_device_size(a.width, a.height),
        camera_exif=camera,
        moire_peak=moire.peak,
        moire_consistency=moire.consistency,
        moire_repeat=moire.repeat,
        straight_lines=straight_lines(rgb),
        tiff=tiff,
        png=a.format == "PNG",
        text_lines=lines,
        text_area=area,
        text_level=level,
        level_text=level_text,
        text_aligned=aligned,
        column_text=level_text and aligned >= params.text_min_aligned,
        greyscale=bool(
            np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2])
        ),
        contrast=float(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).std()),
        bezel=bezel,
        strip=max(a.width, a.height) >= STRIP_ASPECT * min(a.width, a.height)
        and min(a.width, a.height) < STRIP_MAX_PX,
    )


def _camera_metadata(item: Item) -> bool:
    """Camera make/model/exposure in the file, from the metadata reader or the raw EXIF."""
    try:
        exif = getattr(item.metadata, "exif", None)
    except Exception as exc:
        del exc
        exif = None
    if exif is not None and hasattr(exif, "get") and any(exif.get(k) for k in CAMERA_EXIF_TAGS):
        return True
    a = item.analysis
    return a is not None and has_camera_exif(a.info.get("exif"))


def is_device_size(width: int, height: int) -> bool:
    """True when ``width`` x ``height`` is exactly a common screen size (either orientation)."""
    return (min(width, height), max(width, height)) in DEVICE_SIZES


def has_camera_exif(exif: bytes | None) -> bool:
    """True when raw EXIF bytes name a camera (make/model) or an exposure.

    Parameters
    ----------
    exif : bytes or None
        The raw EXIF block as the container holds it (``DecodedImage.info["exif"]``).
    """
    if not exif:
        return False
    from PIL import Image

    try:
        data = Image.Exif()
        data.load(exif)
        sub = data.get_ifd(0x8769)
    except (OSError, ValueError, SyntaxError, KeyError, TypeError, IndexError) as exc:
        del exc  # corrupt EXIF names no camera
        return False
    return bool(data.get(0x010F) or data.get(0x0110) or sub.get(0x829A) or sub.get(0x829D))


def screenshot_score(f: ScreenFeatures, *, area_px: int = 1_000_000) -> float:
    """Confidence in [0, 1] that the image is a screenshot, from its cues.

    Images under 12,000 pixels (icons, thumbnails) are too small to judge and score 0.
    """
    if area_px < 12_000:
        return 0.0
    flat = f.ui_flat_fraction
    s_flat = float(np.clip((flat - 0.30) / 0.35, 0.0, 1.0))
    score = 0.0
    if f.contrast < BLANK_CONTRAST:  # flat because empty or clipped dark, not because of UI
        score = 0.3 if flat >= 0.18 else 0.0
    elif flat >= 0.30:  # camera photos stay under ~0.2 (JPEG skies and clipped highlights)
        score = 0.55 + 0.4 * s_flat
    elif flat >= 0.18:
        score = 0.55 if f.straight_lines >= UI_LINES else 0.3
    bars = int(f.status_bar) + int(f.navigation_bar)
    if bars == 2:
        score = max(score, 0.92)
    elif bars == 1:
        score = max(
            score,
            0.4
            + (0.25 if flat >= 0.15 or f.straight_lines >= UI_LINES else 0.0)
            + (0.15 if f.device_size else 0.0),
        )
    if f.png and not f.camera_exif and (flat >= 0.1 or f.straight_lines >= UI_LINES):
        score = max(score, 0.6)  # rendered pixels kept losslessly, with some UI structure
    if f.device_size and not f.camera_exif:
        score = max(score, 0.55) + (0.1 if flat >= 0.15 else 0.0)
    if f.strip and not f.camera_exif and f.contrast >= BLANK_CONTRAST:
        score = max(score, 0.6 if f.png else 0.55)
    if f.column_text and not f.camera_exif:  # a page of rendered text
        s_text = 0.6 + 0.25 * float(np.clip((f.text_area - 0.05) / 0.25, 0.0, 1.0))
        if flat >= 0.15 or bars or f.device_size:
            s_text += 0.1
        elif f.text_lines < PAGE_LINES and f.text_area < PAGE_AREA:
            s_text = 0.45  # a caption or a title set over a picture, with no UI around it
        score = max(score, s_text)
    if f.camera_exif or f.tiff:
        score *= 0.5
    return float(np.clip(score, 0.0, 1.0))


def recapture_score(f: ScreenFeatures) -> float:
    """Confidence in [0, 1] that the image is a camera photo of a screen.

    On the development images, colour camera photos keep the median window peak under
    ~1.5 log units (regular foliage and shop shelves reached 2.0 in ~1 % of them); grey-only
    images are not phone photos
    and are not scored (their periodic textures come from scanners and thermal sensors).
    """
    if f.greyscale:
        return 0.0
    # Text lines on a moiré window: a display showing a page, photographed. Neither cue alone
    # is rare enough (shelf labels; one regular texture), together they were on no honest
    # photo of the development images and on a quarter of the recaptures. Text set exactly
    # level is rendered pixels (a screenshot, whose regular lines of text also make spectral
    # peaks), not a camera's view of a screen.
    s_text = 0.6 if _photographed_text(f) else 0.0
    # A display's bezel along a border (near-black, noisy, straight, the lit picture inside):
    # on 5 of 23 recaptures, on 3 of 852 shop photos (a dark shelf edge along the top) and on
    # none of the ordinary photos or camera files. Medium alone; with a moiré note, more.
    s_bezel = 0.55 if _photographed_bezel(f) else 0.0
    # One strong peak frequency again in a separate part of the frame: a moiré beat across a
    # display. On 6 of 23 recaptures (2 that nothing else flags); on none of the colour
    # ordinary photos, camera files or shop photos but one already flagged by its median.
    s_repeat = 0.55 if f.moire_repeat >= 2 else 0.0
    c = f.moire_consistency
    if c < 1.55:
        return max(s_text, s_bezel, s_repeat)
    if c < 1.8:  # 1-2 % of honest phone photos reach this: a low note only
        s_moire = float(0.3 + 0.2 * (c - 1.55) / 0.25)
    else:
        s_moire = float(np.clip(0.5 + 0.45 * (c - 1.8) / 1.2, 0.0, 0.95))
    if s_bezel:
        s_moire = min(0.95, s_moire + 0.2)
    return max(s_text, s_bezel, s_repeat, s_moire)


def _photographed_text(f: ScreenFeatures) -> bool:
    return f.text_lines >= 5 and not f.level_text and f.moire_peak >= 1.9


def _photographed_bezel(f: ScreenFeatures) -> bool:
    # Exact-flat UI colour says rendered pixels (app chrome), not a photographed bezel.
    return f.bezel > 0.0 and f.ui_flat_fraction < 0.15


def _severity(score: float, flag: float) -> Severity:
    if score >= 0.85:
        return Severity.HIGH
    if score >= flag:
        return Severity.MEDIUM
    if score >= 0.3:
        return Severity.LOW
    return Severity.INFO


def _findings(item: Item, f: ScreenFeatures, params: ScreenParams) -> list[Finding]:
    out: list[Finding] = []
    data = {**f.as_dict(), "algorithm": ALGORITHM_VERSION}
    a = item.analysis
    area = a.width * a.height if a is not None else 0
    s_shot = screenshot_score(f, area_px=area)
    if s_shot >= 0.3:
        cues_en, cues_zh = _cue_words(f)
        # A snipped strip is a piece of the screen, not a photo shown inside app chrome.
        photo_box = _framed_photo(a.pixels) if a is not None and not f.strip else None
        if photo_box is None:
            out.append(
                Finding(
                    detector=DETECTOR,
                    code="screenshot",
                    severity=_severity(s_shot, params.flag_score),
                    score=s_shot,
                    message_en=f"Evidence photo {item.index + 1} looks like a screenshot, not a "
                    f"camera photo of the goods: {cues_en}.",
                    message_zh=f"证据图片 {item.index + 1} 看起来是屏幕截图,"
                    f"而不是对实物拍摄的照片:{cues_zh}。",
                    evidence_index=item.index,
                    data=data,
                )
            )
        else:
            to_orig = 1.0 / a.scale if a is not None and a.scale > 0 else 1.0
            x, y, w, h = (round(v * to_orig) for v in photo_box)
            out.append(
                Finding(
                    detector=DETECTOR,
                    code="screenshot-of-photo",
                    severity=_severity(s_shot, params.flag_score),
                    score=s_shot,
                    message_en=f"Evidence photo {item.index + 1} is a screenshot of a photo "
                    f"shown in an app ({cues_en}); the photo itself is in the marked box. Ask "
                    "for the original file: a screenshot drops the camera data.",
                    message_zh=f"证据图片 {item.index + 1} 是应用中显示的照片的截图({cues_zh}),"
                    "照片本身位于标记框内。请索取原始文件:截图会丢失相机信息。",
                    evidence_index=item.index,
                    regions=(Region(x, y, w, h, score=s_shot, label="photo"),),
                    data={**data, "photo_box": [x, y, w, h]},
                )
            )
    if s_shot < params.flag_score and f.png and not f.camera_exif and area >= 12_000:
        out.append(
            Finding(
                detector=DETECTOR,
                code="png-without-camera-data",
                severity=Severity.LOW,
                score=0.4,
                message_en=f"Evidence photo {item.index + 1} is a PNG file without camera "
                "information. Cameras and phones save photos as JPEG or HEIC; PNG comes from "
                "screenshots, editing apps and image generators. Ask for the original photo.",
                message_zh=f"证据图片 {item.index + 1} 是不含相机信息的 PNG 文件。"
                "相机和手机拍照保存为 JPEG 或 HEIC;"
                "PNG 通常来自截图、编辑应用或图像生成工具。请索取原始照片。",
                evidence_index=item.index,
                data=data,
            )
        )
    s_rec = recapture_score(f)
    if s_rec >= 0.3:
        if f.moire_consistency >= 1.55:
            why_en = "regular moiré patterns from the display's pixel grid repeat across the frame"
            why_zh = "画面多处出现显示器像素网格造成的规则摩尔纹"
            if _photographed_bezel(f):
                why_en += ", inside a display's dark bezel"
                why_zh += ",且位于显示器的深色边框之内"
        elif _photographed_bezel(f) and not _photographed_text(f):
            why_en = "a display's dark bezel runs straight along one side, the lit picture inside"
            why_zh = "画面一侧有一条笔直的显示器深色边框,边框内为发光的画面"
        elif f.moire_repeat >= 2 and not _photographed_text(f):
            why_en = (
                f"one moiré frequency from a display's pixel grid recurs in {f.moire_repeat} "
                "separate parts of the frame"
            )
            why_zh = f"显示器像素网格造成的同一频率摩尔纹在画面 {f.moire_repeat} 个不同区域重复出现"
        else:
            why_en = f"{f.text_lines} lines of text over a moiré pattern from a display's pixels"
            why_zh = f"画面有 {f.text_lines} 行文字,并带有显示器像素造成的摩尔纹"
        out.append(
            Finding(
                detector=DETECTOR,
                code="screen-recapture",
                severity=_severity(s_rec, params.flag_score),
                score=s_rec,
                message_en=f"Evidence photo {item.index + 1} looks like a photo of a screen: "
                f"{why_en}, so it may show a picture on a monitor or phone rather than the goods "
                "themselves.",
                message_zh=f"证据图片 {item.index + 1} 疑似翻拍屏幕:{why_zh},"
                "可能拍的是屏幕上的图片而非实物。",
                evidence_index=item.index,
                data=data,
            )
        )
    return out


def _framed_photo(rgb: RGBImage) -> tuple[int, int, int, int] | None:
    """The box of a camera-like photo inside screenshot chrome, or None.

    The content box (borders and UI bars stripped) must cover 20-90 % of the image and
    hold almost no exact-flat UI colour.
    """
    box = find_content_box(rgb)
    if not box.framed or not 0.2 <= box.area_fraction(rgb.shape) <= 0.9:
        return None
    inner = box.crop(rgb)
    if min(inner.shape[:2]) < 32 or ui_flat_fraction(inner) >= 0.05:
        return None
    return box.x, box.y, box.width, box.height


def _cue_words(f: ScreenFeatures) -> tuple[str, str]:
    en: list[str] = []
    zh: list[str] = []
    if f.ui_flat_fraction >= 0.25:
        pct = round(100 * f.ui_flat_fraction)
        en.append(f"{pct}% of it is exactly flat colour, as in app or web pages")
        zh.append(f"画面 {pct}% 为完全均匀的纯色区域(应用或网页界面特征)")
    if f.straight_lines >= UI_LINES:
        en.append(
            f"{f.straight_lines} perfectly straight pixel-aligned edges (UI dividers and borders)"
        )
        zh.append(f"有 {f.straight_lines} 条严格对齐像素的直线边缘(界面分隔线和边框)")
    if f.column_text:
        en.append(
            f"{f.text_lines} lines of text set exactly level and in columns, as on a page or "
            "in an app"
        )
        zh.append(f"有 {f.text_lines} 行严格水平、按列对齐排列的文字(网页或应用界面特征)")
    if f.strip:
        en.append("a thin strip cut out of a screen, a shape cameras do not produce")
        zh.append("画面为从屏幕上截取的细长条,相机不会拍出这种比例")
    if f.status_bar:
        en.append("a phone status bar at the top")
        zh.append("顶部有手机状态栏")
    if f.navigation_bar:
        en.append("a navigation bar at the bottom")
        zh.append("底部有导航栏")
    if f.device_size:
        en.append("its size is exactly a common screen resolution")
        zh.append("尺寸恰为常见屏幕分辨率")
    if f.png and not f.camera_exif:
        en.append("saved as PNG, which cameras do not write")
        zh.append("文件为 PNG 格式(相机不会保存为 PNG)")
    if not f.camera_exif:
        en.append("no camera information in the file")
        zh.append("文件中没有相机信息")
    return "; ".join(en), ";".join(zh)
