"""A hardened EXIF/TIFF reader: every IFD, bounded, never trusting an offset.

Pillow's EXIF reader raises many different exceptions on hostile input; this one walks IFD0,
the EXIF, GPS and Interop sub-IFDs and IFD1 (thumbnail) itself, refuses loops, caps counts and
value sizes, and reports what it could not read as :class:`~.containers.MetadataIssue`.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trueclaim.forensics.containers import MetadataIssue

MAX_ENTRIES = 1024
MAX_VALUE_BYTES = 64 * 1024

TAG_NAMES: Mapping[int, str] = {
    0x010E: "ImageDescription",
    0x010F: "Make",
    0x0110: "Model",
    0x0112: "Orientation",
    0x0131: "Software",
    0x0132: "DateTime",
    0x013B: "Artist",
    0x8298: "Copyright",
    0x0100: "ImageWidth",
    0x0101: "ImageLength",
    0x010D: "DocumentName",
    0x0201: "JPEGInterchangeFormat",
    0x0202: "JPEGInterchangeFormatLength",
    0x02BC: "XMLPacket",
    0x83BB: "IPTC",
    0x8773: "InterColorProfile",
    0x8769: "ExifIFD",
    0x8825: "GPSIFD",
    0xA005: "InteropIFD",
    0x829A: "ExposureTime",
    0x829D: "FNumber",
    0x8827: "ISOSpeedRatings",
    0x9003: "DateTimeOriginal",
    0x9004: "DateTimeDigitized",
    0x9010: "OffsetTime",
    0x9011: "OffsetTimeOriginal",
    0x9012: "OffsetTimeDigitized",
    0x920A: "FocalLength",
    0x927C: "MakerNote",
    0x9286: "UserComment",
    0x9290: "SubSecTime",
    0x9291: "SubSecTimeOriginal",
    0xA002: "PixelXDimension",
    0xA003: "PixelYDimension",
    0xA405: "FocalLengthIn35mmFilm",
    0xA433: "LensMake",
    0xA434: "LensModel",
    0xA420: "ImageUniqueID",
    0x9000: "ExifVersion",
    0xA001: "ColorSpace",
    0xCD41: "C2PA",
}
_SUB_IFDS = {0x8769: "exif", 0x8825: "gps", 0xA005: "interop"}
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_BLOB_TAGS = (700, 33723, 34377, 34675, 0xCD41)


@dataclass(frozen=True, slots=True)
class ExifData:
    """Tags of each IFD by name (unknown tags as ``0xNNNN``) plus derived facts.

    ``ifds`` keys: ``ifd0``, ``exif``, ``gps``, ``interop``, ``ifd1``. ASCII values are
    ``str``, UNDEFINED/BYTE blobs ``bytes`` (MakerNote: the first 64 bytes), numbers ``int``
    / ``float`` or tuples of them.
    """

    ifds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    byte_order: str = ""
    makernote_size: int = 0
    makernote_vendor: str | None = None
    thumbnail: bytes = b""

    def get(self, name: str) -> Any:
        """The first value of tag ``name`` in IFD0, EXIF or GPS, or None."""
        for ifd in ("ifd0", "exif", "gps"):
            if name in self.ifds.get(ifd, {}):
                return self.ifds[ifd][name]
        return None

    def text(self, name: str) -> str | None:
        """Tag ``name`` as a clean string (UserComment charset prefix removed), or None."""
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, bytes):
            return decode_user_comment(value)
        return str(value).strip("\x00 ").strip() if isinstance(value, str) else str(value)


def decode_user_comment(raw: bytes) -> str:
    """Decode an EXIF UserComment-style value (8-byte charset prefix) to text."""
    prefix, body = raw[:8], raw[8:]
    if prefix == b"UNICODE\x00":
        enc = "utf-16-le" if body[:1] != b"\x00" and body[1:2] == b"\x00" else "utf-16-be"
        return body.decode(enc, "replace").strip("\x00 ")
    if prefix in (b"ASCII\x00\x00\x00", b"JIS\x00\x00\x00\x00\x00", b"\x00" * 8):
        return body.decode("utf-8", "replace").strip("\x00 ")
    return raw.decode("utf-8", "replace").strip("\x00 ")


def parse_exif(tiff: bytes, issues: list[MetadataIssue], *, where: str = "exif") -> ExifData:
    """Parse a TIFF-structured EXIF blob (starting at the ``II*\\0``/``MM\\0*`` header)."""
    if len(tiff) < 8 or tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        issues.append(MetadataIssue(where, 0, "EXIF data does not start with a TIFF header"))
        return ExifData()
    bo = "<" if tiff[:2] == b"II" else ">"
    ifds: dict[str, dict[str, Any]] = {}
    seen: set[int] = set()
    first = struct.unpack(bo + "I", tiff[4:8])[0]
    ifd0, next_ifd = _read_ifd(tiff, bo, first, "ifd0", seen, issues, where)
    ifds["ifd0"] = ifd0
    for tag, name in _SUB_IFDS.items():
        off = ifd0.get(TAG_NAMES[tag])
        if name != "interop" and isinstance(off, int):
            ifds[name], _ = _read_ifd(tiff, bo, off, name, seen, issues, where)
    interop = ifds.get("exif", {}).get("InteropIFD")
    if isinstance(interop, int):
        ifds["interop"], _ = _read_ifd(tiff, bo, interop, "interop", seen, issues, where)
    thumb = b""
    if next_ifd:
        ifds["ifd1"], _ = _read_ifd(tiff, bo, next_ifd, "ifd1", seen, issues, where)
        t_off = ifds["ifd1"].get("JPEGInterchangeFormat")
        t_len = ifds["ifd1"].get("JPEGInterchangeFormatLength")
        if isinstance(t_off, int) and isinstance(t_len, int):
            if 0 < t_len <= MAX_VALUE_BYTES * 16 and t_off + t_len <= len(tiff):
                thumb = tiff[t_off : t_off + t_len]
            else:
                issues.append(
                    MetadataIssue(where, t_off, "EXIF thumbnail points outside the block")
                )
    maker = ifds.get("exif", {}).get("MakerNote")
    return ExifData(
        ifds=ifds,
        byte_order="little" if bo == "<" else "big",
        makernote_size=len(maker) if isinstance(maker, bytes) else 0,
        makernote_vendor=_makernote_vendor(maker, ifd0.get("Make"))
        if isinstance(maker, bytes)
        else None,
        thumbnail=thumb,
    )


def tiff_blobs(tiff: bytes, issues: list[MetadataIssue]) -> list[tuple[int, bytes]]:
    """Raw XMP / IPTC / ICC / C2PA payloads stored as tags of a TIFF file's IFD0."""
    if len(tiff) < 8 or tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        return []
    bo = "<" if tiff[:2] == b"II" else ">"
    out = []
    first = struct.unpack(bo + "I", tiff[4:8])[0]
    for tag, typ, count, value_off in _entries(tiff, bo, first, issues, "tiff"):
        if tag in _BLOB_TAGS:
            size = count * _TYPE_SIZES.get(typ, 1)
            start = value_off if size > 4 else None
            if start is not None and start + size <= len(tiff):
                out.append((tag, tiff[start : start + size]))
    return out


