"""Manifest parsing: exact keys, relative paths, errors that name the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trueclaim.bench.manifest import ManifestError, load_manifest


def _write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "sub" / "manifest.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", "utf-8"
    )
    return path


CASE = {
    "id": "c1",
    "evidence": ["files/a.jpg"],
    "references": ["files/listing.jpg"],
    "label": "forged",
    "kind": "listing-damage",
    "mask": "files/a_mask.png",
    "context": {"delivered_at": "2025-11-12T10:00:00+08:00", "courier": "SF"},
}


def test_paths_are_relative_to_the_manifest_folder(tmp_path: Path) -> None:
    path = _write(tmp_path, CASE)
    (case,) = load_manifest(path)
    base = path.resolve().parent
    assert case.evidence == (base / "files/a.jpg",)
    assert case.references == (base / "files/listing.jpg",)
    assert case.mask == base / "files/a_mask.png"
    assert case.label == "forged" and case.kind == "listing-damage" and case.line == 1
    assert case.context.delivered_at is not None
    assert case.context.delivered_at.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


def test_optional_keys_and_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "", {"id": 7, "evidence": ["x.png"], "label": "unlabeled"}, "   ")
    (case,) = load_manifest(path)
    assert case.id == "7" and case.references == () and case.mask is None
    assert case.line == 2


def test_unknown_top_level_key_is_an_error_with_its_line(tmp_path: Path) -> None:
    bad = dict(CASE, id="c2", refrences=["x.jpg"])
    path = _write(tmp_path, CASE, bad)
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert info.value.line == 2
    assert "refrences" in str(info.value) and "line 2" in str(info.value)


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, CASE, dict(CASE, id="c2"), '{"id": "c3", "evidence": [}')
    with pytest.raises(ManifestError, match="line 3: not valid JSON") as info:
        load_manifest(path)
    assert info.value.line == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"label": "fake"}, "'label' must be one of"),
        ({"evidence": []}, "'evidence' is empty"),
        ({"evidence": [3]}, "'evidence' must be a list"),
        ({"mask": 5}, "'mask' must be a path"),
        ({"context": {"delivered_at": "yesterday"}}, "not ISO 8601"),
        ({"context": []}, "'context' must be an object"),
    ],
)
def test_invalid_values(tmp_path: Path, change: dict[str, object], message: str) -> None:
    path = _write(tmp_path, dict(CASE, **change))
    with pytest.raises(ManifestError, match=message):
        load_manifest(path)


def test_missing_required_key_and_duplicates(tmp_path: Path) -> None:
    no_label = {k: v for k, v in CASE.items() if k != "label"}
    with pytest.raises(ManifestError, match=r"missing required key\(s\) \['label'\]"):
        load_manifest(_write(tmp_path, no_label))
    with pytest.raises(ManifestError, match="line 2: duplicate id 'c1'"):
        load_manifest(_write(tmp_path, CASE, CASE))


def test_missing_or_empty_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="does not exist"):
        load_manifest(tmp_path / "nope.jsonl")
    with pytest.raises(ManifestError, match="no cases"):
        load_manifest(_write(tmp_path, ""))


def test_time_without_offset_is_read_as_utc(tmp_path: Path) -> None:
    (case,) = load_manifest(_write(tmp_path, dict(CASE, context={"delivered_at": "2025-11-12"})))
    assert case.context.delivered_at is not None
    assert case.context.delivered_at.isoformat() == "2025-11-12T00:00:00+00:00"
