"""Hostile bytes: the metadata reader and the decoder return a value or raise our own error."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from tests.conftest import SHARED_DATA
from trueclaim.forensics import provenance
from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.errors import ForensicsError
from trueclaim.forensics.metadata import Metadata, read_metadata
from trueclaim.forensics.types import CaseContext


def _seed_files() -> list[bytes]:
    """Small real files of every container, carrying every metadata kind the reader parses."""
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0131] = "Apple", "iPhone 15", "17.1"
    sub = exif.get_ifd(0x8769)
    sub[0x9003], sub[0x9286] = "2025:11:10 10:00:00", b"ASCII\x00\x00\x00Screenshot"
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:T="http://www.tc260.org.cn/ns/AIGC/1.0/" T:AIGC='
        b'"{&quot;Label&quot;:&quot;1&quot;}"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    out = []
    for fmt, kwargs in (
        ("JPEG", {"exif": exif.tobytes(), "xmp": xmp}),
        ("WEBP", {"exif": exif.tobytes(), "xmp": xmp}),
        ("TIFF", {}),
        ("GIF", {}),
    ):
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, fmt, **kwargs)
        out.append(buf.getvalue())
    info = PngImagePlugin.PngInfo()
    info.add_text("AIGC", json.dumps({"Label": "1", "ContentProducer": "doubao"}))
    info.add_text("parameters", "x\nSteps: 2, Sampler: Euler")
    info.add_itxt("XML:com.adobe.xmp", xmp.decode(), zip=True)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG", pnginfo=info, exif=exif.tobytes())
    out.append(buf.getvalue() + b'PEg_Info{"genAIType":8}SEFT')
    return out


SEEDS = _seed_files()
_SHARED_SEEDS = (  # small real files: generator chunks, a C2PA manifest, a HEIC, camera EXIF
    "ai/generator-chunks/novelai1_cropped.png",
    "ai/generator-chunks/img2img_cropped.png",
    "ai/generator-chunks/automatic1111_cropped.jpg",
    "ai/c2pa-fixtures/C.jpg",
    "camera/exifr/heic-iphone7.heic",
    "camera/exifr/IMG_20180725_163423-tiny.jpg",
)
SHARED_SEEDS = [
    (SHARED_DATA / name).read_bytes() for name in _SHARED_SEEDS if (SHARED_DATA / name).is_file()
]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes] = SEEDS) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "truncate", "dup"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=32))
        elif op == "truncate":
            del data[pos:]
        else:
            data[pos:pos] = data[pos : pos + draw(st.integers(1, 256))]
    return bytes(data)


def _check(data: bytes) -> None:
    assert isinstance(read_metadata(data), Metadata)
    case = Case((Item(0, "evidence", data, analysis_max_side=256),), (), CaseContext(), {})
    for finding in provenance.detect(case, {}):  # the detector copes with whatever was parsed
        assert 0.0 <= finding.score <= 1.0
    try:
        decoded = decode_image(data, max_side=64)
    except ForensicsError:
        return
    assert decoded.pixels.ndim == 3 and decoded.pixels.dtype == np.uint8


# Pillow warns (UserWarning) about corrupt EXIF while decoding and goes on; that is not a
# failure of ours, so it is not turned into an error here.
PILLOW_WARNINGS = pytest.mark.filterwarnings("ignore::UserWarning:PIL.*")


@PILLOW_WARNINGS
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_real_files(data: bytes) -> None:
    _check(data)


@PILLOW_WARNINGS
@pytest.mark.shared_data
@pytest.mark.skipif(not SHARED_SEEDS, reason=f"shared development data not found at {SHARED_DATA}")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(SHARED_SEEDS or SEEDS))
def test_mutated_shared_files(data: bytes) -> None:
    _check(data)


@PILLOW_WARNINGS
@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=2048),
        st.builds(
            lambda magic, rest: magic + rest,
            st.sampled_from(
                [
                    b"\xff\xd8\xff",
                    b"\x89PNG\r\n\x1a\n",
                    b"RIFF\x00\x00\x00\x00WEBP",
                    b"II*\x00",
                    b"MM\x00*",
                    b"\x00\x00\x00\x18ftypheic",
                    b"GIF89a",
                ]
            ),
            st.binary(max_size=2048),
        ),
    )
)
def test_arbitrary_bytes(data: bytes) -> None:
    _check(data)
