from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from tests.conftest import encode
from trueclaim.forensics import (
    DecodeLimits,
    InvalidParameter,
    UnreadableImage,
    UnsupportedFormat,
    decode_image,
    sniff_format,
)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP"])
def test_decodes_every_plain_format(photo: np.ndarray, fmt: str) -> None:
    decoded = decode_image(encode(photo, fmt))
    assert decoded.pixels.shape == photo.shape
    assert decoded.pixels.dtype == np.uint8
    assert decoded.format == fmt
    if fmt in ("PNG", "TIFF", "BMP", "WEBP") and fmt != "WEBP":
        assert np.array_equal(decoded.pixels, photo)


def test_decodes_heif_and_avif(photo: np.ndarray) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    for fmt in ("HEIF", "AVIF"):
        decoded = decode_image(encode(photo, fmt, quality=90))
        assert decoded.format == fmt
        assert decoded.pixels.shape == photo.shape
        assert np.abs(decoded.pixels.astype(int) - photo).mean() < 8


def test_gif_first_frame_only(photo: np.ndarray) -> None:
    frames = [Image.fromarray(photo), Image.fromarray(255 - photo)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    decoded = decode_image(buf.getvalue())
    assert decoded.n_frames == 2
    assert abs(decoded.pixels.mean() - photo.mean()) < 15


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_applied(photo: np.ndarray, orientation: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(photo, "PNG", exif=exif.tobytes())
    decoded = decode_image(data)
    h, w = photo.shape[:2]
    expect = (w, h) if orientation in (5, 6, 7, 8) else (h, w)
    assert decoded.pixels.shape[:2] == expect
    assert (decoded.height, decoded.width) == expect
    assert decoded.orientation == orientation


def test_reduced_decode_keeps_aspect_and_limits_side() -> None:
    rgb = np.random.default_rng(0).integers(0, 255, (3000, 4000, 3), dtype=np.uint8)
    data = encode(rgb, "JPEG", quality=80)
    decoded = decode_image(data, max_side=1024)
    assert max(decoded.pixels.shape[:2]) <= 1024
    assert (decoded.width, decoded.height) == (4000, 3000)
    assert decoded.scale == pytest.approx(decoded.pixels.shape[1] / 4000)


def test_zero_bytes() -> None:
    with pytest.raises(UnreadableImage, match="empty") as info:
        decode_image(b"")
    assert info.value.reason == "empty"


def test_truncated_jpeg(photo: np.ndarray) -> None:
    data = encode(photo, "JPEG")
    with pytest.raises(UnreadableImage) as info:
        decode_image(data[: len(data) // 2])
    assert info.value.reason == "truncated"


def _png_header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


def test_huge_png_header_is_refused_before_decoding() -> None:
    with pytest.raises(UnreadableImage, match="decompression bomb") as info:
        decode_image(_png_header_only(100_000, 100_000))
    assert info.value.reason == "too-large"


def test_byte_limit() -> None:
    with pytest.raises(UnreadableImage, match="over the limit"):
        decode_image(b"\xff\xd8\xff" + b"\0" * 2000, limits=DecodeLimits(max_bytes=1000))


def test_png_with_100mb_text_chunk_is_refused_without_reading_it(photo: np.ndarray) -> None:
    png = encode(photo, "PNG")
    # A zTXt chunk that inflates to 100 MB: Pillow's text limit trips, we report it cleanly.
    payload = b"comment\0\0" + zlib.compress(b"A" * 100_000_000, 9)
    chunk = b"zTXt" + payload
    blob = struct.pack(">I", len(payload)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    data = png[:33] + blob + png[33:]
    decoded_or_error: object
    try:
        decoded_or_error = decode_image(data)
    except UnreadableImage as exc:
        decoded_or_error = exc
    if isinstance(decoded_or_error, UnreadableImage):
        assert "cannot be decoded" in str(decoded_or_error)
    else:
        # Pillow drops the oversize text and keeps the pixels: that is fine too.
        assert decoded_or_error.pixels.shape == photo.shape  # type: ignore[attr-defined]


def test_wrong_extension_is_irrelevant(photo: np.ndarray) -> None:
    # Decoding goes by content, never by name.
    assert decode_image(encode(photo, "PNG")).format == "PNG"
    assert sniff_format(encode(photo, "PNG")) == "PNG"


def test_not_an_image() -> None:
    with pytest.raises(UnsupportedFormat):
        decode_image(b"%PDF-1.7\n" + b"x" * 100)
    with pytest.raises(UnsupportedFormat):
        decode_image(b"hello world, not an image")


def test_corrupt_png_body(photo: np.ndarray) -> None:
    data = bytearray(encode(photo, "PNG"))
    data[60:400] = b"\0" * 340
    with pytest.raises(UnreadableImage):
        decode_image(bytes(data))


def test_max_side_validated() -> None:
    with pytest.raises(InvalidParameter):
        decode_image(b"x", max_side=0)


def test_decode_never_modifies_input(photo: np.ndarray) -> None:
    data = encode(photo, "JPEG")
    copy = bytes(data)
    decode_image(data, max_side=64)
    assert data == copy
