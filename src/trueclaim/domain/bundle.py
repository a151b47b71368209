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
import zlib
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
    """Check a bundle; return one line per break (empty when everything holds).

    A bundle may have been tampered with in any way, so nothing in it is trusted: a malformed
    manifest, event log or report is reported as a break, never raised.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        return [f"not a zip file: {exc}"]
    with zf:
        names = set(zf.namelist())
        if "manifest.json" not in names:
            return ["manifest.json is missing"]
        manifest, problem = _load_json(zf, "manifest.json")
        if problem:
            return [problem]
        problem = _manifest_problem(manifest)
        if problem:
            return [f"manifest.json: {problem}"]
        problems = _check_files(zf, names, manifest)
        if "events.json" in names:
            problems += _check_events(zf, manifest)
        if "report.json" in names:
            problems += _check_report(zf, manifest)
        return problems


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in canonical JSON")


def _read(zf: zipfile.ZipFile, path: str) -> tuple[bytes | None, str | None]:
    try:
        return zf.read(path), None
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        return None, f"{path}: cannot be read from the zip ({exc})"


def _load_json(zf: zipfile.ZipFile, path: str) -> tuple[Any, str | None]:
    raw, problem = _read(zf, path)
    if raw is None:
        return None, problem
    try:
        return json.loads(raw, parse_constant=_reject_constant), None
    except ValueError as exc:
        return None, f"{path} is not valid JSON: {exc}"


def _manifest_problem(manifest: Any) -> str | None:
    if not isinstance(manifest, dict):
        return "not a JSON object"
    files = manifest.get("files", [])
    if not isinstance(files, list) or not all(
        isinstance(e, dict) and isinstance(e.get("path"), str) and isinstance(e.get("sha256"), str)
        for e in files
    ):
        return '"files" is not a list of {"path", "sha256"} entries'
    return None


def _check_files(zf: zipfile.ZipFile, names: set[str], manifest: Mapping[str, Any]) -> list[str]:
    problems = []
    listed = set()
    for entry in manifest.get("files", []):
        path = entry["path"]
        listed.add(path)
        if path not in names:
            problems.append(f"{path}: listed in the manifest but missing from the bundle")
            continue
        raw, problem = _read(zf, path)
        if raw is None:
            problems.append(str(problem))
            continue
        digest = hashlib.sha256(raw).hexdigest()
        if digest != entry["sha256"]:
            problems.append(
                f"{path}: SHA-256 {digest} does not match the manifest ({entry['sha256']})"
            )
    for extra in sorted(names - listed - {"manifest.json"}):
        problems.append(f"{extra}: in the bundle but not listed in the manifest")
    return problems


def _check_events(zf: zipfile.ZipFile, manifest: Mapping[str, Any]) -> list[str]:
    events, problem = _load_json(zf, "events.json")
    if problem:
        return [problem]
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        return ["events.json is not a list of event objects"]
    problems = [f"event chain: event #{b.seq}: {b.reason}" for b in verify_chain(events)]
    head = events[-1].get("hash") if events else GENESIS
    if head != manifest.get("chain_head") or len(events) != manifest.get("event_count"):
        problems.append(
            "event chain: the last event or the event count differs from the manifest "
            "(events were added or removed)"
        )
    return problems


def _check_report(zf: zipfile.ZipFile, manifest: Mapping[str, Any]) -> list[str]:
    report, problem = _load_json(zf, "report.json")
    if problem:
        return [problem]
    inputs = report.get("inputs", []) if isinstance(report, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        return ['report.json: "inputs" is not a list of input objects']
    hashes = {e["sha256"] for e in manifest.get("files", []) if e["path"].startswith("originals/")}
    return [
        f"report.json: input {i.get('role')} {i.get('index')} (sha256 {i.get('sha256')}) "
        "is not among the originals"
        for i in inputs
        if i.get("sha256") not in hashes
    ]
