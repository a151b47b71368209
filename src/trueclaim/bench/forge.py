"""Paint realistic damage into a product photo, as a buyer with an AI editor would.

:func:`paint_damage` returns the edited image and the mask of every pixel it changed. Damage
lands on the product (the non-background part of a listing shot). About half the edits also
"regenerate" a soft box around the damage (a down/up-sampling round trip plus fresh noise),
the trace an AI inpainting tool leaves on the pixels around its brush; the mask then covers
that box too. Randomness comes only from the ``np.random.Generator`` passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage

from trueclaim.forensics.types import Mask, RGBImage

DAMAGES: tuple[str, ...] = (
    "crack",
    "shatter",
    "stain",
    "tear",
    "hole",
    "dent",
    "burn",
    "missing",
    "texture",
)


@dataclass(frozen=True, slots=True)
class DamageTexture:
    """A real photo of a defect (grey) and its mask, cropped around the defect."""

    name: str
    grey: np.ndarray = field(repr=False)
    mask: Mask = field(repr=False)


@dataclass(frozen=True, slots=True)
class Painted:
    """An edited image, the pixels the edit changed, and what was painted."""

    image: RGBImage
    mask: Mask
    damage: str
    regenerated: bool


def load_textures(damage_dir: Path) -> tuple[DamageTexture, ...]:
    """Read ``*.jpg`` + same-name ``*.png`` mask pairs (e.g. the magnetic-tile set).

    Pairs whose mask is empty or tiny (defect-free samples) are skipped.
    """
    out = []
    for jpg in sorted(Path(damage_dir).rglob("*.jpg")):
        png = jpg.with_suffix(".png")
        if not png.exists():
            continue
        with Image.open(jpg) as im:
            grey = np.asarray(im.convert("L"), dtype=np.uint8)
        with Image.open(png) as im:
            mask = np.asarray(im.convert("L"), dtype=np.uint8) > 127
        if mask.shape != grey.shape or mask.sum() < 30:
            continue
        ys, xs = np.nonzero(mask)
        pad = 6
        y0, y1 = max(0, ys.min() - pad), min(mask.shape[0], ys.max() + pad + 1)
        x0, x1 = max(0, xs.min() - pad), min(mask.shape[1], xs.max() + pad + 1)
        out.append(
            DamageTexture(
                f"{jpg.parent.parent.name}/{jpg.stem}", grey[y0:y1, x0:x1], mask[y0:y1, x0:x1]
            )
        )
    return tuple(out)


def foreground_mask(image: RGBImage) -> Mask:
    """The product: pixels unlike the border colour (a listing's white backdrop), else all."""
    h, w = image.shape[:2]
    if max(h, w) > 512:  # the product's outline needs no more than this
        f = 512 / max(h, w)
        small = cv2.resize(
            image, (max(8, round(w * f)), max(8, round(h * f))), interpolation=cv2.INTER_AREA
        )
        return (
            cv2.resize(
                foreground_mask(np.asarray(small, dtype=np.uint8)).astype(np.uint8),
                (w, h),
                interpolation=cv2.INTER_NEAREST,
            )
            > 0
        )
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]).astype(np.float32)
    bg = np.median(border, axis=0)
    spread = np.median(np.abs(border - bg))
    dist = np.abs(image.astype(np.float32) - bg).max(axis=2)
    fg = (dist > max(25.0, 4 * spread)).astype(np.uint8)
    k = max(3, min(h, w) // 60) | 1
    fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    share = fg.mean()
    if share < 0.05 or share > 0.97 or spread > 20:
        return np.ones((h, w), dtype=bool)
    return fg.astype(bool)


def paint_damage(
    image: RGBImage,
    rng: np.random.Generator,
    *,
    damage: str | None = None,
    textures: Sequence[DamageTexture] = (),
    regenerate: bool | None = None,
) -> Painted:
    """Paint one kind of damage on the product in ``image``.

    Parameters
    ----------
    image : (H, W, 3) uint8
        The photo to edit (a listing or the merchant's own photo).
    rng : np.random.Generator
        The only source of randomness.
    damage : str, optional
        One of ``DAMAGES``; random when None (``texture`` only when ``textures`` are given).
    textures : sequence of DamageTexture
        Real defect photos for the ``texture`` damage.
    regenerate : bool, optional
        Force or forbid the AI-editor round trip around the damage; random when None.
    """
    if damage is None:
        choices = [d for d in DAMAGES if d != "texture" or textures]
        damage = str(rng.choice(choices))
    if damage not in DAMAGES:
        raise ValueError(f"unknown damage {damage!r}; choose from {list(DAMAGES)}")
    if damage == "texture" and not textures:
        raise ValueError("damage 'texture' needs textures; pass load_textures(damage_dir)")
    h, w = image.shape[:2]
    fg = foreground_mask(image)
    ys, xs = np.nonzero(fg)
    extent = float(np.sqrt((ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)))
    radius = max(8.0, extent * rng.uniform(0.10, 0.25))
    scene = bool(fg.all())
    if scene:  # a scene, not a listing shot: the goods are usually near the middle
        centre_box = np.zeros((h, w), dtype=bool)
        centre_box[int(h * 0.2) : int(h * 0.8) + 1, int(w * 0.2) : int(w * 0.8) + 1] = True
        fg = centre_box
    inner = cv2.distanceTransform(fg.astype(np.uint8), cv2.DIST_L2, 5) > radius / 3
    pool = np.flatnonzero(inner.ravel()) if inner.any() else np.flatnonzero(fg.ravel())
    if damage == "missing":  # a chunk missing from the product's edge
        edge = fg & ~(cv2.erode(fg.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0)
        if edge.any() and not scene:
            pool = np.flatnonzero(edge.ravel())
    site = int(pool[int(rng.integers(0, pool.size))])
    centre = (float(site % w), float(site // w))
    img = image.astype(np.float32)
    painter = _PAINTERS[damage]
    if damage == "texture":
        out, mask = _texture(img, centre, radius, rng, textures)
    else:
        out, mask = painter(img, centre, radius, rng)
    regenerated = bool(rng.random() < 0.5) if regenerate is None else regenerate
    if regenerated:
        out, mask = _regenerate(out, mask, radius, rng)
    out_u8 = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    # The mask is the brush region plus any pixel moved by 3 levels or more; fainter tails
    # outside it are put back, so every changed pixel is inside the mask.
    diff = np.abs(out_u8.astype(np.int16) - image.astype(np.int16)).max(axis=2)
    mask = ndimage.binary_fill_holes(mask | (diff >= 3))
    out_u8 = np.where(mask[..., None], out_u8, image)
    if (
        not mask.any() or diff[mask].max(initial=0) < 3
    ):  # e.g. a stain on pure black: fall back to a visible crack
        return paint_damage(image, rng, damage="crack", regenerate=False)
    return Painted(out_u8, mask, damage, regenerated)


def _blur(x: np.ndarray, ksize: tuple[int, int], sigma: float) -> np.ndarray:
    """Gaussian blur that stays fast for large sigmas (blur a reduced copy, scale back)."""
    if sigma <= 6:
        return cv2.GaussianBlur(x, ksize, sigma)
    h, w = x.shape[:2]
    f = 4.0 / sigma
    small = cv2.resize(
        x, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA
    )
    small = cv2.GaussianBlur(small, (0, 0), 4.0)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _dilate(mask: Mask, px: int) -> Mask:
    if px <= 0:
        return mask
    if px > 4:  # large radii: a distance transform costs the same for any radius
        dist = cv2.distanceTransform((~mask.astype(bool)).astype(np.uint8), cv2.DIST_L2, 5)
        return dist <= px
    return cv2.dilate(mask.astype(np.uint8), np.ones((2 * px + 1, 2 * px + 1), np.uint8)) > 0


def _blob(
    shape: tuple[int, int],
    centre: tuple[float, float],
    radius: float,
    rng: np.random.Generator,
    elongation: float = 1.0,
) -> np.ndarray:
    """An irregular filled shape (float 0/1) around ``centre``."""
    h, w = shape
    n = 48
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    wobble = np.zeros(n)
    for k in range(1, 6):
        wobble += rng.normal(0, 0.25 / k) * np.cos(k * angles + rng.uniform(0, 2 * np.pi))
    r = radius * np.clip(1 + wobble, 0.35, 1.8)
    theta = rng.uniform(0, np.pi)
    x = r * np.cos(angles) * elongation
    y = r * np.sin(angles) / max(1.0, elongation**0.5)
    px = centre[0] + x * np.cos(theta) - y * np.sin(theta)
    py = centre[1] + x * np.sin(theta) + y * np.cos(theta)
    canvas = np.zeros((h, w), dtype=np.uint8)
    cv2.fillPoly(canvas, [np.stack([px, py], axis=1).round().astype(np.int32)], 255, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255.0


def _walk(
    start: tuple[float, float],
    theta: float,
    length: float,
    rng: np.random.Generator,
    paths: list[np.ndarray],
    depth: int = 0,
) -> None:
    steps = max(4, int(length / 3))
    step = length / steps
    pts = [start]
    x, y = start
    for _ in range(steps):
        theta += rng.normal(0, 0.3)
        x, y = x + step * np.cos(theta), y + step * np.sin(theta)
        pts.append((x, y))
        if depth < 2 and rng.random() < 0.06:
            _walk(
                (x, y),
                theta + rng.choice([-1, 1]) * rng.uniform(0.4, 1.0),
                length * rng.uniform(0.2, 0.5),
                rng,
                paths,
                depth + 1,
            )
    paths.append(np.array(pts))


def _draw_cracks(
    img: np.ndarray, paths: list[np.ndarray], radius: float, rng: np.random.Generator
) -> tuple[np.ndarray, Mask]:
    h, w = img.shape[:2]
    scale = 4  # draw at 4x with sub-pixel precision for anti-aliasing
    thick = max(1, round(max(radius / 20, min(h, w) / 250)))
    line = np.zeros((h, w), dtype=np.uint8)
    for p in paths:
        cv2.polylines(
            line,
            [(p * scale).round().astype(np.int32)],
            False,
            255,
            thickness=thick,
            lineType=cv2.LINE_AA,
            shift=2,
        )
    alpha = line.astype(np.float32) / 255.0
    shift = np.array([[1, 0, rng.choice([-1, 1])], [0, 1, rng.choice([-1, 1])]], dtype=np.float32)
    light = cv2.warpAffine(alpha, shift, (w, h)) * (1 - alpha)
    darkness = rng.uniform(0.7, 0.95)
    out = img * (1 - darkness * alpha[..., None]) + 70.0 * rng.uniform(0.4, 1.0) * light[..., None]
    return out, (alpha > 0.08) | (light > 0.15)


def _crack(
    img: np.ndarray, c: tuple[float, float], r: float, rng: np.random.Generator
) -> tuple[np.ndarray, Mask]:
    paths: list[np.ndarray] = []
    theta = rng.uniform(0, 2 * np.pi)
    _walk(c, theta, r * rng.uniform(1.2, 2.2), rng, paths)
    _walk(c, theta + np.pi + rng.normal(0, 0.3), r * rng.uniform(0.6, 1.4), rng, paths)
    return _draw_cracks(img, paths, r, rng)


def _shatter(
    img: np.ndarray, c: tuple[float, float], r: float, rng: np.random.Generator
) -> tuple[np.ndarray, Mask]:
    n = int(rng.integers(7, 15))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    paths: list[np.ndarray] = []
    ends = []
    for a in angles:
        length = r * rng.uniform(0.5, 1.3)
        steps = 8
        rr = np.linspace(0, length, steps)
        aa = a + np.cumsum(rng.normal(0, 0.06, steps))
        pts = np.stack([c[0] + rr * np.cos(aa), c[1] + rr * np.sin(aa)], axis=1)
        paths.append(pts)
        ends.append(pts)
    for ring in (0.3, 0.6):  # concentric fractures linking neighbouring rays
        for i in range(n):
            if rng.random() < 0.6:
                a, b = ends[i], ends[(i + 1) % n]
                k = int(ring * 7)
                paths.append(np.array([a[k], (a[k] + b[k]) / 2 + rng.normal(0, r * 0.03, 2), b[k]]))
    out, mask = _draw_cracks(img, paths, r, rng)
    spot = _blob(img.shape[:2], c, r * 0.08, rng)
    out = out * (1 - 0.5 * spot[..., None]) + 255 * 0.5 * spot[..., None]
    return out, mask | (spot > 0.1)


def _stain(
    img: np.ndarray, c: tuple[float, float], r: float, rng: np.random.Generator
) -> tuple[np.ndarray, Mask]:
    shape = img.shape[:2]
    blob = _blob(shape, c, r, rng)
    for _ in range(int(rng.integers(0, 4))):  # satellite drops
        off = rng.normal(0, r * 0.8, 2)
        blob = np.maximum(
            blob, _blob(shape, (c[0] + off[0], c[1] + off[1]), r * rng.uniform(0.1, 0.3), rng)
        )
    soft = _blur(blob, (0, 0), max(1.0, r / 10))
    ring = np.clip(
        soft
        - _blur(
            cv2.erode(blob, np.ones((3, 3), np.uint8), iterations=max(1, int(r / 12))),
            (0, 0),
            max(1.0, r / 10),
        ),
        0,
        1,
    )
    tints = {
        "coffee": (120, 78, 40),
        "wine": (130, 30, 60),
        "grease": (200, 170, 90),
        "water": (150, 150, 150),
        "ink": (40, 50, 110),
        "rust": (150, 80, 30),
    }
    tint = np.array(tints[str(rng.choice(list(tints)))], dtype=np.float32) / 255.0
    strength = rng.uniform(0.5, 0.85)
    a = (strength * soft + 0.4 * ring)[..., None]
    out = img * (1 - a + a * tint)
    return out, soft > 0.06


def _tear(
    img: np.ndarray,
    c: tuple[float, float],
    r: float,
    rng: np.random.Generator,
    elongation: float | None = None,
) -> tuple[np.ndarray, Mask]:
    shape = img.shape[:2]
    hole = _blob(shape, c, r * 0.6, rng, elongation=elongation or rng.uniform(2.0, 3.5))
    inside = hole > 0.5
    rim_w = max(2, int(r / 10))
    rim = (_dilate(inside, rim_w) & ~inside).astype(np.float32)
    fill = np.array(
        rng.choice([[25, 20, 18], [45, 38, 30], [70, 60, 50], [15, 15, 18]]), dtype=np.float32
    )
    tex = rng.normal(0, 8, size=(*shape, 1)).astype(np.float32)
    interior = _blur(hole, (0, 0), max(1.0, r / 8))  # darker towards the middle
    dark = fill * (0.7 + 0.3 * (1 - interior[..., None])) + tex
    out = img * (1 - hole[..., None]) + dark * hole[..., None]
    light = np.array([np.cos(t := rng.uniform(0, 2 * np.pi)), np.sin(t)])
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    side = ((xx - c[0]) * light[0] + (yy - c[1]) * light[1]) / max(r, 1)
    shade = np.clip(side, -1, 1) * rim  # lit fibres on one side, shadow on the other
    out = out + (90 * np.clip(shade, 0, 1) - 60 * np.clip(-shade, 0, 1))[..., None]
    return out, inside | (rim > 0)


def _hole(
    img: np.ndarray, c: tuple[float, float], r: float, rng: np.random.Generator
) -> tuple[np.ndarray, Mask]:
    return _tear(img, c, r * 0.8, rng, elongation=rng.uniform(1.0, 1.4))


def _dent(
    img: np.ndarray, c: tuple[float, float], r: float, rng: np.random.Generator
) -> tuple[np.ndarray, Mask]:
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xx - c[0], yy - c[1]
    sx, sy = rng.uniform(0.7, 1.3), rng.uniform(0.7, 1.3)
    g = np.exp(-((dx / (r * sx)) ** 2 + (dy / (r * sy)) ** 2))
    k = rng.uniform(0.15, 0.35)
    map_x = (c[0] + dx * (1 - k * g)).astype(np.float32)  # magnify the middle: pushed-in surface
    map_y = (c[1] + dy * (1 - k * g)).astype(np.float32)
    warped = cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    t = rng.uniform(0, 2 * np.pi)
    side = (dx * np.cos(t) + dy * np.sin(t)) / r
    shade = 1 + rng.uniform(0.2, 0.45) * np.clip(side, -1.5, 1.5) * g
    out = warped * shade[..., None]
    return out, g > 0.2


def _burn(
    img: np.ndarray, c: tuple[float, float], r: float, rng: np.random.Generator
) -> tuple[np.ndarray, Mask]:
    blob = _blob(img.shape[:2], c, r, rng)
    inside = (blob > 0.5).astype(np.uint8)
    dist = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    t = dist / max(float(dist.max()), 1.0)  # 0 at the edge, 1 in the middle
    char = np.array([12, 10, 8], np.float32)
    brown = np.array([70, 40, 18], np.float32)
    tan = np.array([165, 115, 60], np.float32)
    tt = t[..., None]
    colour = np.where(
        tt > 0.45,
        char + (brown - char) * (1 - (tt - 0.45) / 0.55),
        brown + (tan - brown) * (1 - tt / 0.45),
    )
    grain = _blur(rng.normal(0, 1, img.shape[:2]).astype(np.float32), (0, 0), 1.2)
    colour = colour * (1 + 0.25 * grain[..., None])
    alpha = _blur(np.clip(t * 4, 0, 1) * inside, (0, 0), max(1.0, r / 12))
    halo = _blur(blob, (0, 0), max(2.0, r / 4)) * 0.35  # scorched surround
    out = img * (1 - halo[..., None] * np.array([0.35, 0.5, 0.65], np.float32))
    out = out * (1 - alpha[..., None]) + colour * alpha[..., None]
    return out, (alpha > 0.05) | (halo > 0.04)


def _missing(
    img: np.ndarray, c: tuple[float, float], r: float, rng: np.random.Generator
) -> tuple[np.ndarray, Mask]:
    h, w = img.shape[:2]
    region = _blob((h, w), c, r * 0.8, rng, elongation=rng.uniform(1.0, 2.0)) > 0.5
    ys, xs = np.nonzero(region)
    if ys.size == 0:
        return img, region
    pad = max(8, int(r * 0.5))
    y0, y1 = max(0, ys.min() - pad), min(h, ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(w, xs.max() + pad + 1)
    f = min(1.0, 48.0 / max(r, 1.0))  # inpaint a reduced window: same look, bounded cost
    win = np.clip(img[y0:y1, x0:x1], 0, 255).astype(np.uint8)
    sw, sh = max(4, round((x1 - x0) * f)), max(4, round((y1 - y0) * f))
    small = cv2.resize(win, (sw, sh), interpolation=cv2.INTER_AREA)
    small_region = cv2.resize(
        region[y0:y1, x0:x1].astype(np.uint8) * 255, (sw, sh), interpolation=cv2.INTER_NEAREST
    )
    small_region = cv2.dilate(small_region, np.ones((3, 3), np.uint8))
    method = cv2.INPAINT_TELEA if rng.random() < 0.5 else cv2.INPAINT_NS
    filled = cv2.inpaint(small, small_region, 3.0, method)
    big = cv2.resize(filled, (x1 - x0, y1 - y0), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    out = img.copy()
    sel = region[y0:y1, x0:x1]
    out[y0:y1, x0:x1][sel] = big[sel]
    return out, region


def _texture(
    img: np.ndarray,
    c: tuple[float, float],
    r: float,
    rng: np.random.Generator,
    textures: Sequence[DamageTexture],
) -> tuple[np.ndarray, Mask]:
    tex = textures[int(rng.integers(0, len(textures)))]
    h, w = img.shape[:2]
    scale = 2 * r / max(tex.grey.shape)
    th, tw = max(4, int(tex.grey.shape[0] * scale)), max(4, int(tex.grey.shape[1] * scale))
    grey = cv2.resize(tex.grey, (tw, th), interpolation=cv2.INTER_AREA).astype(np.float32)
    tmask = (
        cv2.resize(tex.mask.astype(np.uint8) * 255, (tw, th), interpolation=cv2.INTER_LINEAR) > 127
    )
    if rng.random() < 0.5:
        grey, tmask = grey.T.copy(), tmask.T.copy()
        th, tw = tw, th
    ratio = grey / np.maximum(_blur(grey, (0, 0), max(2.0, max(th, tw) / 4)), 1.0)
    soft = _blur(_dilate(tmask, 2).astype(np.float32), (0, 0), 1.5)
    x0, y0 = int(c[0] - tw / 2), int(c[1] - th / 2)
    ax0, ay0, ax1, ay1 = max(0, x0), max(0, y0), min(w, x0 + tw), min(h, y0 + th)
    if ax1 <= ax0 or ay1 <= ay0:
        return _crack(img, c, r, rng)
    sl = (slice(ay0 - y0, ay1 - y0), slice(ax0 - x0, ax1 - x0))
    a = soft[sl][..., None]
    strength = rng.uniform(0.8, 1.3)
    out = img.copy()
    patch = out[ay0:ay1, ax0:ax1]
    out[ay0:ay1, ax0:ax1] = (
        patch * (1 - a) + patch * np.clip(1 + strength * (ratio[sl][..., None] - 1), 0.05, 2.0) * a
    )
    mask = np.zeros((h, w), dtype=bool)
    mask[ay0:ay1, ax0:ax1] = soft[sl] > 0.1
    return out, mask


def _regenerate(
    img: np.ndarray, mask: Mask, radius: float, rng: np.random.Generator
) -> tuple[np.ndarray, Mask]:
    """The brush region an AI editor re-synthesises: resampled, re-noised, feathered."""
    h, w = img.shape[:2]
    region = _dilate(mask, max(2, int(radius * rng.uniform(0.2, 0.6))))
    soft = _blur(region.astype(np.float32), (0, 0), max(1.0, radius / 10))[..., None]
    f = rng.uniform(0.6, 0.85)
    small = cv2.resize(img, (max(2, int(w * f)), max(2, int(h * f))), interpolation=cv2.INTER_AREA)
    redone = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    redone = redone + rng.normal(0, rng.uniform(0.8, 2.5), size=(h, w, 1)).astype(np.float32)
    out = img * (1 - soft) + redone * soft
    return out, mask | (soft[..., 0] > 0.5)


_PAINTERS: dict[
    str,
    Callable[
        [np.ndarray, tuple[float, float], float, np.random.Generator], tuple[np.ndarray, Mask]
    ],
] = {
    "crack": _crack,
    "shatter": _shatter,
    "stain": _stain,
    "tear": _tear,
    "hole": _hole,
    "dent": _dent,
    "burn": _burn,
    "missing": _missing,
    "texture": _crack,  # placeholder; texture has its own path with the texture list
}
