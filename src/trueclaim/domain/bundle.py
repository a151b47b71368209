"""The evidence bundle: a zip anyone can check with ``trueclaim verify-bundle``.

Layout::

    manifest.json            claim summary, every file's SHA-256 and size, the chain head
    originals/evidence/...   uploaded files, byte for byte
    originals/references/... the merchant's reference files
    report.json report.html  the engine's latest report
    events.json              the claim's hash-chained event log
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trueclaim.domain.audit import GENESIS, verify_chain

FORMAT = "trueclaim-bundle/1"


@dataclass(frozen=True, slots=True)
class BundleFile:
    path: str
    data: bytes


def build_bundle(
    claim: Mapping[str, Any], files: Sequence[BundleFile], events: Sequence[Mapping[str, Any]]
) -> bytes:
    """Zip ``files`` plus ``events.json`` and a manifest of every SHA-256."""
    events_bytes = json.dumps(list(events), ensure_ascii=False, indent=2).encode("utf-8")
    all_files = [*files, BundleFile("events.json", events_bytes)]
    manifest = {
        "format": FORMAT,
        "claim": dict(claim),
        "files": [
            {
                "path": f.path,
                "sha256": hashlib.sha256(f.data).hexdigest(),
                "size_bytes": len(f.data),
            }
            for f in all_files
        ],
        "event_count": len(events),
        "chain_head": events[-1]["hash"] if events else GENESIS,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        for f in all_files:
            zf.writestr(f.path, f.data)
    return buf.getvalue()


def verify_bundle(data: bytes) -> list[str]:
    """Check a bundle; return one line per break (empty when everything holds)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        return [f"not a zip file: {exc}"]
    with zf:
        names = set(zf.namelist())
        if "manifest.json" not in names:
            return ["manifest.json is missing"]
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except ValueError as exc:
            return [f"manifest.json is not valid JSON: {exc}"]
        problems = _check_files(zf, names, manifest)
        if "events.json" in names:
            problems += _check_events(zf.read("events.json"), manifest)
        if "report.json" in names:
            problems += _check_report(zf, manifest)
        return problems


def _check_files(zf: zipfile.ZipFile, names: set[str], manifest: Mapping[str, Any]) -> list[str]:
    problems = []
    listed = set()
    for entry in manifest.get("files", []):
        path = entry.get("path")
        listed.add(path)
        if path not in names:
            problems.append(f"{path}: listed in the manifest but missing from the bundle")
            continue
        digest = hashlib.sha256(zf.read(path)).hexdigest()
        if digest != entry.get("sha256"):
            problems.append(
                f"{path}: SHA-256 {digest} does not match the manifest ({entry.get('sha256')})"
            )
    for extra in sorted(names - listed - {"manifest.json"}):
        problems.append(f"{extra}: in the bundle but not listed in the manifest")
    return problems


def _check_events(raw: bytes, manifest: Mapping[str, Any]) -> list[str]:
    try:
        events = json.loads(raw)
    except ValueError as exc:
        return [f"events.json is not valid JSON: {exc}"]
    problems = [f"event chain: event #{b.seq}: {b.reason}" for b in verify_chain(events)]
    head = events[-1]["hash"] if events else GENESIS
    if head != manifest.get("chain_head") or len(events) != manifest.get("event_count"):
        problems.append(
            "event chain: the last event or the event count differs from the manifest "
            "(events were added or removed)"
        )
    return problems


def _check_report(zf: zipfile.ZipFile, manifest: Mapping[str, Any]) -> list[str]:
    try:
        report = json.loads(zf.read("report.json"))
    except ValueError as exc:
        return [f"report.json is not valid JSON: {exc}"]
    hashes = {
        e.get("sha256")
        for e in manifest.get("files", [])
        if str(e.get("path")).startswith("originals/")
    }
    return [
        f"report.json: input {i.get('role')} {i.get('index')} (sha256 {i.get('sha256')}) "
        "is not among the originals"
        for i in report.get("inputs", [])
        if i.get("sha256") not in hashes
    ]
