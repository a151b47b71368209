"""Metadata reader: every container and block kind, hostile input, bounded sizes."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from tests.conftest import encode
from trueclaim.forensics.containers import MAX_TEXT_BYTES
from trueclaim.forensics.errors import InvalidParameter, MalformedMetadata
from trueclaim.forensics.metadata import Metadata, read_metadata

TC260_NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"
IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"


def _xmp(body: str, ns: str = "", prefix: str = "x1") -> bytes:
    decl = f' xmlns:{prefix}="{ns}"' if ns else ""
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about=""{decl}>{body}</rdf:Description></rdf:RDF></x:xmpmeta>'
    ).encode()


def _app(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _insert_after_soi(jpeg: bytes, *segments: bytes) -> bytes:
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _png_with_chunks(rgb: np.ndarray, *chunks: bytes, trailer: bytes = b"") -> bytes:
    png = encode(rgb, "PNG")
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + b"".join(chunks) + png[iend:] + trailer


@pytest.fixture
def small() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)


def test_jpeg_exif_all_ifds_makernote_thumbnail(photo: np.ndarray) -> None:
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 15"
    exif[0x0131] = "17.1"
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2025:11:10 09:30:00"
    sub[0x9011] = "+08:00"
    sub[0x829A] = 0.01
    maker_note = b"Apple iOS\x00\x00\x01MM" + b"\x00" * 40
    sub[0x927C] = maker_note
    gps = exif.get_ifd(0x8825)
    gps[0x0001] = "N"
    data = encode(photo, "JPEG", exif=exif.tobytes())
    meta = read_metadata(data)
    assert meta.format == "JPEG"
    assert meta.exif is not None
    assert meta.exif.text("Make") == "Apple"
    assert meta.exif.ifds["exif"]["DateTimeOriginal"] == "2025:11:10 09:30:00"
    assert meta.exif.ifds["exif"]["OffsetTimeOriginal"] == "+08:00"
    assert meta.exif.makernote_vendor == "Apple"
    assert meta.exif.makernote_size == len(maker_note)
    assert meta.exif.ifds["gps"]["0x0001"] == "N"
    assert not meta.issues


def test_jpeg_xmp_extended_icc_iptc_comment_trailer(photo: np.ndarray) -> None:
    std = b"http://ns.adobe.com/xap/1.0/\x00" + _xmp(
        "<weird:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
        "</weird:DigitalSourceType>",
        IPTC_EXT,
        prefix="weird",
    )
    ext_body = _xmp("<q:Thing>extended</q:Thing>", "urn:test:ns", prefix="q")
    guid = b"0123456789ABCDEF0123456789ABCDEF"
    ext = (
        b"http://ns.adobe.com/xmp/extension/\x00"
        + guid
        + struct.pack(">II", len(ext_body), 0)
        + ext_body
    )
    iim = b"\x1c\x02\x6e" + struct.pack(">H", 21) + b"Apple Photos Clean Up"
    res = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + b"\x00" * (len(iim) & 1)
    iptc = b"Photoshop 3.0\x00" + res
    icc = _tiny_icc("Test sRGB")
    data = (
        _insert_after_soi(
            encode(photo, "JPEG"),
            _app(0xE1, std),
            _app(0xE1, ext),
            _app(0xE2, b"ICC_PROFILE\x00\x01\x01" + icc),
            _app(0xED, iptc),
            _app(0xFE, b"hello comment"),
        )
        + b"TRAILER-DATA" * 10
    )
    meta = read_metadata(data)
    # the prefix is "weird", but the namespace URI is IPTC's: matched by URI
    ((value, _packet),) = meta.xmp_values(IPTC_EXT, "DigitalSourceType")
    assert value.endswith("trainedAlgorithmicMedia")
    assert meta.xmp_values("urn:test:ns", "Thing")[0][0] == "extended"
    assert meta.iptc["Credit"] == ("Apple Photos Clean Up",)
    assert meta.icc_description == "Test sRGB"
    assert meta.text("Comment")[0].value == "hello comment"
    assert meta.trailer.startswith(b"TRAILER-DATA") and meta.trailer_size == 120


def _tiny_icc(description: str) -> bytes:
    text = description.encode() + b"\x00"
    tag = b"desc\x00\x00\x00\x00" + struct.pack(">I", len(text)) + text
    header = b"\x00" * 128
    table = struct.pack(">I", 1) + b"desc" + struct.pack(">II", 144, len(tag))
    return header + table + tag


def test_png_text_chunks_exif_and_trailer(small: np.ndarray) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7")
    info.add_text("Comment", "compressed " * 50, zip=True)
    info.add_itxt("Description", "国际化 text", lang="zh", tkey="描述", zip=True)
    info.add_itxt("XML:com.adobe.xmp", _xmp("<x1:AIGC>{}</x1:AIGC>", TC260_NS).decode())
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    Image.fromarray(small).save(buf, "PNG", pnginfo=info, exif=exif.tobytes())
    data = buf.getvalue() + b"SEFH...PEg_Info...SEFT"
    meta = read_metadata(data)
    assert meta.text("parameters")[0].value.startswith("a cat")
    assert meta.text("Comment")[0].value == "compressed " * 50
    assert meta.text("Description")[0].value == "国际化 text"
    assert meta.xmp_values(TC260_NS, "AIGC")[0][0] == "{}"
    assert meta.exif is not None and meta.exif.text("Make") == "Canon"
    assert meta.trailer_container == "png:after-IEND" and b"PEg_Info" in meta.trailer


def test_webp_exif_and_xmp(small: np.ndarray) -> None:
    exif = Image.Exif()
    exif[0x010F] = "workflow:{}"
    data = encode(small, "WEBP", exif=exif.tobytes(), xmp=_xmp("<x1:a>b</x1:a>", "urn:x"))
    meta = read_metadata(data)
    assert meta.format == "WEBP"
    assert meta.exif is not None and meta.exif.text("Make") == "workflow:{}"
    assert meta.xmp_values("urn:x", "a")[0][0] == "b"


def test_tiff_tags(small: np.ndarray) -> None:
    data = encode(small, "TIFF", tiffinfo={0x010F: "Nikon", 700: _xmp("<x1:a>t</x1:a>", "urn:t")})
    meta = read_metadata(data)
    assert meta.exif is not None and meta.exif.text("Make") == "Nikon"
    assert meta.xmp_values("urn:t", "a")[0][0] == "t"


def test_gif_xmp_application_extension(small: np.ndarray) -> None:
    gif = encode(small, "GIF")
    packet = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>' + _xmp("<x1:a>g</x1:a>", "urn:g")
    ext = (
        b"\x21\xff\x0bXMP DataXMP"
        + packet
        + b'<?xpacket end="w"?>'
        + bytes(range(255, -1, -1))
        + b"\x00"
    )
    meta = read_metadata(gif[:-1] + ext + gif[-1:])
    assert meta.xmp_values("urn:g", "a")[0][0] == "g"


def test_huge_text_chunk_is_bounded(small: np.ndarray) -> None:
    huge = _png_chunk(b"tEXt", b"big\x00" + b"A" * (100 * 1024 * 1024))
    meta = read_metadata(_png_with_chunks(small, huge))
    (entry,) = meta.text("big")
    assert len(entry.value) == MAX_TEXT_BYTES
    assert entry.size >= 100 * 1024 * 1024


def test_compressed_text_bomb_is_bounded(small: np.ndarray) -> None:
    bomb = zlib.compress(b"\x00" * (200 * 1024 * 1024), 9)
    meta = read_metadata(_png_with_chunks(small, _png_chunk(b"zTXt", b"bomb\x00\x00" + bomb)))
    assert len(meta.text("bomb")[0].value) <= MAX_TEXT_BYTES


def test_xmp_with_entities_is_not_expanded(small: np.ndarray) -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        + _xmp("<x1:v>&b;</x1:v>", "urn:e")
    )
    data = _insert_after_soi(
        encode(small, "JPEG"), _app(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + evil)
    )
    meta = read_metadata(data)
    assert any("XMP" in i.message for i in meta.issues)
    assert all("aaaaaaaaaa" not in v for v, _ in meta.xmp_values("urn:e", "v"))


def test_malformed_blocks_become_issues(small: np.ndarray) -> None:
    jpeg = encode(small, "JPEG")
    bad_len = jpeg[:2] + b"\xff\xe1\xff\xf0Exif\x00\x00"  # segment longer than the file
    meta = read_metadata(bad_len)
    assert meta.issues and isinstance(meta.errors()[0], MalformedMetadata)
    # an EXIF IFD that points to itself
    tiff = (
        b"MM\x00*"
        + struct.pack(">I", 8)
        + struct.pack(">H", 1)
        + struct.pack(">HHII", 0x8769, 4, 1, 8)
        + b"\x00" * 4
    )
    meta = read_metadata(_insert_after_soi(jpeg, _app(0xE1, b"Exif\x00\x00" + tiff)))
    assert any("loops" in i.message for i in meta.issues)


def test_truncated_jpeg_and_bomb_header(photo: np.ndarray, small: np.ndarray) -> None:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    jpeg = encode(photo, "JPEG", exif=exif.tobytes())
    meta = read_metadata(jpeg[: len(jpeg) // 2])
    assert meta.exif is not None and meta.exif.text("Make") == "Canon"
    assert any("end-of-image" in i.message for i in meta.issues)
    png = bytearray(encode(small, "PNG"))
    png[16:24] = struct.pack(">II", 100_000, 100_000)  # a 10^5 x 10^5 header: nothing is decoded
    assert read_metadata(bytes(png)).format == "PNG"


def test_empty_unknown_and_wrong_type() -> None:
    assert read_metadata(b"") == Metadata(format=None)
    assert read_metadata(b"not an image at all").blocks == ()
    with pytest.raises(InvalidParameter, match="takes bytes"):
        read_metadata("path/to/file.jpg")  # type: ignore[arg-type]


@pytest.mark.shared_data
def test_c2pa_every_manifest_read(shared_data) -> None:  # type: ignore[no-untyped-def]
    meta = read_metadata((shared_data / "ai/generators/chatgpt-1.png").read_bytes())
    assert meta.c2pa is not None and len(meta.c2pa.manifests) == 2
    created = [
        (m.active, a) for m in meta.c2pa.manifests for a in m.actions if a.action == "c2pa.created"
    ]
    assert created and created[0][0] is False  # the AI action sits in the ingredient manifest
    assert created[0][1].digital_source_type == "trainedAlgorithmicMedia"
    assert meta.c2pa.integrity_failures == ()
    assert "signingCredential.expired" in meta.c2pa.credential_problems


@pytest.mark.shared_data
def test_c2pa_hash_mismatch_and_remote(shared_data) -> None:  # type: ignore[no-untyped-def]
    base = shared_data / "ai/c2pa-fixtures"
    tampered = read_metadata((base / "files-for-reading-tests/XCA.jpg").read_bytes()).c2pa
    assert tampered is not None and "assertion.dataHash.mismatch" in tampered.integrity_failures
    remote = read_metadata((base / "cloud.jpg").read_bytes()).c2pa
    assert remote is not None and remote.error and remote.remote_url.startswith("https://")


@pytest.mark.shared_data
def test_heic_and_avif_exif_items(shared_data) -> None:  # type: ignore[no-untyped-def]
    heic = read_metadata((shared_data / "camera/exifr/heic-iphone.heic").read_bytes())
    assert heic.format == "HEIF" and heic.exif is not None
    assert heic.exif.text("Make") == "Apple" and heic.exif.makernote_vendor == "Apple"
    avif = read_metadata((shared_data / "camera/exifr/avif/Irvine_CA.avif").read_bytes())
    assert avif.exif is not None and avif.exif.text("Make") == "Apple"


@pytest.mark.shared_data
def test_every_camera_file_parses(shared_data) -> None:  # type: ignore[no-untyped-def]
    for path in sorted((shared_data / "camera").rglob("*")):
        if path.is_file():
            assert isinstance(read_metadata(path.read_bytes()), Metadata), path
