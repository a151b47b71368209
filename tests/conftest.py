"""Shared fixtures: the shared development data, built images."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.types import CaseContext

SHARED_DATA = Path(
    os.environ.get(
        "TRUECLAIM_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
).resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The development images beside the checkout; tests that need them skip without."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"shared development data not found at {SHARED_DATA} (set TRUECLAIM_SHARED_DATA)"
        )
    return SHARED_DATA


def one_evidence_case(evidence: bytes, references: list[bytes]) -> Case:
    """A case of one evidence photo and the given references, decoded at 1024 px."""
    return Case(
        evidence=(Item(0, "evidence", evidence, analysis_max_side=1024),),
        references=tuple(
            Item(i, "reference", r, analysis_max_side=1024) for i, r in enumerate(references)
        ),
        context=CaseContext(),
        cache={},
    )


def encode(rgb: np.ndarray, fmt: str = "JPEG", **kwargs: object) -> bytes:
    """Encode an RGB array to bytes in the given Pillow format."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def derivation_codes(evidence: np.ndarray, reference: np.ndarray) -> set[str]:
    """The finding codes of the derivation detector alone, both images sent as JPEG (q 90)."""
    from trueclaim.forensics import EngineParams, verify

    report = verify(
        [encode(evidence, "JPEG", quality=90)],
        [encode(reference, "JPEG", quality=90)],
        params=EngineParams(detectors=("derivation",)),
    )
    return {f.code for f in report.findings}


@pytest.fixture
def photo() -> np.ndarray:
    """A real photo bundled with scikit-image (a cat, 300x451)."""
    from skimage import data

    return np.ascontiguousarray(data.chelsea())
