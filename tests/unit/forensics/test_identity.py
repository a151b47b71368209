from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import encode
from trueclaim.forensics import identity
from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.errors import InvalidParameter
from trueclaim.forensics.types import CaseContext, Finding, Severity


def _case(evidence: list[bytes], references: list[bytes]) -> Case:
    return Case(
        evidence=tuple(
            Item(i, "evidence", b, analysis_max_side=1024) for i, b in enumerate(evidence)
        ),
        references=tuple(
            Item(i, "reference", b, analysis_max_side=1024) for i, b in enumerate(references)
        ),
        context=CaseContext(),
        cache={},
    )


def _codes(findings: list[Finding], index: int) -> set[str]:
    return {f.code for f in findings if f.evidence_index == index}


def _listing(shared: Path, product: str) -> bytes:
    return next((shared / "grocery" / product / "listing").iterdir()).read_bytes()


def _photos(shared: Path, product: str, step: int = 4) -> list[bytes]:
    return [
        p.read_bytes() for p in sorted((shared / "grocery" / product / "photos").iterdir())[::step]
    ]


def test_no_references_no_findings(photo: np.ndarray) -> None:
    assert identity.detect(_case([encode(photo)], []), {}) == ()


def test_same_image_matches(photo: np.ndarray) -> None:
    from skimage import data

    astronaut = np.ascontiguousarray(data.astronaut())
    shifted = astronaut[40:, 30:]  # the same object, cropped
    findings = list(identity.detect(_case([encode(shifted)], [encode(astronaut)]), {}))
    assert _codes(findings, 0) == {"matches-ordered-product"}
    f = findings[0]
    assert f.severity == Severity.INFO and f.reference_index == 0 and f.score > 0.2


def test_unknown_option_is_refused(photo: np.ndarray) -> None:
    with pytest.raises(InvalidParameter, match="ratio_test"):
        identity.detect(_case([encode(photo)], [encode(photo)]), {"ratio_test": 0.8})


def test_derivation_matches_are_reused(photo: np.ndarray) -> None:
    from types import SimpleNamespace

    case = _case([encode(photo)], [encode(photo[::-1])])
    match = SimpleNamespace(n_inliers=40)
    case.cache["derivation"] = {
        "evidence": {0: SimpleNamespace(matches={0: match})},
        "references": {},
    }
    findings = list(identity.detect(case, {}))
    assert findings[0].code == "matches-ordered-product"
    assert findings[0].data["matches"][0]["source"] == "derivation"


@pytest.mark.shared_data
def test_genuine_photos_of_the_product_are_not_flagged(shared_data: Path) -> None:
    for product in (
        "Garant-Ecological-Medium-Fat-Milk",
        "Arla-Sour-Milk",
        "Tropicana-Apple-Juice",
        "Oatly-Oat-Milk",
        "Banana",
        "Bravo-Apple-Juice",
    ):
        photos = _photos(shared_data, product)
        findings = list(identity.detect(_case(photos, [_listing(shared_data, product)]), {}))
        assert not any(f.code == "not-the-ordered-product" for f in findings), product
        if product == "Garant-Ecological-Medium-Fat-Milk":
            matched = sum(
                "matches-ordered-product" in _codes(findings, i) for i in range(len(photos))
            )
            assert matched >= len(photos) // 2


@pytest.mark.shared_data
def test_photos_of_another_product_are_flagged(shared_data: Path) -> None:
    listing = _listing(shared_data, "Garant-Ecological-Medium-Fat-Milk")
    photos = _photos(shared_data, "Garlic") + _photos(shared_data, "God-Morgon-Apple-Juice")
    findings = list(identity.detect(_case(photos, [listing]), {}))
    assert not any(f.code == "matches-ordered-product" for f in findings)
    flagged = [f for f in findings if f.code == "not-the-ordered-product"]
    assert len(flagged) >= len(photos) // 2
    assert all(f.severity == Severity.MEDIUM and 0.5 <= f.score <= 1.0 for f in flagged)
    assert "ordered product" in flagged[0].message_en and flagged[0].message_zh
