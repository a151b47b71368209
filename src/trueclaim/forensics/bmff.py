"""ISOBMFF (HEIC / HEIF / AVIF) box walker: Exif and XMP items of the ``meta`` box, C2PA box.

Reads ``meta``/``iinf``/``iloc``/``idat`` to locate the ``Exif`` item and ``mime`` items holding
XMP (ISO/IEC 23008-12), and the top-level ``uuid`` box that carries a C2PA manifest store.
Every size and offset is checked against the file before it is used.
"""

from __future__ import annotations

from collections.abc import Iterator

from trueclaim.forensics.containers import (
    C2PA_BMFF_UUID,
    MAX_BLOCK_BYTES,
    MAX_BLOCKS,
    Block,
    MetadataIssue,
    add_block,
)


def _boxes(
    d: memoryview, start: int, end: int, issues: list[MetadataIssue]
) -> Iterator[tuple[str, int, int]]:
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


def walk_bmff(d: memoryview, blocks: list[Block], issues: list[MetadataIssue]) -> None:
    for btype, body, end in _boxes(d, 0, len(d), issues):
        if btype == "uuid" and bytes(d[body : body + 16]) == C2PA_BMFF_UUID:
            # version/flags (4), purpose (null-terminated), offset (8), then the JUMBF superbox
            nul = bytes(d[body + 20 : body + 64]).find(b"\x00")
            start = body + 20 + nul + 1 + 8 if nul >= 0 else body + 20
            add_block(blocks, "jumbf", "bmff:uuid-c2pa", start, d[start:end])
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
        add_block(
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
