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
        "GIF": _walk_gif,
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


def _walk_bmff(d: memoryview, blocks: list[Block], issues: list[MetadataIssue]) -> None:
    from trueclaim.forensics.bmff import walk_bmff

    walk_bmff(d, blocks, issues)


def add_block(
    blocks: list[Block],
    kind: str,
    container: str,
    offset: int,
    view: memoryview,
    key: str = "",
    size: int | None = None,
) -> None:
    """Append a block (payload cut to ``MAX_BLOCK_BYTES``), up to ``MAX_BLOCKS`` blocks."""
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
            add_block(
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
            eoi = _find(d, b"\xff\xd9", pos)
            if eoi < 0:
                issues.append(MetadataIssue("jpeg", pos, "no end-of-image marker (truncated file)"))
                return
            _jpeg_trailer(d, eoi + 2, blocks)
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
        add_block(blocks, "exif", name, off + 6, seg[6:])
    elif marker == 0xE1 and head.startswith(_XMP_STD):
        add_block(blocks, "xmp", name, off + len(_XMP_STD), seg[len(_XMP_STD) :])
    elif marker == 0xE1 and head.startswith(_XMP_EXT) and len(seg) >= len(_XMP_EXT) + 40:
        base = len(_XMP_EXT)
        guid = bytes(seg[base : base + 32])
        part_offset = int.from_bytes(seg[base + 36 : base + 40], "big")
        parts = extended.setdefault(guid, {})
        if sum(len(p) for p in parts.values()) < MAX_BLOCK_BYTES and len(extended) < 16:
            parts[part_offset] = bytes(seg[base + 40 :])
    elif marker == 0xE2 and head.startswith(b"ICC_PROFILE\x00"):
        add_block(blocks, "icc", name, off + 14, seg[14:])
    elif marker == 0xE2 and head.startswith(b"MPF\x00"):
        add_block(blocks, "mpf", name, off + 4, seg[4:])
    elif marker == 0xEB and head.startswith(b"JP"):
        add_block(blocks, "jumbf", name, off, seg)
    elif marker == 0xED and head.startswith(b"Photoshop 3.0\x00"):
        add_block(blocks, "iptc", name, off + 14, seg[14:])
    elif marker == 0xFE:
        add_block(blocks, "comment", name, off, seg)
    elif 0xE0 <= marker <= 0xEF and b"AIGC" in bytes(seg[:MAX_TEXT_BYTES]):
        add_block(blocks, "text", name, off, seg, key="AIGC-raw")


def _find(d: memoryview, needle: bytes, start: int) -> int:
    """``bytes.find`` on the buffer behind ``d`` without copying it; -1 when absent."""
    raw = d.obj if isinstance(d.obj, bytes) and len(d.obj) == len(d) else bytes(d)
    return raw.find(needle, start)


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
        add_block(blocks, "exif", "png:eXIf", off, body)
    elif ctype == "iCCP":
        nul = bytes(body[:80]).find(b"\x00")
        if nul >= 0:
            add_block(blocks, "icc", "png:iCCP", off, memoryview(_inflate(body[nul + 2 :])))
    elif ctype == "caBX":
        add_block(blocks, "jumbf", "png:caBX", off, body)


def _text(blocks: list[Block], container: str, off: int, key: str, value: bytes, size: int) -> None:
    kind = "xmp" if key == "XML:com.adobe.xmp" else "text"
    add_block(blocks, kind, container, off, memoryview(value), key=key, size=size)


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
            add_block(blocks, kind, f"webp:{fourcc.strip()}", pos + 8, body)
        pos += 8 + size + (size & 1)


# ---------------------------------------------------------------- GIF
_GIF_XMP = b"\x21\xff\x0bXMP DataXMP"


def _walk_gif(d: memoryview, blocks: list[Block], issues: list[MetadataIssue]) -> None:
    """XMP in the GIF Application Extension ``XMP DataXMP`` (raw packet + magic trailer)."""
    raw = d.obj if isinstance(d.obj, bytes) else bytes(d)
    start = raw.find(_GIF_XMP)
    if start < 0:
        return
    body = start + len(_GIF_XMP)
    end = raw.find(b"<?xpacket end", body, body + MAX_BLOCK_BYTES)
    close = raw.find(b"?>", end) if end >= 0 else -1
    if close < 0:
        issues.append(
            MetadataIssue("gif:XMP", start, "XMP application extension has no packet end")
        )
        return
    add_block(blocks, "xmp", "gif:XMP", body, d[body : close + 2])


# ---------------------------------------------------------------- TIFF
def _walk_tiff(d: memoryview, blocks: list[Block], issues: list[MetadataIssue]) -> None:
    from trueclaim.forensics.exif import tiff_blobs

    add_block(blocks, "exif", "tiff:IFD0", 0, d)
    for tag, blob in tiff_blobs(bytes(d[: MAX_BLOCK_BYTES * 8]), issues):
        kind = {700: "xmp", 33723: "iptc-iim", 34377: "iptc", 34675: "icc", 0xCD41: "jumbf"}[tag]
        add_block(blocks, kind, f"tiff:tag{tag}", 0, memoryview(blob))
