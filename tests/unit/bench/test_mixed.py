"""The mixed set's files taken as they are: every case gets its own id."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from trueclaim.bench.manifest import load_manifest
from trueclaim.bench.mixed import make_mixed


def _photo(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = np.random.default_rng(seed).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(path)


def test_files_of_one_stem_in_two_formats_get_their_own_ids(tmp_path: Path) -> None:
    shared = tmp_path / "data"
    _photo(shared / "screens" / "photos" / "dog.jpg", 1)
    _photo(shared / "screens" / "photos" / "dog.tif", 2)
    _photo(shared / "screens" / "photos" / "cat.jpg", 3)
    out = tmp_path / "mixed"

    summary = make_mixed(shared, out, taken_limit=None)

    cases = load_manifest(out / "manifest.jsonl")  # refuses a manifest with a repeated id
    ids = sorted(c.id for c in cases)
    assert ids == [
        "taken-screens-photos-cat",
        "taken-screens-photos-dog",
        "taken-screens-photos-dog.tif",
    ]
    assert summary.by_kind["ordinary-photo"] == 3
    by_id = {c.id: c for c in cases}
    assert (
        by_id["taken-screens-photos-dog.tif"].evidence[0].read_bytes()
        == (shared / "screens" / "photos" / "dog.tif").read_bytes()
    )
