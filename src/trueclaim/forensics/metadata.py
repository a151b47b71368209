"""Container metadata: EXIF, XMP, IPTC, ICC, PNG text, trailers and C2PA, read defensively.

:func:`read_metadata` never raises on hostile bytes: every block it cannot parse becomes a
:class:`~.containers.MetadataIssue` on the result (``Metadata.errors()`` gives them as
:class:`~.errors.MalformedMetadata`). Sizes are bounded everywhere (see ``containers``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from trueclaim.forensics.c2pa_reader import C2paInfo, read_c2pa
from trueclaim.forensics.containers import (
    C2PA_BMFF_UUID,
    MAX_TEXT_BYTES,
    Block,
    MetadataIssue,
    walk_container,
)
from trueclaim.forensics.decode import sniff_format
from trueclaim.forensics.errors import InvalidParameter, MalformedMetadata
from trueclaim.forensics.exif import ExifData, parse_exif
from trueclaim.forensics.xmp import XmpPacket, parse_xmp

__all__ = ["Metadata", "TextEntry", "read_metadata"]

METADATA_VERSION = "1"
MAX_FILE_BYTES = 128 * 1024 * 1024  # metadata is read from this much of a file at most

_IIM_NAMES = {
    5: "ObjectName",
    25: "Keywords",
    40: "SpecialInstructions",
    55: "DateCreated",
    60: "TimeCreated",
    65: "OriginatingProgram",
    70: "ProgramVersion",
    80: "By-line",
    110: "Credit",
    115: "Source",
    116: "CopyrightNotice",
    120: "Caption-Abstract",
    122: "Writer-Editor",
    135: "LanguageIdentifier",
}


@dataclass(frozen=True, slots=True)
class TextEntry:
    """A keyed text value outside XMP/EXIF: PNG tEXt/zTXt/iTXt, JPEG COM, raw APP text."""

    container: str
    key: str
    value: str
    size: int  # bytes in the file (the value may be cut to MAX_TEXT_BYTES)


@dataclass(frozen=True, slots=True)
class Metadata:
    """Everything the containers of one file say about it.

    Attributes
    ----------
    format : str or None
        Container sniffed from the magic bytes (``JPEG``, ``PNG``, ...).
    exif : ExifData or None
        The first EXIF block; ``exif_blocks`` holds every copy.
    xmp : tuple of XmpPacket
        Every XMP packet (standard, extended, PNG iTXt/tEXt, WebP, TIFF, HEIF item).
    texts : tuple of TextEntry
        PNG text chunks other than XMP, JPEG comments, APP segments holding ``AIGC`` text.
    iptc : mapping
        IPTC IIM dataset name -> values (record 2).
    icc_description : str or None
        The ICC profile's description tag.
    c2pa : C2paInfo or None
        The C2PA store, when the file carries JUMBF/C2PA data.
    trailer : bytes
        Bytes after the image's end marker (JPEG EOI / PNG IEND), head and tail if large.
    issues : tuple of MetadataIssue
        Blocks that could not be parsed.
    """

    format: str | None = None
    blocks: tuple[Block, ...] = ()
    exif: ExifData | None = None
    exif_blocks: tuple[ExifData, ...] = ()
    xmp: tuple[XmpPacket, ...] = ()
    texts: tuple[TextEntry, ...] = ()
    iptc: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    icc_description: str | None = None
    c2pa: C2paInfo | None = None
    trailer: bytes = b""
    trailer_size: int = 0
    trailer_container: str = ""
    issues: tuple[MetadataIssue, ...] = ()
    version: str = METADATA_VERSION

    def xmp_values(self, namespace: str, name: str) -> tuple[tuple[str, XmpPacket], ...]:
        """Every value of property ``name`` in ``namespace`` (a URI) across all packets."""
        return tuple((v, p) for p in self.xmp for v in p.values(namespace, name))

    def text(self, key: str) -> tuple[TextEntry, ...]:
        """Text entries whose key equals ``key`` (case-insensitive)."""
        return tuple(t for t in self.texts if t.key.lower() == key.lower())

    @property
    def has_c2pa(self) -> bool:
        return any(b.kind == "jumbf" for b in self.blocks) or self.c2pa is not None

    def errors(self) -> tuple[MalformedMetadata, ...]:
        """The issues as the engine's own exception type (offset and block name kept)."""
        return tuple(
            MalformedMetadata(f"{i.block}: {i.message}", offset=i.offset) for i in self.issues
        )


