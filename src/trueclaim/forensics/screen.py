"""The screen detector: a screenshot, or a photo of a screen, instead of a photo of the goods.

Two questions, each answered from simple physical cues on the shared analysis pixels:

*Screenshot* (code ``screenshot``): rendered pixels, not light through a lens. Cues are
large areas of exactly one colour (a camera sensor never produces them: noise and
demosaicing make every block differ a little), a status bar at the top and a navigation
bar at the bottom (a uniform band holding small high-contrast glyphs at both ends), and a
pixel size that is exactly a common screen size while the file carries no camera EXIF.
Camera EXIF (make, model, exposure) lowers the score.

*Photo of a screen* (code ``screen-recapture``): a camera sampling a pixel grid makes
moiré, i.e. isolated periodic peaks in the high-pass spectrum that repeat across the frame.
Peaks are measured in several windows of a (reduced) full-resolution decode, excluding
the JPEG block-grid frequencies and the spectrum's axes (straight edges); only a peak
that appears in most windows counts.

Scores are the detector's confidence; ``screenshot`` at >= ``flag_score`` is a medium
finding (high from 0.85), ``screen-recapture`` likewise. Below the flag score nothing is
emitted except an ``info`` note when one cue is present on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import cv2
import numpy as np

from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.errors import InvalidParameter
from trueclaim.forensics.types import Finding, RGBImage, Severity

DETECTOR = "screen"
ALGORITHM_VERSION = "screen-1"

# Common screen sizes in physical pixels (portrait width x height; both orientations match).
# Sizes that cameras also produce (640x480, 800x600, 1024x768, 1600x1200, 2048x1536 ...)
# are deliberately absent.
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
        (720, 1280),
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
        (800, 1280),
        # desktops and laptops
        (720, 1280),
        (768, 1366),
        (800, 1280),
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
    peak, consistency = (0.0, 0.0)
    if params.recapture:
        peak, consistency = _moire(item, params)
    return ScreenFeatures(
        ui_flat_fraction=ui_flat_fraction(
            rgb, block_px=params.block_px, n_colours=params.flat_colours
        ),
        status_bar=top,
        navigation_bar=bottom,
        device_size=is_device_size(a.width, a.height),
        camera_exif=_camera_metadata(item),
        moire_peak=peak,
        moire_consistency=consistency,
        straight_lines=straight_lines(rgb),
        tiff=a.format == "TIFF",
        greyscale=bool(
            np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2])
        ),
    )


def _camera_metadata(item: Item) -> bool:
    """Camera make/model/exposure in the file, from the metadata reader or the raw EXIF."""
    try:
        exif = getattr(item.metadata, "exif", None)
    except Exception as exc:
        del exc
        exif = None
    names = ("Make", "Model", "ExposureTime", "FNumber")
    if exif is not None and hasattr(exif, "get") and any(exif.get(k) for k in names):
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


def ui_flat_fraction(rgb: RGBImage, *, block_px: int = 4, n_colours: int = 3) -> float:
    """Fraction of the image covered by exactly-constant blocks of its few main flat colours.

    A block counts when all its pixels (all channels) are identical; only blocks whose
    colour is among the ``n_colours`` most common flat colours are counted, so a smooth
    sky (many slightly different flat colours) scores low while a UI background scores high.
    Near-black and near-white blocks count at half weight: clipped highlights and crushed
    shadows are flat in camera photos too.
    """
    h, w = rgb.shape[:2]
    hb, wb = h // block_px, w // block_px
    if hb < 4 or wb < 4:
        return 0.0
    blk = rgb[: hb * block_px, : wb * block_px].reshape(hb, block_px, wb, block_px, 3)
    lo = blk.min(axis=(1, 3))
    hi = blk.max(axis=(1, 3))
    flat = np.all(lo == hi, axis=-1)
    if not flat.any():
        return 0.0
    colours = lo[flat].astype(np.int64)
    code = (colours[:, 0] << 16) | (colours[:, 1] << 8) | colours[:, 2]
    values, counts = np.unique(code, return_counts=True)
    order = np.argsort(counts)[::-1][:n_colours]
    total = 0.0
    for v, c in zip(values[order], counts[order], strict=True):
        r, g, b = (v >> 16) & 255, (v >> 8) & 255, v & 255
        extreme = max(r, g, b) <= 8 or min(r, g, b) >= 247
        total += c * (0.5 if extreme else 1.0)
    return float(total / (hb * wb))


def straight_lines(rgb: RGBImage, *, step: int = 24, min_frac: float = 0.3) -> int:
    """Count rows and columns holding one unbroken sharp step over ``min_frac`` of the side.

    UI dividers, card borders and window edges are exactly pixel-aligned over hundreds of
    pixels; edges in a camera photo are tilted or curved by a fraction of a pixel and break
    up into short runs.
    """
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.int16)
    h, w = g.shape
    rows = np.abs(np.diff(g, axis=0)) >= step
    cols = (np.abs(np.diff(g, axis=1)) >= step).T
    return int(
        (_longest_runs(rows) >= min_frac * w).sum() + (_longest_runs(cols) >= min_frac * h).sum()
    )


def _longest_runs(b: np.ndarray) -> np.ndarray:
    n = b.shape[0]
    pad = np.zeros((n, 1), dtype=np.int8)
    d = np.diff(np.concatenate([pad, b.astype(np.int8), pad], axis=1), axis=1)
    starts = np.argwhere(d == 1)
    ends = np.argwhere(d == -1)
    out = np.zeros(n, dtype=np.int64)
    np.maximum.at(out, starts[:, 0], ends[:, 1] - starts[:, 1])
    return out


def detect_bars(
    rgb: RGBImage, *, min_frac: float = 0.018, max_frac: float = 0.075
) -> tuple[bool, bool]:
    """Find a phone status bar (top) and navigation bar (bottom).

    A bar starts at the image edge with rows of one colour; inside it, a short run of rows
    holds small high-contrast glyphs (clock and signal left and battery right at the top;
    a home pill or three buttons at the bottom), and the background resumes below (above)
    them. The glyph rows must lie within ``max_frac`` of the height and be at most
    ``min_frac * 2`` high, so a photo whose sky happens to be flat is not a bar.
    """
    return (
        _bar(rgb, min_frac, max_frac, top=True),
        _bar(rgb[::-1], min_frac, max_frac, top=False),
    )


def _bar(rgb: RGBImage, min_frac: float, max_frac: float, *, top: bool) -> bool:
    h, w = rgb.shape[:2]
    if h < 200 or w < 150 or h < w * 1.2:  # bars are a phone-portrait feature
        return False
    hi = max(6, int(h * max_frac))
    band = rgb[: hi + 4].astype(np.int16)
    bg = np.median(band[:2].reshape(-1, 3), axis=0)
    dist = np.abs(band - bg).max(axis=-1)
    bg_frac = (dist <= 6).mean(axis=1)
    if bg_frac[:2].min() < 0.95:
        return False
    glyph_rows = np.nonzero((dist > 60).mean(axis=1) > 0.002)[0]
    if glyph_rows.size == 0:
        return False
    r1 = int(glyph_rows[0])
    # the glyph run: consecutive rows (gaps of a row or two allowed) from r1
    r2 = r1
    for r in glyph_rows[1:]:
        if r - r2 > 2:
            break
        r2 = int(r)
    height = r2 - r1 + 1
    if r1 < 2 or r2 >= hi or height < 3 or height > 2 * min_frac * h:
        return False
    if bg_frac[r1 : r2 + 1].min() < 0.5:  # glyphs are small: the row stays mostly background
        return False
    if bg_frac[r2 + 1 : r2 + 3].min() < 0.95:  # background resumes under the glyphs
        return False
    cols = (dist[r1 : r2 + 1] > 60).any(axis=0)
    third = w // 3
    left, mid, right = cols[:third].any(), cols[third : 2 * third].any(), cols[2 * third :].any()
    if top:
        return bool(left and right)
    return bool(mid)


def _moire(item: Item, params: ScreenParams) -> tuple[float, float]:
    """Periodic-peak strength of the high-pass spectrum: (strongest window, median window).

    Measured at full resolution (a screen's pixel grid is finer than the analysis size can
    hold) in five windows; per window, the mean of the 8 largest log-excesses over the
    local spectral background. (0, 0) when the image is smaller than one window.
    """
    a = item.analysis
    assert a is not None
    pixels = a.pixels
    if max(a.width, a.height) > max(pixels.shape[:2]):
        full = item.full
        if full is not None:
            pixels = full.pixels
    g = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    n = params.spectrum_window_px
    h, w = g.shape
    if min(h, w) < n:
        n = 128  # small images: half-size windows (the statistic is comparable, see tests)
    if h < n or w < n:
        return 0.0, 0.0
    valid = _spectrum_mask(n)
    win = np.outer(np.hanning(n), np.hanning(n)).astype(np.float32)
    peaks = []
    for fy, fx in ((0.5, 0.5), (0.3, 0.3), (0.7, 0.7), (0.3, 0.7), (0.7, 0.3)):
        y = min(max(0, int(fy * h - n / 2)), h - n)
        x = min(max(0, int(fx * w - n / 2)), w - n)
        peaks.append(_window_peak(g[y : y + n, x : x + n], win, valid))
    return float(max(peaks)), float(np.median(peaks))


def _spectrum_mask(n: int) -> np.ndarray:
    yy, xx = np.mgrid[-n // 2 : n // 2, -n // 2 : n // 2]
    rr = np.hypot(yy, xx)
    block = np.zeros((n, n), dtype=bool)
    for k in range(-4, 5):
        c = k * n // 8 + n // 2
        for m in range(-4, 5):
            d = m * n // 8 + n // 2
            block[max(0, c - 2) : c + 3, max(0, d - 2) : d + 3] = True
    axis = (np.abs(yy) <= 2) | (np.abs(xx) <= 2)
    return np.asarray((rr > 12) & ~block & ~axis, dtype=bool)


def _median9(spec: np.ndarray) -> np.ndarray:
    """9x9 median of a float map, through OpenCV on 256 levels (20x faster than scipy)."""
    lo, hi = float(spec.min()), float(spec.max())
    step = max(hi - lo, 1e-6) / 255.0
    levels = np.rint((spec - lo) / step).astype(np.uint8)
    return cv2.medianBlur(levels, 9).astype(np.float32) * step + lo


def _window_peak(g: np.ndarray, win: np.ndarray, valid: np.ndarray) -> float:
    f = g.astype(np.float32)
    hp = f - cv2.GaussianBlur(f, (0, 0), 3)
    hp = (hp - hp.mean()) * win
    spec = np.log(np.abs(np.fft.fftshift(np.fft.fft2(hp))) + 1e-3)
    excess = (spec - _median9(spec))[valid]
    return float(np.sort(excess)[-8:].mean())


def screenshot_score(f: ScreenFeatures, *, area_px: int = 1_000_000) -> float:
    """Confidence in [0, 1] that the image is a screenshot, from its cues.

    Images under 12,000 pixels (icons, thumbnails) are too small to judge and score 0.
    """
    if area_px < 12_000:
        return 0.0
    flat = f.ui_flat_fraction
    s_flat = float(np.clip((flat - 0.30) / 0.35, 0.0, 1.0))
    score = 0.0
    if flat >= 0.30:  # camera photos stay under ~0.2 (JPEG skies and clipped highlights)
        score = 0.55 + 0.4 * s_flat
    elif flat >= 0.18:
        score = 0.55 if f.straight_lines >= 6 else 0.3
    bars = int(f.status_bar) + int(f.navigation_bar)
    if bars == 2:
        score = max(score, 0.92)
    elif bars == 1:
        score = max(
            score,
            0.4
            + (0.25 if flat >= 0.15 or f.straight_lines >= 6 else 0.0)
            + (0.15 if f.device_size else 0.0),
        )
    if f.device_size and not f.camera_exif:
        score = max(score, 0.55) + (0.1 if flat >= 0.15 else 0.0)
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
    c = f.moire_consistency
    if c < 1.55:
        return 0.0
    if c < 1.8:  # 1-2 % of honest phone photos reach this: a low note only
        return float(0.3 + 0.2 * (c - 1.55) / 0.25)
    return float(np.clip(0.5 + 0.45 * (c - 1.8) / 1.2, 0.0, 0.95))


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
    s_rec = recapture_score(f)
    if s_rec >= 0.3:
        out.append(
            Finding(
                detector=DETECTOR,
                code="screen-recapture",
                severity=_severity(s_rec, params.flag_score),
                score=s_rec,
                message_en=f"Evidence photo {item.index + 1} looks like a photo of a screen: "
                "regular moiré patterns from the display's pixel grid repeat across the frame, "
                "so it may show a picture on a monitor or phone rather than the goods themselves.",
                message_zh=f"证据图片 {item.index + 1} 疑似翻拍屏幕:"
                "画面多处出现显示器像素网格造成的规则摩尔纹,"
                "可能拍的是屏幕上的图片而非实物。",
                evidence_index=item.index,
                data=data,
            )
        )
    return out


def _cue_words(f: ScreenFeatures) -> tuple[str, str]:
    en: list[str] = []
    zh: list[str] = []
    if f.ui_flat_fraction >= 0.25:
        pct = round(100 * f.ui_flat_fraction)
        en.append(f"{pct}% of it is exactly flat colour, as in app or web pages")
        zh.append(f"画面 {pct}% 为完全均匀的纯色区域(应用或网页界面特征)")
    if f.straight_lines >= 6:
        en.append(
            f"{f.straight_lines} perfectly straight pixel-aligned edges (UI dividers and borders)"
        )
        zh.append(f"有 {f.straight_lines} 条严格对齐像素的直线边缘(界面分隔线和边框)")
    if f.status_bar:
        en.append("a phone status bar at the top")
        zh.append("顶部有手机状态栏")
    if f.navigation_bar:
        en.append("a navigation bar at the bottom")
        zh.append("底部有导航栏")
    if f.device_size:
        en.append("its size is exactly a common screen resolution")
        zh.append("尺寸恰为常见屏幕分辨率")
    if not f.camera_exif:
        en.append("no camera information in the file")
        zh.append("文件中没有相机信息")
    return "; ".join(en), ";".join(zh)
