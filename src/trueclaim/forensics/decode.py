"""Bytes to pixels: the engine's only decoder.

Every format the engine accepts goes through :func:`decode_image`: JPEG, PNG, WebP, GIF (first
frame), TIFF, BMP, HEIC/HEIF, AVIF and MPO. EXIF orientation is applied. Limits on bytes and
pixels are checked from the header before any pixel is decoded, so a decompression bomb costs
nothing. A reduced-size decode (``max_side``) uses JPEG DCT scaling through Pillow's ``draft``;
the caller's bytes are never modified.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from struct import error as struct_error
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from trueclaim.forensics.errors import InvalidParameter, UnreadableImage, UnsupportedFormat
from trueclaim.forensics.types import RGBImage

ImageFile.LOAD_TRUNCATED_IMAGES = False

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True


ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP", "HEIF", "AVIF", "MPO"})

_MIME = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "TIFF": "image/tiff",
    "BMP": "image/bmp",
    "HEIF": "image/heic",
    "AVIF": "image/avif",
}


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    """Hard limits on input size. Defaults fit a phone photo with a wide margin."""

    max_bytes: int = 64 * 1024 * 1024
    max_pixels: int = 120_000_000
    max_side: int = 30_000


DEFAULT_LIMITS = DecodeLimits()


@dataclass(frozen=True, slots=True, eq=False)
class DecodedImage:
    """Pixels (RGB, orientation applied) plus what the container said about them.

    ``width``/``height`` are the full-resolution size after orientation; ``pixels`` may be
    smaller when a reduced decode was asked for, and ``scale`` = pixels width / width.
    """

    pixels: RGBImage
    format: str
    mime: str
    width: int
    height: int
    scale: float
    mode: str
    orientation: int
    n_frames: int
    has_alpha: bool
    info: dict[str, Any] = field(default_factory=dict)
    # The alpha plane exactly as stored (before orientation), for full-resolution decodes of
    # images that have one: generators hide data in its least significant bits.
    alpha: npt.NDArray[np.uint8] | None = None


def sniff_format(data: bytes) -> str | None:
    """Name the container from its magic bytes, or None when unknown."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if data[:2] == b"BM":
        return "BMP"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "AVIF"
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"):
            return "HEIF"
        return "ISOBMFF"
    if data[:4] == b"%PDF":
        return "PDF"
    return None