def read_metadata(data: bytes) -> Metadata:
    """Parse every metadata block of an image file.

    Parameters
    ----------
    data : bytes
        The file's bytes.

    Returns
    -------
    Metadata
        What was found; unparseable blocks are listed in ``issues``.

    Raises
    ------
    InvalidParameter
        If ``data`` is not bytes.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidParameter(f"read_metadata takes bytes, got {type(data).__name__}.")
    data = bytes(data)
    fmt = sniff_format(data)
    scanned = data if len(data) <= MAX_FILE_BYTES else data[:MAX_FILE_BYTES]
    walk = walk_container(scanned, fmt)
    issues = list(walk.issues)
    if scanned is not data:
        issues.append(
            MetadataIssue(
                "file",
                MAX_FILE_BYTES,
                f"file is {len(data):,} bytes; metadata "
                f"was read from the first {MAX_FILE_BYTES:,} only",
            )
        )
    exifs: list[ExifData] = []
    packets: list[XmpPacket] = []
    texts: list[TextEntry] = []
    iptc: dict[str, list[str]] = {}
    icc: str | None = None
    trailer = b""
    trailer_size = 0
    trailer_container = ""
    for block in walk.blocks:
        where = f"{block.container}@{block.offset}"
        if block.kind == "exif":
            exifs.append(parse_exif(block.payload, issues, where=where))
        elif block.kind in ("xmp", "xmp-extended"):
            packets.append(parse_xmp(block.payload, block.container, block.offset, issues))
        elif block.kind == "text":
            texts.append(
                TextEntry(
                    block.container,
                    block.key,
                    block.payload[:MAX_TEXT_BYTES].decode("utf-8", "replace"),
                    block.size,
                )
            )
        elif block.kind == "comment":
            texts.append(
                TextEntry(
                    block.container,
                    "Comment",
                    block.payload[:MAX_TEXT_BYTES].decode("utf-8", "replace"),
                    block.size,
                )
            )
        elif block.kind == "iptc":
            _merge(iptc, _photoshop_iptc(block.payload, where, issues))
        elif block.kind == "iptc-iim":
            _merge(iptc, _iim(block.payload, where, issues))
        elif block.kind == "icc" and icc is None:
            icc = _icc_description(block.payload, where, issues)
        elif block.kind == "trailer" and not trailer:
            trailer, trailer_size, trailer_container = block.payload, block.size, block.container
    for exif in exifs:
        xml = exif.ifds.get("ifd0", {}).get("XMLPacket")
        if isinstance(xml, bytes) and fmt != "TIFF":
            packets.append(parse_xmp(xml, "exif:XMLPacket", 0, issues))
    c2pa = None
    if (
        any(b.kind == "jumbf" for b in walk.blocks)
        or _has_remote_manifest(packets)
        or (fmt in ("HEIF", "AVIF", "ISOBMFF") and C2PA_BMFF_UUID in data)
    ):
        c2pa = read_c2pa(scanned, fmt)
    return Metadata(
        format=fmt,
        blocks=walk.blocks,
        exif=exifs[0] if exifs else None,
        exif_blocks=tuple(exifs),
        xmp=tuple(packets),
        texts=tuple(texts),
        iptc={k: tuple(v) for k, v in iptc.items()},
        icc_description=icc,
        c2pa=c2pa,
        trailer=trailer,
        trailer_size=trailer_size,
        trailer_container=trailer_container,
        issues=tuple(issues),
    )


def _has_remote_manifest(packets: list[XmpPacket]) -> bool:
    return any(
        p.namespace == "http://purl.org/dc/terms/" and p.name == "provenance"
        for pk in packets
        for p in pk.properties
    )


def _merge(into: dict[str, list[str]], new: Mapping[str, list[str]]) -> None:
    for k, v in new.items():
        into.setdefault(k, []).extend(v)


def _photoshop_iptc(
    payload: bytes, where: str, issues: list[MetadataIssue]
) -> dict[str, list[str]]:
    """IPTC IIM from Photoshop image resources (``8BIM`` id 0x0404)."""
    out: dict[str, list[str]] = {}
    pos = 0
    while pos + 12 <= len(payload) and payload[pos : pos + 4] == b"8BIM":
        rid = int.from_bytes(payload[pos + 4 : pos + 6], "big")
        name_len = payload[pos + 6]
        p = pos + 6 + ((name_len + 2) & ~1)
        if p + 4 > len(payload):
            break
        size = int.from_bytes(payload[p : p + 4], "big")
        body = payload[p + 4 : p + 4 + size]
        if rid == 0x0404:
            _merge(out, _iim(body, where, issues))
        pos = p + 4 + size + (size & 1)
    return out


def _iim(body: bytes, where: str, issues: list[MetadataIssue]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    pos, count = 0, 0
    while pos + 5 <= len(body) and count < 4096:
        if body[pos] != 0x1C:
            issues.append(MetadataIssue(f"{where}:iptc", pos, "IPTC record marker 0x1C expected"))
            break
        record, dataset = body[pos + 1], body[pos + 2]
        size = int.from_bytes(body[pos + 3 : pos + 5], "big")
        pos += 5
        if size & 0x8000:
            n = size & 0x7FFF
            if n > 4:
                issues.append(
                    MetadataIssue(f"{where}:iptc", pos, "IPTC extended length is too long")
                )
                break
            size, pos = int.from_bytes(body[pos : pos + n], "big"), pos + n
        value = body[pos : pos + min(size, MAX_TEXT_BYTES)]
        if record == 2 and dataset != 0:
            name = _IIM_NAMES.get(dataset, f"2:{dataset}")
            out.setdefault(name, []).append(value.decode("utf-8", "replace").strip("\x00"))
        pos += size
        count += 1
    return out


def _icc_description(icc: bytes, where: str, issues: list[MetadataIssue]) -> str | None:
    if len(icc) < 132:
        issues.append(MetadataIssue(f"{where}:icc", 0, "ICC profile is shorter than its header"))
        return None
    count = min(int.from_bytes(icc[128:132], "big"), 256)
    for i in range(count):
        e = 132 + 12 * i
        if e + 12 > len(icc):
            break
        if icc[e : e + 4] != b"desc":
            continue
        off, size = (
            int.from_bytes(icc[e + 4 : e + 8], "big"),
            int.from_bytes(icc[e + 8 : e + 12], "big"),
        )
        tag = icc[off : off + min(size, 65536)]
        if tag[:4] == b"desc" and len(tag) >= 12:
            n = int.from_bytes(tag[8:12], "big")
            return tag[12 : 12 + n].split(b"\x00", 1)[0].decode("latin-1")
        if tag[:4] == b"mluc" and len(tag) >= 28:
            length, rec_off = int.from_bytes(tag[20:24], "big"), int.from_bytes(tag[24:28], "big")
            return tag[rec_off : rec_off + length].decode("utf-16-be", "replace").strip("\x00")
        issues.append(MetadataIssue(f"{where}:icc", off, "ICC description tag has an unknown type"))
    return None
