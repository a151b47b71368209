"""A large burn on a plain product is found through the hash route.

A lemon or a pepper on white has too few corners for a feature fit, so the copy is compared
through the content boxes of a near-duplicate by hash. That comparison used to need 90% of
the evidence explained; a burn over a fifth of a blurred lemon leaves less, and the copy went
unreported. It is now also accepted when what changed is at most ``HASH_EDIT_MAX_CHANGE`` of
the product and the rest is explained (``HASH_EDIT_EXPLAINED``). Genuine shop photos of the
same plain products stay underived (a guard: none of them reaches the hash route's comparison,
even with the bounds loosened to 0.3 explained and a whole product changed).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from trueclaim.bench.forge import paint_damage
from trueclaim.bench.metrics import mask_iou
from trueclaim.bench.transforms import blur
from trueclaim.forensics import EngineParams, verify
from trueclaim.forensics import derivation as D
from trueclaim.forensics.decode import decode_image

ONLY = EngineParams(detectors=("derivation",))
PLAIN = ("Lemon", "Yellow-Bell-Pepper", "Orange")


def _listing(shared_data: Path, product: str) -> bytes:
    return next((shared_data / "grocery" / product / "listing").glob("*.jpg")).read_bytes()


def _burnt_and_blurred(listing: bytes, damage: str, seed: int) -> tuple[bytes, np.ndarray]:
    """The bench's forger: ``damage`` painted on the product, a soft blur, JPEG quality 85."""
    painted = paint_damage(
        decode_image(listing).pixels, np.random.default_rng(seed), damage=damage, regenerate=False
    )
    image, _ = blur(painted.image, None, np.random.default_rng(seed))
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=85)
    return buf.getvalue(), painted.mask


@pytest.mark.shared_data
@pytest.mark.parametrize(("damage", "seed"), [("burn", 4), ("stain", 1)])
def test_a_large_burn_on_a_plain_lemon_is_found(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch, damage: str, seed: int
) -> None:
    listing = _listing(shared_data, "Lemon")
    evidence, truth = _burnt_and_blurred(listing, damage, seed)
    report = verify([evidence], [listing], params=ONLY)
    assert "derived-with-local-edit" in report.codes
    assert mask_iou(truth, report.localization(0)) > 0.3
    # Asking for 90% explained, as before, misses it.
    monkeypatch.setattr(D, "HASH_EDIT_EXPLAINED", 0.9)
    assert not verify([evidence], [listing], params=ONLY).findings


@pytest.mark.shared_data
@pytest.mark.parametrize("product", PLAIN)
def test_genuine_photos_of_plain_products_are_not_derived(shared_data: Path, product: str) -> None:
    listing = _listing(shared_data, product)
    photos = sorted((shared_data / "grocery" / product / "photos").glob("*.jpg"))
    assert photos
    derived = [p.name for p in photos if verify([p.read_bytes()], [listing], params=ONLY).findings]
    assert derived == []
