"""Mirrored and turned copies are found and named; unmatched references stay undecoded.

The evidence carries the eight dihedral variants of its hash (one set per claim) and each
reference only its own, hashed from a small preview decode; what a finding reports must not
depend on which side carries them.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from tests.conftest import encode
from trueclaim.forensics import EngineParams, verify
from trueclaim.forensics import derivation as D
from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.hashing import transform_variant
from trueclaim.forensics.types import CaseContext

ONLY = EngineParams(detectors=("derivation",))


def _listing() -> np.ndarray:
    return cv2.resize(
        np.ascontiguousarray(data.chelsea()), (902, 600), interpolation=cv2.INTER_CUBIC
    )


def _others() -> list[bytes]:
    return [
        encode(np.ascontiguousarray(img), "JPEG", quality=90)
        for img in (data.astronaut(), data.coffee(), data.rocket(), data.camera())
    ]


def _angle_gap(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


@pytest.mark.parametrize(
    ("variant", "rotation_deg"),
    [
        ("identity", 0.0),
        ("rotate-90", 90.0),
        ("rotate-180", 180.0),
        ("rotate-270", 270.0),
        ("mirror", 0.0),
        ("mirror-rotate-90", None),
        ("mirror-rotate-180", None),
        ("mirror-rotate-270", None),
    ],
)
def test_a_turned_or_mirrored_copy_is_derived_and_the_transform_named(
    variant: str, rotation_deg: float | None
) -> None:
    listing = _listing()
    evidence = encode(transform_variant(listing, variant), "JPEG", quality=88)
    refs = _others()
    refs.insert(2, encode(listing, "JPEG", quality=92))
    report = verify([evidence], refs, params=ONLY)
    derived = next(f for f in report.findings if f.code == "derived-from-reference")
    assert derived.reference_index == 2
    assert derived.data["hash"]["variant"] == variant
    transform = derived.data["transform"]
    assert transform["mirrored"] == variant.startswith("mirror")
    if rotation_deg is not None:
        assert _angle_gap(transform["rotation_deg"], rotation_deg) < 2.0
    assert ("mirrored" in derived.message_en) == variant.startswith("mirror")


def test_references_that_are_not_matched_are_never_decoded_at_analysis_size() -> None:
    listing = _listing()
    edited = listing.copy()
    cv2.line(edited, (250, 380), (420, 330), (20, 15, 10), 5)
    refs = _others()
    refs.insert(1, encode(listing, "JPEG", quality=92))
    case = Case(
        evidence=(Item(0, "evidence", encode(edited, "JPEG", quality=85), analysis_max_side=1024),),
        references=tuple(
            Item(i, "reference", r, analysis_max_side=1024) for i, r in enumerate(refs)
        ),
        context=CaseContext(),
        cache={},
    )
    D.clear_reference_cache()
    findings = D.detect(case, {})
    assert {f.reference_index for f in findings} == {1}
    decoded = {r.index for r in case.references if "analysis" in r.__dict__}
    assert decoded == {1}  # the copied one; the others were only previewed and hashed
    assert all(r.ok and r.summary().width for r in case.references)