def _entries(tiff: bytes, bo: str, off: int, issues: list[MetadataIssue], where: str):  # type: ignore[no-untyped-def]
    if off < 8 or off + 2 > len(tiff):
        issues.append(MetadataIssue(where, off, "IFD offset points outside the EXIF block"))
        return
    count = struct.unpack(bo + "H", tiff[off : off + 2])[0]
    if count > MAX_ENTRIES:
        issues.append(MetadataIssue(where, off, f"IFD claims {count} entries; read {MAX_ENTRIES}"))
        count = MAX_ENTRIES
    for i in range(count):
        p = off + 2 + 12 * i
        if p + 12 > len(tiff):
            issues.append(MetadataIssue(where, p, "IFD entry table is truncated"))
            return
        tag, typ, n = struct.unpack(bo + "HHI", tiff[p : p + 8])
        value_off = struct.unpack(bo + "I", tiff[p + 8 : p + 12])[0]
        yield tag, typ, n, value_off if _TYPE_SIZES.get(typ, 1) * n > 4 else p + 8


def _read_ifd(
    tiff: bytes,
    bo: str,
    off: int,
    name: str,
    seen: set[int],
    issues: list[MetadataIssue],
    where: str,
) -> tuple[dict[str, Any], int]:
    if off in seen:
        issues.append(MetadataIssue(where, off, f"IFD {name} loops back to an IFD already read"))
        return {}, 0
    seen.add(off)
    out: dict[str, Any] = {}
    for tag, typ, n, voff in _entries(tiff, bo, off, issues, f"{where}:{name}"):
        label = TAG_NAMES.get(tag, f"0x{tag:04X}")
        size = _TYPE_SIZES.get(typ)
        if size is None:
            continue
        total = size * n
        if voff + total > len(tiff):
            issues.append(
                MetadataIssue(f"{where}:{name}", voff, f"tag {label} value runs past the block")
            )
            continue
        out[label] = _value(tiff, bo, typ, n, voff, tag)
    nxt_pos = off + 2 + 12 * min(MAX_ENTRIES, _count(tiff, bo, off))
    nxt = struct.unpack(bo + "I", tiff[nxt_pos : nxt_pos + 4])[0] if nxt_pos + 4 <= len(tiff) else 0
    return out, (nxt if nxt < len(tiff) else 0)