def decode_image(
    data: bytes,
    *,
    max_side: int | None = None,
    limits: DecodeLimits = DEFAULT_LIMITS,
) -> DecodedImage:
    """Decode image bytes to an RGB array with EXIF orientation applied.

    Parameters
    ----------
    data : bytes
        The file's bytes, untouched.
    max_side : int, optional
        If given, the longer side of the returned pixels is at most this (JPEGs are decoded
        at reduced DCT scale, others resized with area averaging).
    limits : DecodeLimits, optional
        Byte and pixel limits checked before decoding.

    Returns
    -------
    DecodedImage

    Raises
    ------
    UnreadableImage
        Empty, truncated or corrupt bytes, or bytes over the limits.
    UnsupportedFormat
        A recognised file that is not an accepted image format.
    InvalidParameter
        If ``max_side`` is not positive.
    """
    if max_side is not None and max_side < 16:
        raise InvalidParameter(f"max_side must be at least 16 pixels, got {max_side}.")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidParameter(f"decode_image takes bytes, got {type(data).__name__}.")
    data = bytes(data)
    if not data:
        raise UnreadableImage(
            "The file is empty (0 bytes). Upload the original photo file.", reason="empty"
        )
    if len(data) > limits.max_bytes:
        raise UnreadableImage(
            f"The file is {len(data) / 2**20:.1f} MiB, over the limit of "
            f"{limits.max_bytes / 2**20:.0f} MiB. Upload a smaller photo or raise the limit.",
            reason="too-large",
        )
    sniffed = sniff_format(data)
    _check_declared_size(data, sniffed, limits)
    if sniffed in ("HEIF", "AVIF", "ISOBMFF"):
        _register_heif()
    try:
        with warnings.catch_warnings():
            # Pillow warns (UserWarning) about corrupt EXIF it skips; the pixels are still
            # fine and the metadata reader reports the broken block, so the warning adds
            # nothing here. Bombs stay errors.
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            return _decode_opened(im, data, sniffed, max_side, limits)
    except (UnreadableImage, UnsupportedFormat):
        raise
    except UnidentifiedImageError as exc:
        if sniffed in (None, "ISOBMFF", "PDF"):
            raise UnsupportedFormat(
                "The file is not an image in an accepted format (JPEG, PNG, WebP, GIF, TIFF, "
                f"BMP, HEIC/HEIF, AVIF){'; it looks like ' + sniffed if sniffed else ''}. "
                "Upload the original photo.",
                detected=sniffed,
            ) from exc
        raise UnreadableImage(
            f"The file starts like a {sniffed} image but cannot be decoded; it is probably "
            "corrupt. Upload the original file again.",
            reason="corrupt",
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnreadableImage(
            f"The image declares too many pixels ({exc}). It is either corrupt or a "
            "decompression bomb; upload a normal photo.",
            reason="too-large",
        ) from exc
    except (
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        IndexError,
        KeyError,
        TypeError,
        struct_error,
        MemoryError,
        ZeroDivisionError,
        RuntimeError,
    ) as exc:
        text = str(exc) or type(exc).__name__
        reason = "truncated" if "truncated" in text.lower() else "corrupt"
        raise UnreadableImage(
            f"The {sniffed or 'image'} file cannot be decoded ({text}). It is {reason}; "
            "upload the complete original file.",
            reason=reason,
        ) from exc


def _check_declared_size(data: bytes, sniffed: str | None, limits: DecodeLimits) -> None:
    """Refuse a PNG whose IHDR declares too many pixels, before Pillow sees it."""
    if sniffed != "PNG" or len(data) < 24 or data[12:16] != b"IHDR":
        return
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    _check_pixels(width, height, limits)


def _check_pixels(width: int, height: int, limits: DecodeLimits) -> None:
    if width * height > limits.max_pixels or max(width, height) > limits.max_side:
        raise UnreadableImage(
            f"The image declares {width}x{height} pixels, over the limit of "
            f"{limits.max_pixels:,} pixels ({limits.max_side} per side). It is a "
            "decompression bomb or not a photo; upload a normal photo.",
            reason="too-large",
        )


def _decode_opened(
    im: Image.Image,
    data: bytes,
    sniffed: str | None,
    max_side: int | None,
    limits: DecodeLimits,
) -> DecodedImage:
    fmt = (im.format or sniffed or "").upper()
    if fmt not in ACCEPTED_FORMATS:
        raise UnsupportedFormat(
            f"{fmt or 'This'} files are not accepted; send JPEG, PNG, WebP, GIF, TIFF, BMP, "
            "HEIC/HEIF or AVIF.",
            detected=fmt or None,
        )
    width, height = im.size
    if width <= 0 or height <= 0:
        raise UnreadableImage("The image has no pixels (zero width or height).", reason="corrupt")
    _check_pixels(width, height, limits)
    n_frames = int(getattr(im, "n_frames", 1) or 1)
    if n_frames > 1:
        im.seek(0)
    if max_side is not None and fmt in ("JPEG", "MPO") and max(width, height) > max_side:
        # DCT scaling to the smallest 1/2^k size that still keeps ~0.7 x max_side.
        target = max(16, int(max_side * 0.7))
        im.draft("RGB", (target, target))
    im.load()
    exif = im.getexif()
    orientation = int(exif.get(0x0112, 1) or 1) if exif else 1
    info = {str(k): v for k, v in im.info.items()}
    mode = im.mode
    has_alpha = mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info)
    alpha = None
    if has_alpha and (max_side is None or max(width, height) <= max_side):
        alpha = np.asarray(im.convert("RGBA").getchannel("A"), dtype=np.uint8)
    im = ImageOps.exif_transpose(im) or im
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    rgb = _to_rgb(im)
    if max_side is not None and max(rgb.shape[:2]) > max_side:
        import cv2

        f = max_side / max(rgb.shape[:2])
        size = (max(1, round(rgb.shape[1] * f)), max(1, round(rgb.shape[0] * f)))
        rgb = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return DecodedImage(
        pixels=np.ascontiguousarray(rgb),
        format=fmt,
        mime=_MIME.get(fmt, "application/octet-stream"),
        width=width,
        height=height,
        scale=rgb.shape[1] / width,
        mode=mode,
        orientation=orientation,
        n_frames=n_frames,
        has_alpha=has_alpha,
        info=info,
        alpha=alpha,
    )


def _to_rgb(im: Image.Image) -> RGBImage:
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float64)
        hi = arr.max() or 1.0
        arr = (arr / hi * 255.0).clip(0, 255).astype(np.uint8)
        return np.repeat(arr[:, :, None], 3, axis=2)
    if im.mode == "F":
        arr = np.nan_to_num(np.asarray(im, dtype=np.float64))
        arr = (arr - arr.min()) / (np.ptp(arr) or 1.0) * 255.0
        return np.repeat(arr.astype(np.uint8)[:, :, None], 3, axis=2)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        # Composite on white: transparent product cut-outs are shown on white in listings.
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(bg, rgba).convert("RGB"), dtype=np.uint8)
    return np.asarray(im.convert("RGB"), dtype=np.uint8)
