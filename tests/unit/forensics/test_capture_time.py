from __future__ import annotations

import numpy as np
from PIL import Image

from tests.conftest import encode
from trueclaim.forensics.capture_time import capture_time
from trueclaim.forensics.metadata import read_metadata

_XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
    'photoshop:DateCreated="{when}"/></rdf:RDF></x:xmpmeta>'
)


def _jpeg(photo: np.ndarray, original: str | None, xmp_when: str | None) -> bytes:
    exif = Image.Exif()
    if original:
        exif.get_ifd(0x8769)[0x9003] = original
    kwargs: dict[str, object] = {"exif": exif.tobytes()}
    if xmp_when:
        kwargs["xmp"] = _XMP.format(when=xmp_when).encode()
    return encode(photo, "JPEG", **kwargs)


def test_disagreeing_xmp_content_date_does_not_override_the_camera_time(photo: np.ndarray) -> None:
    found = capture_time(
        read_metadata(_jpeg(photo, "2025:03:04 10:00:00", "2007-11-19T00:00:00-08:00"))
    )
    assert found is not None
    assert found.source == "exif:DateTimeOriginal" and not found.aware


def test_agreeing_xmp_time_supplies_the_zone(photo: np.ndarray) -> None:
    found = capture_time(
        read_metadata(_jpeg(photo, "2025:03:04 10:00:00", "2025-03-04T10:00:00+08:00"))
    )
    assert found is not None
    assert found.aware and found.source == "xmp:DateCreated"


def test_xmp_alone_is_used(photo: np.ndarray) -> None:
    found = capture_time(read_metadata(_jpeg(photo, None, "2007-11-19T00:00:00-08:00")))
    assert found is not None and found.source == "xmp:DateCreated"
