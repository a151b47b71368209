"""Find the photo inside a frame: strip uniform borders and phone UI bars.

A buyer who screenshots a listing photo submits the photo inside a phone screen: a status bar
(clock, battery), maybe an app bar, letterbox borders of one colour. Hashes of the whole
screenshot do not match the photo's hash, so :func:`find_content_box` locates the content
rectangle first. Rows and columns are stripped from each edge while they are "bar-like": almost
all of their pixels share one colour (icons and text of a status bar cover little of a row).
Fully uniform borders may be stripped without limit; bar-like rows at most
``max_bar_fraction`` of the side, so a photo with a plain sky is not eaten away.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from trueclaim.forensics.types import RGBImage


@dataclass(frozen=True, slots=True)
class ContentBox:
    """The content rectangle of an image, in the pixels of the array it was found in."""

    x: int
    y: int
    width: int
    height: int
    framed: bool  # True when something (bars, borders) was stripped

    def crop(self, rgb: RGBImage) -> RGBImage:
        return rgb[self.y : self.y + self.height, self.x : self.x + self.width]

    def area_fraction(self, shape: tuple[int, ...]) -> float:
        return (self.width * self.height) / float(shape[0] * shape[1])


def find_content_box(
    rgb: RGBImage,
    *,
    tolerance: int = 14,
    uniform_fraction: float = 0.985,
    bar_fraction: float = 0.80,
    max_bar_fraction: float = 0.15,
    min_keep_fraction: float = 0.3,
    keep_colour: tuple[int, int, int] | None = None,
    lines: ContentLines | None = None,
) -> ContentBox:
    """Locate the content rectangle of a possibly framed image (screenshot, letterbox).

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
        The image.
    tolerance : int, optional
        A pixel belongs to a row's colour when every channel is within this of the row median.
    uniform_fraction : float, optional
        Share of pixels that makes a row a uniform border (stripped without limit).
    bar_fraction : float, optional
        Share of pixels that makes a row part of a UI bar (stripped up to ``max_bar_fraction``).
    max_bar_fraction : float, optional
        Most of a side that bar-like rows may remove, per edge.
    min_keep_fraction : float, optional
        The box keeps at least this share of each side.
    keep_colour : (r, g, b), optional
        Stop stripping a side at the first row (column) whose colour is within ``tolerance``
        of this one: a photo's own plain background (a listing shot's white) is content, only
        the frame around it (a screenshot's dark app chrome) is stripped.
    lines : ContentLines, optional
        :func:`content_lines` of ``rgb`` with the same ``tolerance``, when already computed.

    Returns
    -------
    ContentBox
        In the pixel coordinates of ``rgb``.
    """
    h, w = rgb.shape[:2]
    found = lines if lines is not None else content_lines(rgb, tolerance=tolerance)
    f, rows, cols = found.scale, found.rows, found.cols
    sh, sw = len(rows[0]), len(cols[0])
    keep = None if keep_colour is None else (np.asarray(keep_colour, np.int16), tolerance)
    top = _strip(rows, uniform_fraction, bar_fraction, max_bar_fraction, keep)
    bottom = _strip(_reverse(rows), uniform_fraction, bar_fraction, max_bar_fraction, keep)
    left = _strip(cols, uniform_fraction, bar_fraction, max_bar_fraction, keep)
    right = _strip(_reverse(cols), uniform_fraction, bar_fraction, max_bar_fraction, keep)
    top, bottom = _keep(top, bottom, sh, min_keep_fraction)
    left, right = _keep(left, right, sw, min_keep_fraction)
    x0, y0 = round(left / f), round(top / f)
    x1, y1 = round((sw - right) / f), round((sh - bottom) / f)
    x1, y1 = min(w, max(x1, x0 + 1)), min(h, max(y1, y0 + 1))
    return ContentBox(x0, y0, x1 - x0, y1 - y0, framed=bool(top or bottom or left or right))


#: Per line (row or column): share near its median colour (loosely, tightly), and that colour.
_Lines = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True, slots=True)
class ContentLines:
    """Per-row and per-column colour statistics of an image's 256-pixel copy (``scale`` of
    the image), from which :func:`find_content_box` strips borders."""

    scale: float
    rows: _Lines
    cols: _Lines


def content_lines(rgb: RGBImage, *, tolerance: int = 14) -> ContentLines:
    """The statistics :func:`find_content_box` reads, to find several boxes of one image."""
    h, w = rgb.shape[:2]
    f = min(1.0, 256.0 / max(h, w))
    small: np.ndarray = rgb
    if f < 1:
        size = (max(1, round(w * f)), max(1, round(h * f)))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    rows = _line_scores(small, tolerance)
    cols = _line_scores(np.ascontiguousarray(small.transpose(1, 0, 2)), tolerance)
    return ContentLines(f, rows, cols)


def plain_border(
    rgb: RGBImage, *, tolerance: int = 14, share: float = 0.8
) -> tuple[int, int, int] | None:
    """The colour of an image's plain border (a listing shot's white background): the median
    of its outermost rows and columns, when at least ``share`` of them lie within
    ``tolerance`` of it; None for a photo whose edges hold the scene."""
    ring = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.int16)
    median = np.median(ring, axis=0).astype(np.int16)
    if (np.abs(ring - median).max(axis=1) <= tolerance).mean() < share:
        return None
    r, g, b = (int(v) for v in median)
    return r, g, b


def _line_scores(img: np.ndarray, tolerance: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: share of pixels near the row's median colour (loosely, then tightly), and it.

    The tight share (within 4 levels) tells a drawn border from a plain photo background,
    whose noise and shading spread wider.
    """
    med = np.median(img[:, ::3], axis=1, keepdims=True)  # a third of the columns is plenty
    diff = np.abs(img.astype(np.int16) - med.astype(np.int16))
    # Channel maximum as two elementwise maxima: same values, 5x faster than max(axis=2).
    dev = np.maximum(np.maximum(diff[..., 0], diff[..., 1]), diff[..., 2])
    return (dev <= tolerance).mean(axis=1), (dev <= 4).mean(axis=1), med[:, 0, :].astype(np.int16)


def _reverse(lines: _Lines) -> _Lines:
    return lines[0][::-1], lines[1][::-1], lines[2][::-1]


def _strip(
    lines: _Lines,
    uniform: float,
    bar: float,
    max_bar: float,
    keep: tuple[np.ndarray, int] | None = None,
) -> int:
    """Rows to strip from the start: uniform borders, and UI bars no longer than ``max_bar``.

    Near the edge (status and navigation bars, with their clock, icons and labels) a row is
    bar-like at a lower share of one colour than further in. With ``keep`` (a colour and a
    tolerance), a row of that colour ends the strip.
    """
    scores, tight, colours = lines
    n = len(scores)
    edge_bar = min(bar, 0.6)
    i, bar_start = 0, -1
    while i < n:
        if keep is not None and np.abs(colours[i] - keep[0]).max() <= keep[1]:
            break
        if tight[i] >= uniform:
            bar_start = -1
        elif scores[i] >= (edge_bar if i < 0.12 * n else bar):
            if bar_start < 0:
                bar_start = i
            if i - bar_start + 1 > max_bar * n:
                return bar_start  # a long, not quite uniform run: part of the photo (sky, a wall)
        else:
            break
        i += 1
    return i if i < n else 0


def _keep(a: int, b: int, n: int, keep: float) -> tuple[int, int]:
    if n - a - b >= keep * n:
        return a, b
    return 0, 0