def _count(tiff: bytes, bo: str, off: int) -> int:
    return int(struct.unpack(bo + "H", tiff[off : off + 2])[0]) if off + 2 <= len(tiff) else 0


def _value(tiff: bytes, bo: str, typ: int, n: int, off: int, tag: int) -> Any:
    if typ == 2:
        return (
            tiff[off : off + min(n, MAX_VALUE_BYTES)]
            .split(b"\x00", 1)[0]
            .decode("utf-8", "replace")
        )
    if typ in (1, 7, 6):
        if tag == 0x927C:
            return _Sized(tiff[off : off + min(n, 64)], n)
        return tiff[off : off + min(n, MAX_VALUE_BYTES)]
    n_read = min(n, 256)
    fmt = {3: "H", 4: "I", 8: "h", 9: "i", 11: "f", 12: "d", 13: "I"}.get(typ)
    if fmt:
        vals: tuple[Any, ...] = struct.unpack(
            bo + fmt * n_read, tiff[off : off + _TYPE_SIZES[typ] * n_read]
        )
    else:
        raw = struct.unpack(
            bo + ("I" if typ == 5 else "i") * 2 * n_read, tiff[off : off + 8 * n_read]
        )
        vals = tuple(raw[i] / raw[i + 1] if raw[i + 1] else 0.0 for i in range(0, len(raw), 2))
    return vals[0] if len(vals) == 1 else vals


class _Sized(bytes):
    """A MakerNote head that remembers the full size it was cut from."""

    full_size: int

    def __new__(cls, head: bytes, full_size: int) -> _Sized:
        obj = super().__new__(cls, head)
        obj.full_size = full_size
        return obj

    def __len__(self) -> int:
        return self.full_size


_VENDORS = (
    (b"Apple iOS", "Apple"),
    (b"SAMSUNG", "Samsung"),
    (b"STMN", "Samsung"),
    (b"Nikon", "Nikon"),
    (b"OLYMPUS", "Olympus"),
    (b"OM SYSTEM", "OM System"),
    (b"FUJIFILM", "Fujifilm"),
    (b"Panasonic", "Panasonic"),
    (b"LEICA", "Leica"),
    (b"SONY", "Sony"),
    (b"PENTAX", "Pentax"),
    (b"AOC\x00", "Pentax"),
    (b"QVC", "Casio"),
    (b"Ricoh", "Ricoh"),
    (b"RICOH", "Ricoh"),
    (b"SANYO", "Sanyo"),
    (b"HUAWEI", "Huawei"),
    (b"KDK", "Kodak"),
    (b"MLT0", "Minolta"),
    (b"Google", "Google"),
    (b"Xiaomi", "Xiaomi"),
)


def _makernote_vendor(maker: bytes, make: Any) -> str:
    head = bytes(maker[:16])
    for prefix, vendor in _VENDORS:
        if head.startswith(prefix):
            return vendor
    return str(make).strip() if isinstance(make, str) and make.strip() else "unknown"
