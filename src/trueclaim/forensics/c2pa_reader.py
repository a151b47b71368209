"""C2PA manifest stores, read offline with c2pa-python: every manifest, every action.

The reader never fetches a remote manifest and never queries OCSP. A store that cannot be read
is reported (``C2paInfo.error``), not dropped. Status codes are split into credential problems
(signer not on a trust list, expired certificate: the manifest is intact but unverified) and
integrity failures (hash or signature mismatch: the file changed after signing).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_MIMES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "HEIF": "image/heic",
    "AVIF": "image/avif",
    "GIF": "image/gif",
}
_CREDENTIAL_PREFIXES = ("signingCredential.", "timeStamp.", "cawg.x509.credential.")


@dataclass(frozen=True, slots=True)
class C2paAction:
    """One action of a ``c2pa.actions`` assertion."""

    action: str
    digital_source_type: str  # last path segment of the IPTC URI, "" when absent
    software_agent: str
    description: str


@dataclass(frozen=True, slots=True)
class C2paManifest:
    """One manifest of the store (active or ingredient)."""

    label: str
    active: bool
    claim_generator: str
    issuer: str
    common_name: str
    actions: tuple[C2paAction, ...]
    assertion_labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class C2paInfo:
    """What the C2PA store says; ``error`` is set when a store exists but cannot be read."""

    validation_state: str  # "Valid", "Trusted", "Invalid", or "" when unread
    status_codes: tuple[str, ...]
    manifests: tuple[C2paManifest, ...]
    error: str = ""
    remote_url: str = ""

    @property
    def integrity_failures(self) -> tuple[str, ...]:
        """Status codes that mean the file or the manifest changed after signing."""
        return tuple(c for c in self.status_codes if not c.startswith(_CREDENTIAL_PREFIXES))

    @property
    def credential_problems(self) -> tuple[str, ...]:
        return tuple(c for c in self.status_codes if c.startswith(_CREDENTIAL_PREFIXES))


@lru_cache(maxsize=1)
def _context() -> Any:
    from c2pa import Context

    return Context.from_dict({"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}})


def read_c2pa(data: bytes, fmt: str | None) -> C2paInfo:
    """Read the manifest store of a file known to carry JUMBF/C2PA data."""
    from c2pa import Reader

    mime = _MIMES.get(fmt or "", "application/octet-stream")
    try:
        reader = Reader(mime, io.BytesIO(data), context=_context())
        try:
            store = json.loads(reader.json())
        finally:
            close = getattr(reader, "close", None)
            if close:
                close()
    except Exception as exc:
        text = str(exc)
        remote = text.split("url ", 1)[1].strip() if "Remote" in text and "url " in text else ""
        return C2paInfo("", (), (), error=f"{type(exc).__name__}: {text[:300]}", remote_url=remote)
    return _summarise(store)


def _summarise(store: Mapping[str, Any]) -> C2paInfo:
    active = store.get("active_manifest", "")
    manifests = []
    for label, m in (store.get("manifests") or {}).items():
        if not isinstance(m, Mapping):
            continue
        actions: list[C2paAction] = []
        for assertion in m.get("assertions") or []:
            if str(assertion.get("label", "")).startswith("c2pa.actions"):
                for act in (assertion.get("data") or {}).get("actions") or []:
                    if isinstance(act, Mapping):
                        actions.append(_action(act))
        gen = m.get("claim_generator") or ""
        if not gen:
            infos = m.get("claim_generator_info") or []
            gen = "; ".join(str(i.get("name", "")) for i in infos if isinstance(i, Mapping))
        sig = m.get("signature_info") or {}
        manifests.append(
            C2paManifest(
                label=str(label),
                active=label == active,
                claim_generator=str(gen),
                issuer=str(sig.get("issuer") or ""),
                common_name=str(sig.get("common_name") or ""),
                actions=tuple(actions),
                assertion_labels=tuple(str(a.get("label", "")) for a in m.get("assertions") or []),
            )
        )
    codes = [str(s.get("code", "")) for s in store.get("validation_status") or []]
    results = store.get("validation_results") or {}
    for delta in results.get("ingredientDeltas") or []:
        for s in ((delta or {}).get("validationDeltas") or {}).get("failure") or []:
            codes.append(str(s.get("code", "")))
    for s in (results.get("activeManifest") or {}).get("failure") or []:
        codes.append(str(s.get("code", "")))
    return C2paInfo(
        validation_state=str(store.get("validation_state") or ""),
        status_codes=tuple(dict.fromkeys(c for c in codes if c)),
        manifests=tuple(manifests),
    )


def _action(act: Mapping[str, Any]) -> C2paAction:
    agent = act.get("softwareAgent") or ""
    if isinstance(agent, Mapping):
        agent = " ".join(str(agent.get(k, "")) for k in ("name", "version") if agent.get(k))
    params = act.get("parameters") or {}
    description = act.get("description") or (
        params.get("description") if isinstance(params, Mapping) else ""
    )
    dst = str(act.get("digitalSourceType") or "").rstrip("/").rsplit("/", 1)[-1]
    return C2paAction(str(act.get("action", "")), dst, str(agent), str(description or ""))
