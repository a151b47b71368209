"""Generation parameters hidden in pixel LSBs ("stealth pnginfo").

Stable Diffusion WebUI extensions and NovelAI write the generation text into the least
significant bits of the alpha channel, read column by column (x outer, y inner): a 120-bit
magic (``stealth_pnginfo`` plain, ``stealth_pngcomp`` gzip), a 32-bit big-endian bit length,
then the payload. Community variants use the RGB channels' LSBs (``stealth_rgbinfo``,
``stealth_rgbcomp``), three bits a pixel in the same order. See ai-labels.md §4.3.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_MAGIC_BITS = 120
_LENGTH_BITS = 32
_MAX_PAYLOAD_BITS = 8 * 1024 * 1024  # 1 MiB of text is more than any real parameter block
_ALPHA_MAGICS = {b"stealth_pnginfo": False, b"stealth_pngcomp": True}
_RGB_MAGICS = {b"stealth_rgbinfo": False, b"stealth_rgbcomp": True}


@dataclass(frozen=True, slots=True)
class StealthInfo:
    """A decoded hidden parameter block."""

    magic: str
    channel: str  # "alpha" or "rgb"
    text: str


def read_stealth_info(
    rgb: npt.NDArray[np.uint8], alpha: npt.NDArray[np.uint8] | None
) -> StealthInfo | None:
    """Return the hidden generation text, or None when the pixels carry none.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
        Pixels as stored (no orientation applied, full resolution).
    alpha : (H, W) uint8 ndarray or None
        The stored alpha plane, if the image has one.
    """
    # Look at the magic first (the first pixels in column-major order): the full
    # transposition costs tens of milliseconds on a phone photo and is done only on a hit.
    if alpha is not None and alpha.ndim == 2 and alpha.size:
        head = _head(alpha[:, :, None], _MAGIC_BITS)
        if _has_magic(head, _ALPHA_MAGICS):
            found = _read(_lsb(alpha.T.ravel()), _ALPHA_MAGICS, "alpha")
            if found is not None:
                return found
    if rgb.ndim == 3 and rgb.size and _has_magic(_head(rgb, _MAGIC_BITS), _RGB_MAGICS):
        return _read(_lsb(rgb.transpose(1, 0, 2).ravel()), _RGB_MAGICS, "rgb")
    return None


def _head(pixels: npt.NDArray[np.uint8], n_bits: int) -> npt.NDArray[np.uint8]:
    """The first ``n_bits`` LSBs in column-major order, reading only the columns needed."""
    height, _, channels = pixels.shape
    columns = -(-n_bits // (height * channels)) + 1
    return _lsb(pixels[:, :columns, :].transpose(1, 0, 2).ravel()[:n_bits])


def _lsb(values: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    return np.bitwise_and(values, np.uint8(1))


def _has_magic(bits: npt.NDArray[np.uint8], magics: dict[bytes, bool]) -> bool:
    return bits.size >= _MAGIC_BITS and np.packbits(bits[:_MAGIC_BITS]).tobytes() in magics


def _read(
    bits: npt.NDArray[np.uint8], magics: dict[bytes, bool], channel: str
) -> StealthInfo | None:
    if bits.size < _MAGIC_BITS + _LENGTH_BITS:
        return None
    magic = np.packbits(bits[:_MAGIC_BITS]).tobytes()
    if magic not in magics:
        return None
    length = int.from_bytes(
        np.packbits(bits[_MAGIC_BITS : _MAGIC_BITS + _LENGTH_BITS]).tobytes(), "big"
    )
    start = _MAGIC_BITS + _LENGTH_BITS
    if length <= 0 or length > _MAX_PAYLOAD_BITS or start + length > bits.size:
        return None
    payload = np.packbits(bits[start : start + length]).tobytes()
    if magics[magic]:
        try:
            payload = gzip.decompress(payload)
        except (OSError, EOFError, zlib.error):
            return None
    return StealthInfo(magic.decode("ascii"), channel, payload[:65536].decode("utf-8", "replace"))
