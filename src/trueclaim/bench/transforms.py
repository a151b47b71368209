"""Evasion transforms a buyer applies after painting damage in, each keeping the mask aligned.

Every transform takes ``(image, mask, rng)`` and returns ``(image, mask)``: ``image`` is RGB
uint8, ``mask`` a boolean array of the same height and width (or None for an unedited photo)
marking the painted pixels. Geometry moves the mask with the image; overlays (stickers, text,
screenshot chrome) are placed so they do not hide the damage, and the mask never marks them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont, TiffImagePlugin

from trueclaim.forensics.types import Mask, RGBImage

Transform = Callable[[RGBImage, "Mask | None", np.random.Generator], "tuple[RGBImage, Mask | None]"]


def _u8(img: np.ndarray) -> RGBImage:
    return np.asarray(np.clip(img, 0, 255), dtype=np.uint8)


def _warp_mask(mask: Mask | None, fn: Callable[[np.ndarray], np.ndarray]) -> Mask | None:
    if mask is None:
        return None
    return fn(mask.astype(np.uint8) * 255) > 127


def crop(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Cut a random window (55-95% of each side) that keeps the painted region in view."""
    h, w = image.shape[:2]
    ch = max(16, int(h * rng.uniform(0.55, 0.95)))
    cw = max(16, int(w * rng.uniform(0.55, 0.95)))
    y_lo, y_hi, x_lo, x_hi = 0, h - ch, 0, w - cw
    if mask is not None and mask.any():
        ys, xs = np.nonzero(mask)
        # keep the box's centre inside the window where the sizes allow
        cy, cx = int(ys.mean()), int(xs.mean())
        y_lo, y_hi = max(0, cy - ch + ch // 4), min(h - ch, cy - ch // 4)
        x_lo, x_hi = max(0, cx - cw + cw // 4), min(w - cw, cx - cw // 4)
        if y_lo > y_hi:
            y_lo = y_hi = int(np.clip(cy - ch // 2, 0, h - ch))
        if x_lo > x_hi:
            x_lo = x_hi = int(np.clip(cx - cw // 2, 0, w - cw))
    y0 = int(rng.integers(y_lo, y_hi + 1))
    x0 = int(rng.integers(x_lo, x_hi + 1))
    out_mask = None if mask is None else mask[y0 : y0 + ch, x0 : x0 + cw].copy()
    return np.ascontiguousarray(image[y0 : y0 + ch, x0 : x0 + cw]), out_mask


def rescale(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Resize by 0.4-1.6 (area filter down, cubic up), as apps and editors do."""
    h, w = image.shape[:2]
    f = float(rng.choice([rng.uniform(0.4, 0.85), rng.uniform(1.15, 1.6)]))
    size = (max(16, round(w * f)), max(16, round(h * f)))
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
    out = np.asarray(cv2.resize(image, size, interpolation=interp), dtype=np.uint8)
    return out, _warp_mask(mask, lambda m: cv2.resize(m, size, interpolation=cv2.INTER_LINEAR))


def rotate(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Rotate by 1-8 degrees either way and crop away the empty corners."""
    h, w = image.shape[:2]
    angle = float(rng.uniform(1, 8) * rng.choice([-1, 1]))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    out_mask = _warp_mask(
        mask, lambda x: cv2.warpAffine(x, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    )
    a = np.deg2rad(abs(angle))
    my = int(np.ceil(w / 2 * np.sin(a) + h / 2 * (1 - np.cos(a)))) + 1
    mx = int(np.ceil(h / 2 * np.sin(a) + w / 2 * (1 - np.cos(a)))) + 1
    if h - 2 * my >= 16 and w - 2 * mx >= 16:
        out = out[my : h - my, mx : w - mx]
        out_mask = None if out_mask is None else out_mask[my : h - my, mx : w - mx]
    return np.ascontiguousarray(out), out_mask


def mirror(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Flip left-right, which defeats naive pixel comparison with the listing."""
    out_mask = None if mask is None else np.ascontiguousarray(mask[:, ::-1])
    return np.ascontiguousarray(image[:, ::-1]), out_mask


def perspective(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Move each corner by up to 8% of the size: a photo "taken" at a slant."""
    h, w = image.shape[:2]
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    jitter = rng.uniform(0.02, 0.08, size=(4, 2)) * np.array([w, h])
    sign = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]])
    moved = src + sign * jitter * rng.choice([0, 1], size=(4, 1), p=[0.2, 0.8])
    dst = np.asarray(moved, dtype=np.float32)
    m = cv2.getPerspectiveTransform(dst, src)  # stretch an inner quad to the full frame
    out = np.asarray(
        cv2.warpPerspective(
            image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        ),
        dtype=np.uint8,
    )
    return out, _warp_mask(
        mask, lambda x: cv2.warpPerspective(x, m, (w, h), flags=cv2.INTER_LINEAR)
    )


def colour_filter(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """An app filter: white-balance gains, saturation, contrast and a tone curve."""
    img: np.ndarray = image.astype(np.float32)
    gains = rng.uniform(0.85, 1.15, size=3)
    img = img * gains
    grey = img.mean(axis=2, keepdims=True)
    img = grey + (img - grey) * rng.uniform(0.6, 1.4)
    img = (img - 128.0) * rng.uniform(0.8, 1.25) + 128.0 + rng.uniform(-15, 15)
    if rng.random() < 0.3:  # warm "vintage" split toning
        img = img * np.array([1.06, 1.0, 0.88]) + np.array([8, 4, 0])
    return _u8(img), mask


def gamma(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Brighten or darken with a gamma of 0.6-1.6."""
    g = float(rng.choice([rng.uniform(0.6, 0.9), rng.uniform(1.15, 1.6)]))
    lut = np.clip(255.0 * (np.arange(256) / 255.0) ** g, 0, 255).astype(np.uint8)
    return lut[image], mask


def noise(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Add Gaussian sensor-like noise (sigma 2-9), sometimes per channel."""
    sigma = rng.uniform(2, 9)
    shape = image.shape if rng.random() < 0.5 else (*image.shape[:2], 1)
    return _u8(image.astype(np.float32) + rng.normal(0, sigma, size=shape)), mask


def blur(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Soften with a Gaussian (sigma 0.6-1.8), as beauty filters and resampling do."""
    sigma = float(rng.uniform(0.6, 1.8))
    return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), dtype=np.uint8), mask


def jpeg(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Recompress at low quality (25-60), once or twice, as chat apps do."""
    out = image
    for _ in range(int(rng.integers(1, 3))):
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, format="JPEG", quality=int(rng.integers(25, 61)))
        out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return np.ascontiguousarray(out), mask


def screenshot(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Frame the photo as a phone screenshot: status bar, app chrome, nav bar, borders."""
    width = int(rng.choice([720, 828, 1080]))
    height = int(width * rng.uniform(1.9, 2.2))
    dark = bool(rng.random() < 0.4)
    bg = (0, 0, 0) if dark else (int(rng.integers(235, 256)),) * 3
    fg = (255, 255, 255) if dark else (20, 20, 20)
    canvas = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(canvas)
    unit = width / 360.0
    status_h, title_h, nav_h = int(24 * unit), int(48 * unit), int(48 * unit)
    small = ImageFont.load_default(size=max(10, int(13 * unit)))
    big = ImageFont.load_default(size=max(12, int(17 * unit)))
    clock = f"{int(rng.integers(0, 24))}:{int(rng.integers(0, 60)):02d}"
    draw.text((int(12 * unit), int(4 * unit)), clock, fill=fg, font=small)
    bx = width - int(40 * unit)  # battery
    draw.rectangle(
        (bx, int(7 * unit), bx + int(22 * unit), int(17 * unit)),
        outline=fg,
        width=max(1, int(unit)),
    )
    level = rng.uniform(0.15, 1.0)
    draw.rectangle(
        (bx + 2, int(9 * unit), bx + 2 + int(18 * unit * level), int(15 * unit)), fill=fg
    )
    draw.text((bx - int(40 * unit), int(4 * unit)), f"{int(level * 100)}%", fill=fg, font=small)
    for i in range(4):  # signal bars
        x = int((70 + i * 5) * unit)
        draw.rectangle((x, int((17 - 3 * i) * unit), x + int(3 * unit), int(17 * unit)), fill=fg)
    y = status_h
    chrome = bool(rng.random() < 0.75)
    if chrome:
        draw.text((int(14 * unit), y + int(12 * unit)), "<", fill=fg, font=big)
        title = str(
            rng.choice(["Photo", "Order details", "IMG_2048.JPG", "Refund request", "Album"])
        )
        draw.text((int(44 * unit), y + int(12 * unit)), title, fill=fg, font=big)
        draw.text((width - int(40 * unit), y + int(12 * unit)), "...", fill=fg, font=big)
        y += title_h
    bottom = height - nav_h - (int(56 * unit) if chrome else 0)
    avail_w, avail_h = width, bottom - y
    h, w = image.shape[:2]
    scale = min(avail_w / w, avail_h / h)
    size = (max(8, int(w * scale)), max(8, int(h * scale)))
    photo = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    px, py = (avail_w - size[0]) // 2, y + (avail_h - size[1]) // 2
    canvas.paste(Image.fromarray(photo), (px, py))
    if chrome:  # toolbar under the photo
        ty = bottom + int(16 * unit)
        for i, label in enumerate(["Share", "Edit", "Like", "Delete"]):
            draw.text((int((24 + i * 84) * unit), ty), label, fill=fg, font=small)
    ny = height - nav_h // 2
    draw.rounded_rectangle(
        (
            width // 2 - int(60 * unit),
            ny - int(2 * unit),
            width // 2 + int(60 * unit),
            ny + int(2 * unit),
        ),
        radius=max(1, int(2 * unit)),
        fill=fg,
    )
    out = np.asarray(canvas, dtype=np.uint8).copy()
    out_mask = None
    if mask is not None:
        out_mask = np.zeros((height, width), dtype=bool)
        m = cv2.resize(mask.astype(np.uint8) * 255, size, interpolation=cv2.INTER_LINEAR) > 127
        out_mask[py : py + size[1], px : px + size[0]] = m
    return out, out_mask


def recapture(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Show the photo on a screen and photograph it: subpixel grid (moiré), slant, cast, glare."""
    h, w = image.shape[:2]
    up = cv2.resize(image, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    yy, xx = np.mgrid[0 : h * 2, 0 : w * 2].astype(np.float32)
    pitch = rng.uniform(2.1, 3.4)
    theta = rng.uniform(-0.08, 0.08)
    u = xx * np.cos(theta) + yy * np.sin(theta)
    v = -xx * np.sin(theta) + yy * np.cos(theta)
    rows = 0.82 + 0.18 * (np.cos(2 * np.pi * v / pitch) > -0.6)
    for c in range(3):  # RGB stripes, a third of a pixel apart
        stripe = 0.75 + 0.25 * np.cos(2 * np.pi * (u / pitch - c / 3.0))
        up[..., c] *= stripe * rows
    out = cv2.resize(up, (w, h), interpolation=cv2.INTER_LINEAR)  # aliasing makes the moiré
    out = out * rng.uniform(0.9, 1.25, size=3) * 1.1  # screen white point, exposure
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    glare = np.exp(
        -(((xx[::2, ::2] - cx) / (w * 0.3)) ** 2 + ((yy[::2, ::2] - cy) / (h * 0.3)) ** 2)
    )
    out = out + rng.uniform(10, 60) * glare[..., None]
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.1))
    out = out + rng.normal(0, rng.uniform(2, 5), size=out.shape)
    return perspective(_u8(out), mask, rng)


_STICKER_TEXT = (
    "broken!",
    "refund pls",
    "damaged",
    "received like this",
    "SOLD",
    "2025",
    "@buyer",
    "what is this??",
    "quality issue",
    "very bad",
)


def sticker(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Put 1-3 emoji-like stickers or arrows on the photo, away from the damage."""
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    h, w = image.shape[:2]
    for _ in range(int(rng.integers(1, 4))):
        r = int(max(8, min(h, w) * rng.uniform(0.05, 0.12)))
        x, y = _free_spot(mask, r, rng, (h, w))
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        if rng.random() < 0.6:
            draw.ellipse(
                (x - r, y - r, x + r, y + r), fill=colour, outline=(0, 0, 0), width=max(1, r // 8)
            )
            draw.ellipse((x - r // 2, y - r // 3, x - r // 4, y), fill=(0, 0, 0))
            draw.ellipse((x + r // 4, y - r // 3, x + r // 2, y), fill=(0, 0, 0))
            draw.arc(
                (x - r // 2, y - r // 4, x + r // 2, y + r // 2),
                20,
                160,
                fill=(0, 0, 0),
                width=max(1, r // 8),
            )
        else:
            draw.line((x - r, y + r, x + r, y - r), fill=colour, width=max(2, r // 4))
            draw.polygon([(x + r, y - r), (x + r // 3, y - r), (x + r, y - r // 3)], fill=colour)
    return _keep_mask(np.asarray(canvas, dtype=np.uint8), image, mask)


def text(
    image: RGBImage, mask: Mask | None, rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Write a caption, handle or date on the photo, away from the damage."""
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    h, w = image.shape[:2]
    size = max(10, int(min(h, w) * rng.uniform(0.04, 0.09)))
    font = ImageFont.load_default(size=size)
    caption = str(rng.choice(_STICKER_TEXT))
    x, y = _free_spot(mask, size * 2, rng, (h, w))
    colour = tuple(
        int(c) for c in rng.choice([[255, 255, 255], [255, 40, 40], [250, 220, 0], [0, 0, 0]])
    )
    draw.text(
        (max(0, x - size * 2), y),
        caption,
        fill=colour,
        font=font,
        stroke_width=max(1, size // 12),
        stroke_fill=(0, 0, 0) if colour != (0, 0, 0) else (255, 255, 255),
    )
    return _keep_mask(np.asarray(canvas, dtype=np.uint8), image, mask)


def _free_spot(
    mask: Mask | None, r: int, rng: np.random.Generator, shape: tuple[int, int]
) -> tuple[int, int]:
    h, w = shape
    best = (int(rng.integers(0, w)), int(rng.integers(0, h)))
    if mask is None or not mask.any():
        return best
    for _ in range(30):
        x, y = int(rng.integers(r, max(r + 1, w - r))), int(rng.integers(r, max(r + 1, h - r)))
        if not mask[max(0, y - 2 * r) : y + 2 * r, max(0, x - 3 * r) : x + 3 * r].any():
            return x, y
    return best


def _keep_mask(out: RGBImage, before: RGBImage, mask: Mask | None) -> tuple[RGBImage, Mask | None]:
    """The mask marks visible painted pixels: drop what an overlay now hides."""
    if mask is None:
        return out, None
    covered = np.any(out != before, axis=2)
    return out, mask & ~covered


TRANSFORMS: dict[str, Transform] = {
    "crop": crop,
    "rescale": rescale,
    "rotate": rotate,
    "mirror": mirror,
    "perspective": perspective,
    "filter": colour_filter,
    "gamma": gamma,
    "noise": noise,
    "blur": blur,
    "jpeg": jpeg,
    "screenshot": screenshot,
    "recapture": recapture,
    "sticker": sticker,
    "text": text,
}
"""Name -> transform; ``exif`` is not here because it acts on the encoded file."""


def apply_transforms(
    image: RGBImage, mask: Mask | None, names: list[str] | tuple[str, ...], rng: np.random.Generator
) -> tuple[RGBImage, Mask | None]:
    """Apply the named transforms in order."""
    for name in names:
        try:
            fn = TRANSFORMS[name]
        except KeyError:
            raise ValueError(
                f"unknown transform {name!r}; choose from {sorted(TRANSFORMS)}"
            ) from None
        image, mask = fn(image, mask, rng)
    return image, mask


_CAMERAS = (
    ("Apple", "iPhone 14 Pro"),
    ("Apple", "iPhone 13"),
    ("Apple", "iPhone 15 Pro Max"),
    ("Xiaomi", "23078RKD5C"),
    ("HUAWEI", "ALN-AL00"),
    ("HUAWEI", "P40 Pro"),
    ("OPPO", "PHB110"),
    ("vivo", "V2309A"),
    ("samsung", "SM-S9180"),
    ("Google", "Pixel 8"),
)


def fake_camera_exif(rng: np.random.Generator, when: datetime) -> Image.Exif:
    """Camera EXIF a forger adds to look like a fresh phone photo: Make, Model, times."""
    make, model = _CAMERAS[int(rng.integers(0, len(_CAMERAS)))]
    exif = Image.Exif()
    stamp = when.strftime("%Y:%m:%d %H:%M:%S")
    exif[0x010F] = make
    exif[0x0110] = model
    exif[0x0132] = stamp  # DateTime
    exif[0x0112] = 1  # Orientation
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = stamp  # DateTimeOriginal
    sub[0x9004] = stamp  # DateTimeDigitized
    sub[0x829A] = TiffImagePlugin.IFDRational(
        1, int(rng.choice([30, 60, 100, 120, 250]))
    )  # ExposureTime
    sub[0x8827] = int(rng.choice([50, 100, 200, 400]))  # ISO
    return exif
