"""Reference decodes are memoised across cases by SHA-256; evidence decodes are not."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import encode
from trueclaim.forensics import case as C
from trueclaim.forensics.decode import decode_image


def test_a_reference_hit_returns_what_a_decode_gives(photo: np.ndarray) -> None:
    data = encode(photo, "JPEG", quality=90)
    C.clear_reference_decode_cache()
    first = C.Item(0, "reference", data, analysis_max_side=200).analysis
    second = C.Item(3, "reference", data, analysis_max_side=200).analysis
    assert first is not None and second is first
    fresh = decode_image(data, max_side=200)
    assert np.array_equal(second.pixels, fresh.pixels)
    assert (second.width, second.height, second.scale) == (fresh.width, fresh.height, fresh.scale)
    with pytest.raises(ValueError):
        second.pixels[0, 0] = 0  # shared between cases: read-only


def test_the_cache_is_keyed_by_size_bounded_and_skips_evidence(
    photo: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = encode(photo, "JPEG", quality=90), encode(photo[:, ::-1].copy(), "PNG")
    C.clear_reference_decode_cache()
    _ = C.Item(0, "evidence", a, analysis_max_side=200).analysis
    assert not C._reference_cache
    small = C.Item(0, "reference", a, analysis_max_side=200).analysis
    large = C.Item(0, "reference", a, analysis_max_side=400).analysis
    assert small is not None and large is not None
    assert max(small.pixels.shape) < max(large.pixels.shape)
    monkeypatch.setattr(C, "_REFERENCE_CACHE_SIZE", 2)
    _ = C.Item(0, "reference", b, analysis_max_side=200).analysis
    assert len(C._reference_cache) == 2
    assert (C.Item(0, "reference", b, analysis_max_side=200).sha256, 200) in C._reference_cache
    C.clear_reference_decode_cache()
    assert not C._reference_cache


def test_an_unreadable_reference_is_not_cached() -> None:
    C.clear_reference_decode_cache()
    item = C.Item(0, "reference", b"\xff\xd8\xffnot a jpeg", analysis_max_side=200)
    assert item.analysis is None and item.error is not None
    assert not C._reference_cache


def test_a_reference_is_judged_on_its_preview_until_its_analysis_is_decoded(
    photo: np.ndarray,
) -> None:
    data = encode(np.ascontiguousarray(np.tile(photo, (3, 3, 1))), "JPEG", quality=90)
    C.clear_reference_decode_cache()
    item = C.Item(0, "reference", data, analysis_max_side=1024)
    assert item.ok and "analysis" not in item.__dict__
    assert item.preview is not None and max(item.preview.pixels.shape) <= C.PREVIEW_MAX_SIDE
    summary = item.summary()
    assert (summary.status, summary.width, summary.height) == ("ok", 1353, 900)
    assert "analysis" not in item.__dict__  # the summary did not need it either
    assert item.analysis is not None and (item.analysis.width, item.analysis.height) == (1353, 900)
    again = C.Item(1, "reference", data, analysis_max_side=1024)
    assert again.preview is item.preview  # memoised with the analysis decodes
    evidence = C.Item(0, "evidence", data, analysis_max_side=1024)
    assert evidence.ok and "analysis" in evidence.__dict__


def test_an_unreadable_reference_preview_is_reported() -> None:
    C.clear_reference_decode_cache()
    item = C.Item(0, "reference", b"\xff\xd8\xff\xe0 truncated", analysis_max_side=1024)
    assert not item.ok and item.error is not None
    assert item.summary().status == "unreadable" and item.summary().reason
