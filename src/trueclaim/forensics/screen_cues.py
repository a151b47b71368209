"""Pixel cues of screens: exact-flat UI colour, pixel-aligned edges, phone bars, text, moiré,
bezels.

Pure functions over RGB arrays, used by the screen detector (:mod:`trueclaim.forensics.screen`),
which turns them into scores. Each measures one physical difference between rendered pixels
(or a photographed display) and light through a lens onto a sensor.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from trueclaim.forensics.types import RGBImage
from trueclaim.forensics.visible_marks import text_line_boxes


@dataclass(frozen=True, slots=True)
class TextLayout:
    """Where rendered-looking text lines are: how many, how much area, how many level."""

    lines: int
    area_fraction: float
    level_fraction: float  # share of lines whose box is level to within ``level_deg``
    aligned_lines: int = 0  # level lines that start where another level line starts


def text_layout(
    rgb: RGBImage, *, max_side_px: int = 640, level_deg: float = 0.5, align_px: float = 1.5
) -> TextLayout:
    """Detect text lines (rapidocr's detector, no recognition) and describe their layout.

    App and web pages are mostly text set in lines that are exactly level with the pixel grid
    and set in columns: lines start at the same x, to within ``align_px`` of the reduced
    image. A photo of goods holds a few labels at the angle the camera saw them; packaging
    photographed square-on can hold level lines too, but centred or scattered, not in a
    column. Detection only, on the image reduced to ``max_side_px``.
    """
    h, w = rgb.shape[:2]
    scale = min(1.0, max_side_px / max(h, w))
    small = rgb
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    boxes = text_line_boxes(small)
    if not boxes:
        return TextLayout(0, 0.0, 0.0)
    area = 0.0
    lefts = []
    for pts in boxes:
        area += float(cv2.contourArea(pts))
        angle = float(cv2.minAreaRect(pts)[2])
        if abs(((angle + 45.0) % 90.0) - 45.0) < level_deg:
            lefts.append(float(pts[:, 0].min()))
    x = np.asarray(lefts)
    # Each level line whose left edge has another level line's within align_px.
    aligned = int(((np.abs(x[:, None] - x[None, :]) <= align_px).sum(axis=1) >= 2).sum())
    n = len(boxes)
    return TextLayout(n, area / float(small.shape[0] * small.shape[1]), len(lefts) / n, aligned)


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


def screen_bezel(
    rgb: RGBImage,
    *,
    min_length: float = 0.35,
    max_angle_deg: float = 20.0,
    dark_level: float = 12.0,
    dark_spread: float = 4.5,
    min_dark_spread: float = 0.8,
    min_step: float = 25.0,
    outer: float = 0.35,
    min_piece: float = 0.08,
    work_px: int = 512,
) -> float:
    """Length of the longest display-bezel edge, as a fraction of the image side (0: none).

    A photo of a monitor, television or phone often holds the screen's edge: a long straight
    line, near the image border and roughly parallel to it, with the bezel on its outer side
    (near-black and without texture: no light, no detail) and the lit picture on its inner
    side. Line segments come from OpenCV's line segment detector; for each, strips on both
    sides are sampled.

    Parameters
    ----------
    rgb : RGBImage
        The image (analysis pixels are enough).
    min_length : float
        Shortest edge (its pieces together), as a fraction of the image side it runs along.
    max_angle_deg : float
        Largest tilt from the image axis it runs along (a slanted shot tilts the screen).
    dark_level, dark_spread : float
        Grey mean and standard deviation under which the outer strip is a bezel.
    min_dark_spread : float
        Least standard deviation of the bezel strip: a photographed bezel carries sensor
        noise, a rendered black bar (letterbox, padding, app chrome) is exactly flat.
    min_step : float
        Least grey difference from the bezel to the picture side.
    outer : float
        The edge must lie within this fraction of the image from the border it faces.
    min_piece : float
        Shortest segment, as a fraction of its side, that may be part of a broken edge.
    work_px : int
        The longest side the search runs at (a bezel is a coarse structure).
    """
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if max(g.shape) > work_px:
        f = work_px / max(g.shape)
        g = cv2.resize(g, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    h, w = g.shape
    if min(h, w) < 64:
        return 0.0
    found = cv2.createLineSegmentDetector().detect(cv2.GaussianBlur(g, (3, 3), 0))[0]
    if found is None:
        return 0.0
    offset = max(3.0, 0.006 * max(h, w))
    width = max(4.0, 0.02 * max(h, w))
    along = np.linspace(0.1, 0.9, 24)[:, None]
    across = np.linspace(offset, offset + width, 5)[None, :]
    pieces: list[tuple[float, float, float, float, float]] = []
    for x1, y1, x2, y2 in found.reshape(-1, 4):
        dx, dy = float(x2 - x1), float(y2 - y1)
        length = float(np.hypot(dx, dy))
        horizontal = abs(dx) >= abs(dy)
        side = w if horizontal else h
        tilt = np.degrees(np.arctan2(min(abs(dx), abs(dy)), max(abs(dx), abs(dy))))
        if length < min_piece * side or tilt > max_angle_deg:
            continue
        mx, my = (x1 + x2) / 2.0, (y1 + y2) / 2.0
        pos = my / h if horizontal else mx / w
        if outer < pos < 1.0 - outer:
            continue
        nx, ny = -dy / length, dx / length
        px, py = x1 + along * dx, y1 + along * dy
        strips = []
        for sign in (1.0, -1.0):
            qx = np.rint(px + sign * across * nx).astype(int).ravel()
            qy = np.rint(py + sign * across * ny).astype(int).ravel()
            keep = (qx >= 0) & (qx < w) & (qy >= 0) & (qy < h)
            strips.append(g[qy[keep], qx[keep]].astype(np.float32))
        if min(s.size for s in strips) < 30:
            continue
        dark_first = strips[0].mean() < strips[1].mean()
        dark, lit = (strips[0], strips[1]) if dark_first else (strips[1], strips[0])
        sign = 1.0 if dark_first else -1.0
        outward = sign * nx * (mx - w / 2.0) + sign * ny * (my - h / 2.0) > 0
        if (
            outward
            and dark.mean() < dark_level
            and min_dark_spread <= dark.std() < dark_spread
            and lit.mean() - dark.mean() >= min_step
        ):
            pieces.append((float(x1), float(y1), float(x2), float(y2), float(side)))
    edge = _longest_edge(pieces, tol_px=max(2.0, 0.01 * max(h, w)))
    return edge if edge >= min_length else 0.0


def _longest_edge(
    pieces: list[tuple[float, float, float, float, float]], *, tol_px: float
) -> float:
    """Covered length of the best line through the pieces, as a fraction of its image side.

    A bezel edge comes out of the segment detector in pieces where the picture beside it is
    dark. Pieces ``(x1, y1, x2, y2, side)`` join one line when their directions agree within
    3 degrees and both their ends lie within ``tol_px`` of it; overlaps count once.
    """
    best = 0.0
    for x1, y1, x2, y2, side in pieces:
        length = float(np.hypot(x2 - x1, y2 - y1))
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        spans = []
        for a1, b1, a2, b2, side2 in pieces:
            if side2 != side:
                continue
            n2 = float(np.hypot(a2 - a1, b2 - b1))
            if abs(ux * (b2 - b1) - uy * (a2 - a1)) / n2 > np.sin(np.radians(3.0)):
                continue
            off1 = abs((a1 - x1) * -uy + (b1 - y1) * ux)
            off2 = abs((a2 - x1) * -uy + (b2 - y1) * ux)
            if max(off1, off2) > tol_px:
                continue
            t1, t2 = (a1 - x1) * ux + (b1 - y1) * uy, (a2 - x1) * ux + (b2 - y1) * uy
            spans.append((min(t1, t2), max(t1, t2)))
        spans.sort()
        covered, end = 0.0, -np.inf
        for t1, t2 in spans:
            if t2 > end:
                covered += t2 - max(t1, end)
                end = t2
        best = max(best, covered / side)
    return float(min(best, 1.0))


@dataclass(frozen=True, slots=True)
class Moire:
    """Periodic peaks of the high-pass spectrum in five windows of the frame."""

    peak: float  # strongest window: mean of its 8 largest log-excesses
    consistency: float  # median window, so the pattern must cover most of the frame
    repeat: int = 0  # most windows, pairwise disjoint from the first, sharing one strong peak


# A screen's moiré is the beat of its pixel pitch against the sensor's, so one frequency recurs
# across the display; a real periodic texture (tiles, shelves, paving) changes frequency with
# perspective and distance. A peak this strong (log-excess) in one window, found again within
# ``REPEAT_BINS`` frequency bins at ``REPEAT_SUPPORT`` or more in a disjoint window, counts.
REPEAT_PEAK = 2.0
REPEAT_SUPPORT = 1.7
REPEAT_BINS = 2


def moire_strength(rgb: RGBImage, *, window_px: int = 256) -> Moire:
    """Periodic-peak strength of the high-pass spectrum (see :class:`Moire`).

    Give it full-resolution pixels (a screen's pixel grid is finer than a reduced image can
    hold). Five windows; per window, the mean of the 8 largest log-excesses over the local
    spectral background (9x9 median), off the axes and the JPEG 8x8 grid frequencies.
    ``repeat`` counts windows that do not overlap the window holding a strong peak and hold
    the same frequency (windows of a small image overlap and share their texture, so they do
    not count). Images under ``window_px`` use half-size windows; all zero when even those do
    not fit.
    """
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    n = window_px
    h, w = g.shape
    if min(h, w) < n:
        n = n // 2
    if h < n or w < n:
        return Moire(0.0, 0.0)
    valid = _spectrum_mask(n)
    win = np.outer(np.hanning(n), np.hanning(n)).astype(np.float32)
    peaks: list[float] = []
    tops: list[np.ndarray] = []
    origins: list[tuple[int, int]] = []
    for fy, fx in ((0.5, 0.5), (0.3, 0.3), (0.7, 0.7), (0.3, 0.7), (0.7, 0.3)):
        y = min(max(0, int(fy * h - n / 2)), h - n)
        x = min(max(0, int(fx * w - n / 2)), w - n)
        peak, top = _window_peak(g[y : y + n, x : x + n], win, valid)
        peaks.append(peak)
        tops.append(top)
        origins.append((y, x))
    return Moire(float(max(peaks)), float(np.median(peaks)), _repeat(tops, origins, n))


def _repeat(tops: list[np.ndarray], origins: list[tuple[int, int]], n: int) -> int:
    """Windows sharing one strong peak frequency with a window they do not overlap."""
    best = 0
    for i, top in enumerate(tops):
        for fy, fx, v in top:
            if v < REPEAT_PEAK:
                continue
            count = 1
            for j, other in enumerate(tops):
                if j == i or (
                    abs(origins[i][0] - origins[j][0]) < n
                    and abs(origins[i][1] - origins[j][1]) < n
                ):
                    continue
                near = (np.abs(other[:, 0] - fy) <= REPEAT_BINS) & (
                    np.abs(other[:, 1] - fx) <= REPEAT_BINS
                )
                count += bool(np.any(near & (other[:, 2] >= REPEAT_SUPPORT)))
            best = max(best, count)
    return best


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


def _window_peak(g: np.ndarray, win: np.ndarray, valid: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean of the 8 largest log-excesses, and the 12 largest as rows (fy, fx, excess).

    Frequencies are folded onto one half-plane (the spectrum of real pixels is symmetric).
    """
    f = g.astype(np.float32)
    hp = f - cv2.GaussianBlur(f, (0, 0), 3)
    hp = (hp - hp.mean()) * win
    spec = np.log(np.abs(np.fft.fftshift(np.fft.fft2(hp))) + 1e-3)
    excess = spec - _median9(spec)
    flat = np.where(valid, excess, -np.inf).ravel()
    idx = np.argpartition(flat, -12)[-12:]
    vals = flat[idx]
    order = np.argsort(vals)
    idx, vals = idx[order], vals[order]
    n = g.shape[0]
    fy, fx = np.divmod(idx, g.shape[1])
    fy, fx = fy - n // 2, fx - g.shape[1] // 2
    flip = (fy < 0) | ((fy == 0) & (fx < 0))
    fy, fx = np.where(flip, -fy, fy), np.where(flip, -fx, fx)
    top = np.stack([fy, fx, vals]).T.astype(np.float64)
    return float(vals[-8:].mean()), top
