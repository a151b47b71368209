"""Container walkers: find every metadata block in JPEG, PNG, WebP, ISOBMFF and TIFF files.

Each walker returns :class:`Block` values (what kind, where, the payload) and records every
structure it cannot follow as a :class:`MetadataIssue` instead of raising. Payloads are bounded
(``MAX_BLOCK_BYTES``; compressed PNG text is inflated to at most ``MAX_TEXT_BYTES``) so a hostile
file with a 100 MB chunk costs a slice, not a copy of its whole size.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

MAX_BLOCK_BYTES = 8 * 1024 * 1024
MAX_TEXT_BYTES = 1024 * 1024
MAX_BLOCKS = 4096
MAX_TRAILER_KEEP = 512 * 1024

C2PA_BMFF_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
_XMP_STD = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_EXT = b"http://ns.adobe.com/xmp/extension/\x00"


@dataclass(frozen=True, slots=True)
class MetadataIssue:
    """One metadata block that could not be parsed (what, where, why)."""

    block: str
    offset: int | None
    message: str


@dataclass(frozen=True, slots=True)
class Block:
    """One metadata payload found in the container.

    ``kind`` is one of ``exif``, ``xmp``, ``xmp-extended``, ``icc``, ``iptc``, ``jumbf``,
    ``text``, ``mpf``, ``comment``, ``trailer``; ``container`` names the carrier (e.g.
    ``jpeg:APP1``, ``png:iTXt``); ``key`` is the text keyword for ``text`` blocks.
    """

    kind: str
    container: str
    offset: int
    payload: bytes
    key: str = ""
    size: int = 0  # the payload's size in the file (may exceed len(payload) when bounded)


@dataclass(frozen=True, slots=True)
class Walk:
    """Everything a walker found."""

    blocks: tuple[Block, ...]
    issues: tuple[MetadataIssue, ...]


def walk_container(data: bytes, fmt: str | None) -> Walk:
    """Dispatch to the walker for ``fmt`` (a :func:`decode.sniff_format` name)."""
    walker = {
        "JPEG": _walk_jpeg,
        "PNG": _walk_png,
        "WEBP": _walk_riff,
        "TIFF": _walk_tiff,
        "HEIF": _walk_bmff,
        "AVIF": _walk_bmff,
        "ISOBMFF": _walk_bmff,
    }.get(fmt or "")
    if walker is None:
        return Walk((), ())
    blocks: list[Block] = []
    issues: list[MetadataIssue] = []
    try:
        walker(memoryview(data), blocks, issues)
    except (struct.error, IndexError, ValueError, zlib.error) as exc:
        issues.append(MetadataIssue(fmt or "file", None, f"container walk stopped: {exc}"))
    return Walk(tuple(blocks[:MAX_BLOCKS]), tuple(issues))


def _add(
    blocks: list[Block],
    kind: str,
    container: str,
    offset: int,
    view: memoryview,
    key: str = "",
    size: int | None = None,
) -> None:
    if len(blocks) < MAX_BLOCKS:
        blocks.append(
            Block(
                kind,
                container,
                offset,
                bytes(view[:MAX_BLOCK_BYTES]),
                key,
                len(view) if size is None else size,
            )
        )


# ---------------------------------------------------------------- JPEG
def _walk_jpeg(d: memoryview, blocks: list[Block], issues: list[MetadataIssue]) -> None:
    extended: dict[bytes, dict[int, bytes]] = {}
    try:
        _jpeg_segments(d, blocks, issues, extended)
    finally:
        for guid, parts in extended.items():
            joined = b"".join(parts[k] for k in sorted(parts))[:MAX_BLOCK_BYTES]
            _add(
                blocks,
                "xmp-extended",
                "jpeg:APP1",
                -1,
                memoryview(joined),
                key=guid.decode("ascii", "replace"),
            )


def _jpeg_segments(
    d: memoryview,
    blocks: list[Block],
    issues: list[MetadataIssue],
    extended: dict[bytes, dict[int, bytes]],
) -> None:
    pos, n = 2, len(d)
    while pos + 4 <= n:
        if d[pos] != 0xFF:
            issues.append(MetadataIssue("jpeg", pos, "expected a marker (0xFF); segments end here"))
            return
        marker = d[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker == 0xD9:
            _jpeg_trailer(d, pos + 2, blocks)
            return
        length = int.from_bytes(d[pos + 2 : pos + 4], "big")
        if length < 2 or pos + 2 + length > n:
            issues.append(
                MetadataIssue(
                    f"jpeg:0x{marker:02X}",
                    pos,
                    f"segment length {length} runs past the end of the file",
                )
            )
            return
        seg = d[pos + 4 : pos + 2 + length]
        _jpeg_segment(marker, seg, pos + 4, blocks, extended)
        pos += 2 + length
        if marker == 0xDA:
            eoi = bytes(d[pos:]).find(b"\xff\xd9")
            if eoi < 0:
                issues.append(MetadataIssue("jpeg", pos, "no end-of-image marker (truncated file)"))
                return
            _jpeg_trailer(d, pos + eoi + 2, blocks)
            return


def _jpeg_segment(
    marker: int,
    seg: memoryview,
    off: int,
    blocks: list[Block],
    extended: dict[bytes, dict[int, bytes]],
) -> None:
    head = bytes(seg[:40])
    name = f"jpeg:APP{marker - 0xE0}" if 0xE0 <= marker <= 0xEF else f"jpeg:0x{marker:02X}"
    if marker == 0xE1 and head.startswith(b"Exif\x00"):
        _add(blocks, "exif", name, off + 6, seg[6:])
    elif marker == 0xE1 and head.startswith(_XMP_STD):
        _add(blocks, "xmp", name, off + len(_XMP_STD), seg[len(_XMP_STD) :])
    elif marker == 0xE1 and head.startswith(_XMP_EXT) and len(seg) >= len(_XMP_EXT) + 40:
        base = len(_XMP_EXT)
        guid = bytes(seg[base : base + 32])
        part_offset = int.from_bytes(seg[base + 36 : base + 40], "big")
        parts = extended.setdefault(guid, {})
        if sum(len(p) for p in parts.values()) < MAX_BLOCK_BYTES and len(extended) < 16:
            parts[part_offset] = bytes(seg[base + 40 :])
    elif marker == 0xE2 and head.startswith(b"ICC_PROFILE\x00"):
        _add(blocks, "icc", name, off + 14, seg[14:])
    elif marker == 0xE2 and head.startswith(b"MPF\x00"):
        _add(blocks, "mpf", name, off + 4, seg[4:])
    elif marker == 0xEB and head.startswith(b"JP"):
        _add(blocks, "jumbf", name, off, seg)
    elif marker == 0xED and head.startswith(b"Photoshop 3.0\x00"):
        _add(blocks, "iptc", name, off + 14, seg[14:])
    elif marker == 0xFE:
        _add(blocks, "comment", name, off, seg)
    elif 0xE0 <= marker <= 0xEF and b"AIGC" in bytes(seg[:MAX_TEXT_BYTES]):
        _add(blocks, "text", name, off, seg, key="AIGC-raw")


def _jpeg_trailer(d: memoryview, start: int, blocks: list[Block]) -> None:
    rest = d[start:]
    if len(rest) == 0 or not bytes(rest[:4096]).strip(b"\x00"):
        return
    keep = (
        bytes(rest)
        if len(rest) <= 2 * MAX_TRAILER_KEEP
        else (bytes(rest[:MAX_TRAILER_KEEP]) + bytes(rest[-MAX_TRAILER_KEEP:]))
    )
    blocks.append(Block("trailer", "jpeg:after-EOI", start, keep, "", len(rest)))


# ---------------------------------------------------------------- PNG
def _walk_png(d: memoryview, blocks: list[Block], issues: list[MetadataIssue]) -> None:
    pos, n = 8, len(d)
    while pos + 8 <= n:
        length = int.from_bytes(d[pos : pos + 4], "big")
        ctype = bytes(d[pos + 4 : pos + 8]).decode("latin-1")
        body = d[pos + 8 : pos + 8 + length]
        if pos + 12 + length > n:
            issues.append(
                MetadataIssue(f"png:{ctype}", pos, f"chunk of {length} bytes runs past the end")
            )
            return
        try:
            _png_chunk(ctype, body, pos + 8, blocks)
        except (ValueError, zlib.error, UnicodeError) as exc:
            issues.append(MetadataIssue(f"png:{ctype}", pos, f"unreadable chunk: {exc}"))
        pos += 12 + length
        if ctype == "IEND":
            rest = d[pos:]
            if len(rest) and bytes(rest[:4096]).strip(b"\x00"):
                keep = (
                    bytes(rest)
                    if len(rest) <= 2 * MAX_TRAILER_KEEP
                    else (bytes(rest[:MAX_TRAILER_KEEP]) + bytes(rest[-MAX_TRAILER_KEEP:]))
                )
                blocks.append(Block("trailer", "png:after-IEND", pos, keep, "", len(rest)))
            return


def _inflate(data: bytes | memoryview) -> bytes:
    dec = zlib.decompressobj()
    return dec.decompress(bytes(data[:MAX_BLOCK_BYTES]), MAX_TEXT_BYTES)


def _png_chunk(ctype: str, body: memoryview, off: int, blocks: list[Block]) -> None:
    if ctype == "tEXt":
        head = bytes(body[:80])
        nul = head.find(b"\x00")
        if nul < 0:
            raise ValueError("tEXt chunk has no keyword separator")
        key = head[:nul].decode("latin-1")
        _text(
            blocks,
            "png:tEXt",
            off,
            key,
            bytes(body[nul + 1 : nul + 1 + MAX_TEXT_BYTES]),
            len(body) - nul - 1,
        )
    elif ctype == "zTXt":
        head = bytes(body[:80])
        nul = head.find(b"\x00")
        if nul < 0:
            raise ValueError("zTXt chunk has no keyword separator")
        key = head[:nul].decode("latin-1")
        _text(blocks, "png:zTXt", off, key, _inflate(body[nul + 2 :]), len(body) - nul - 2)
    elif ctype == "iTXt":
        head = bytes(body[:1024])
        nul = head.find(b"\x00")
        if nul < 0 or nul + 3 > len(head):
            raise ValueError("iTXt chunk has no keyword separator")
        key = head[:nul].decode("latin-1")
        compressed = head[nul + 1] == 1
        lang_end = head.find(b"\x00", nul + 3)
        tk_end = head.find(b"\x00", lang_end + 1) if lang_end >= 0 else -1
        if tk_end < 0:
            raise ValueError("iTXt chunk header is incomplete")
        raw = body[tk_end + 1 :]
        text = _inflate(raw) if compressed else bytes(raw[:MAX_TEXT_BYTES])
        _text(blocks, "png:iTXt", off, key, text, len(raw))
    elif ctype == "eXIf":
        _add(blocks, "exif", "png:eXIf", off, body)
    elif ctype == "iCCP":
        nul = bytes(body[:80]).find(b"\x00")
        if nul >= 0:
            _add(blocks, "icc", "png:iCCP", off, memoryview(_inflate(body[nul + 2 :])))
    elif ctype == "caBX":
        _add(blocks, "jumbf", "png:caBX", off, body)


def _text(blocks: list[Block], container: str, off: int, key: str, value: bytes, size: int) -> None:
    kind = "xmp" if key == "XML:com.adobe.xmp" else "text"
    _add(blocks, kind, container, off, memoryview(value), key=key, size=size)


# ---------------------------------------------------------------- RIFF / WebP
def _walk_riff(d: memoryview, blocks: list[Block], issues: list[MetadataIssue]) -> None:
    pos, n = 12, len(d)
    while pos + 8 <= n:
        fourcc = bytes(d[pos : pos + 4]).decode("latin-1")
        size = int.from_bytes(d[pos + 4 : pos + 8], "little")
        if pos + 8 + size > n:
            issues.append(
                MetadataIssue(f"webp:{fourcc}", pos, f"chunk of {size} bytes runs past the end")
            )
            return
        body = d[pos + 8 : pos + 8 + size]
        kind = {"EXIF": "exif", "XMP ": "xmp", "ICCP": "icc", "C2PA": "jumbf"}.get(fourcc)
        if kind == "exif" and bytes(body[:6]) == b"Exif\x00\x00":
            body = body[6:]
        if kind:
            _add(blocks, kind, f"webp:{fourcc.strip()}", pos + 8, body)
        pos += 8 + size + (size & 1)


# ---------------------------------------------------------------- TIFF
def _walk_tiff(d: memoryview, blocks: list[Block], issues: list[MetadataIssue]) -> None:
    from trueclaim.forensics.exif import tiff_blobs

    _add(blocks, "exif", "tiff:IFD0", 0, d)
    for tag, blob in tiff_blobs(bytes(d[: MAX_BLOCK_BYTES * 8]), issues):
        kind = {700: "xmp", 33723: "iptc-iim", 34377: "iptc", 34675: "icc", 0xCD41: "jumbf"}[tag]
        _add(blocks, kind, f"tiff:tag{tag}", 0, memoryview(blob))


# ---------------------------------------------------------------- ISOBMFF (HEIC / AVIF)
def _boxes(d: memoryview, start: int, end: int, issues: list[MetadataIssue]):  # type: ignore[no-untyped-def]
    pos, count = start, 0
    while pos + 8 <= end and count < MAX_BLOCKS:
        size = int.from_bytes(d[pos : pos + 4], "big")
        btype = bytes(d[pos + 4 : pos + 8]).decode("latin-1")
        head = 8
        if size == 1:
            size, head = int.from_bytes(d[pos + 8 : pos + 16], "big"), 16
        elif size == 0:
            size = end - pos
        if size < head or pos + size > end:
            issues.append(MetadataIssue(f"bmff:{btype}", pos, f"box size {size} is invalid"))
            return
        yield btype, pos + head, pos + size
        pos += size
        count += 1


def _walk_bmff(d: memoryview, blocks: list[Block], issues: list[MetadataIssue]) -> None:
    for btype, body, end in _boxes(d, 0, len(d), issues):
        if btype == "uuid" and bytes(d[body : body + 16]) == C2PA_BMFF_UUID:
            # version/flags (4), purpose (null-terminated), offset (8), then the JUMBF superbox
            nul = bytes(d[body + 20 : body + 64]).find(b"\x00")
            start = body + 20 + nul + 1 + 8 if nul >= 0 else body + 20
            _add(blocks, "jumbf", "bmff:uuid-c2pa", start, d[start:end])
        elif btype == "meta":
            _bmff_meta(d, body + 4, end, blocks, issues)


def _bmff_meta(
    d: memoryview, start: int, end: int, blocks: list[Block], issues: list[MetadataIssue]
) -> None:
    items: dict[int, tuple[str, str]] = {}
    locations: dict[int, list[tuple[int, int, int]]] = {}
    idat = (0, 0)
    for btype, body, bend in _boxes(d, start, end, issues):
        if btype == "iinf":
            items = _bmff_iinf(d, body, bend, issues)
        elif btype == "iloc":
            locations = _bmff_iloc(d, body, bend)
        elif btype == "idat":
            idat = (body, bend)
    for item_id, (itype, content_type) in items.items():
        kind = (
            "exif"
            if itype == "Exif"
            else ("xmp" if itype == "mime" and "xml" in content_type.lower() else None)
        )
        if kind is None or item_id not in locations:
            continue
        parts = []
        for method, off, length in locations[item_id]:
            base = idat[0] if method == 1 else 0
            if base + off + length > len(d) or length > MAX_BLOCK_BYTES:
                issues.append(
                    MetadataIssue("bmff:iloc", base + off, f"{kind} item extent is out of range")
                )
                break
            parts.append(bytes(d[base + off : base + off + length]))
        payload = b"".join(parts)
        if kind == "exif" and len(payload) >= 4:
            skip = int.from_bytes(payload[:4], "big")
            payload = payload[4 + skip :] if 4 + skip <= len(payload) else payload[4:]
            if payload.startswith(b"Exif\x00\x00"):
                payload = payload[6:]
        _add(
            blocks,
            kind,
            f"bmff:item-{itype}",
            locations[item_id][0][1] if locations[item_id] else 0,
            memoryview(payload),
        )


def _bmff_iinf(
    d: memoryview, body: int, end: int, issues: list[MetadataIssue]
) -> dict[int, tuple[str, str]]:
    version = d[body]
    pos = body + 4 + (2 if version == 0 else 4)
    items: dict[int, tuple[str, str]] = {}
    for btype, ibody, iend in _boxes(d, pos, end, issues):
        if btype != "infe" or d[ibody] < 2:
            continue
        v = d[ibody]
        p = ibody + 4
        if v == 2:
            item_id, p = int.from_bytes(d[p : p + 2], "big"), p + 2
        else:
            item_id, p = int.from_bytes(d[p : p + 4], "big"), p + 4
        p += 2  # protection index
        itype = bytes(d[p : p + 4]).decode("latin-1")
        rest = bytes(d[p + 4 : min(iend, p + 4 + 512)]).split(b"\x00")
        content_type = (
            rest[1].decode("latin-1", "replace") if itype == "mime" and len(rest) > 1 else ""
        )
        items[item_id] = (itype, content_type)
    return items


def _bmff_iloc(d: memoryview, body: int, end: int) -> dict[int, list[tuple[int, int, int]]]:
    version = d[body]
    p = body + 4
    offset_size, length_size = d[p] >> 4, d[p] & 15
    base_size, index_size = d[p + 1] >> 4, (d[p + 1] & 15) if version in (1, 2) else 0
    p += 2
    count_size = 2 if version < 2 else 4
    count, p = int.from_bytes(d[p : p + count_size], "big"), p + count_size
    out: dict[int, list[tuple[int, int, int]]] = {}

    def read(size: int) -> int:
        nonlocal p
        if p + size > end:
            raise ValueError("iloc box is truncated")
        value = int.from_bytes(d[p : p + size], "big") if size else 0
        p += size
        return value

    for _ in range(min(count, MAX_BLOCKS)):
        item_id = read(2 if version < 2 else 4)
        method = read(2) & 15 if version in (1, 2) else 0
        read(2)  # data reference index
        base = read(base_size)
        extents = []
        for _ in range(min(read(2), 64)):
            read(index_size)
            extents.append((method, base + read(offset_size), read(length_size)))
        out[item_id] = extents
    return out
