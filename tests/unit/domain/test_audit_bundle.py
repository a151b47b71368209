"""The audit chain and the bundle verifier on tampered or malformed input: every problem is
reported as a break, never raised, and no field is coerced into matching."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import pytest

from trueclaim.domain.audit import GENESIS, event_hash, verify_chain
from trueclaim.domain.bundle import BundleFile, build_bundle, verify_bundle


def _chain(n: int = 3) -> list[dict[str, Any]]:
    events, prev = [], GENESIS
    for seq in range(1, n + 1):
        ev: dict[str, Any] = {
            "tenant_id": "ten_1",
            "stream": "clm_1",
            "seq": seq,
            "kind": "claim.status_changed",
            "actor": "system",
            "at": f"2026-11-0{seq}T08:00:00+00:00",
            "data": {"to": f"s{seq}", "risk": 0.25},
            "prev_hash": prev,
        }
        ev["hash"] = prev = event_hash(**ev)
        events.append(ev)
    return events


def test_an_untouched_chain_verifies() -> None:
    assert verify_chain(_chain()) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("seq", "2"), ("seq", 2.0), ("seq", True), ("data", None), ("tenant_id", None), ("at", 1)],
)
def test_a_field_changed_to_another_type_is_a_break(field: str, value: object) -> None:
    events = _chain()
    events[1][field] = value
    assert verify_chain(events), f"{field}={value!r} was accepted"


def test_canonical_json_has_no_nan() -> None:
    with pytest.raises(ValueError):
        event_hash(
            tenant_id="t", stream="s", seq=1, kind="k", actor="a", at="x",
            data={"risk": float("nan")}, prev_hash=GENESIS,
        )  # fmt: skip


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _bundle_with(path: str, data: bytes) -> bytes:
    """A valid bundle whose ``path`` now holds ``data``, re-listed with its new SHA-256 (so only
    the content's shape is wrong)."""
    good = build_bundle({"id": "clm_1"}, [BundleFile("report.json", b'{"inputs": []}')], _chain())
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries[path] = data
    manifest = json.loads(entries["manifest.json"])
    for f in manifest["files"]:
        if f["path"] == path:
            f["sha256"] = hashlib.sha256(data).hexdigest()
    entries["manifest.json"] = json.dumps(manifest).encode()
    return _zip(entries)


def test_a_valid_bundle_verifies() -> None:
    good = build_bundle({"id": "clm_1"}, [BundleFile("report.json", b'{"inputs": []}')], _chain())
    assert verify_bundle(good) == []


@pytest.mark.parametrize(
    "bundle",
    [
        _zip({"manifest.json": b"[]"}),
        _zip({"manifest.json": b'{"files": ["x"]}'}),
        _zip({"manifest.json": b'{"files": [{}]}'}),
        _zip({"manifest.json": b'{"files": [{"path": 1, "sha256": "a"}]}'}),
        _zip({"manifest.json": b'{"files": [], "x": NaN}'}),
        _bundle_with("events.json", b'{"a": 1}'),
        _bundle_with("events.json", b'["a"]'),
        _bundle_with("events.json", b'[{"seq": "x"}]'),
        _bundle_with("events.json", b'[{"seq": 1, "data": NaN}]'),
        _bundle_with("events.json", b"[{}]"),
        _bundle_with("report.json", b"[]"),
        _bundle_with("report.json", b'{"inputs": ["a"]}'),
        b"PK\x03\x04 not really a zip",
    ],
    ids=lambda b: hashlib.sha256(b).hexdigest()[:8],
)
def test_a_malformed_bundle_is_reported_not_raised(bundle: bytes) -> None:
    problems = verify_bundle(bundle)
    assert problems and all(isinstance(p, str) and p for p in problems)
