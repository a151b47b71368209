"""The case manifest: one JSON object per line, paths relative to the manifest's folder.

```
{"id": "c1", "evidence": ["files/a.jpg"], "references": ["files/listing.jpg"],
 "label": "forged", "kind": "listing-damage", "mask": "files/a_mask.png",
 "context": {"delivered_at": "2025-11-12T10:00:00+08:00"}}
```

``label`` is ``forged``, ``genuine`` or ``unlabeled``. ``mask`` (white = edited) belongs to
the first evidence image. Unknown ``context`` keys are ignored; unknown top-level keys are an
error, so a typo (``"refrences"``) cannot silently turn into a case without references.
Context times are ISO 8601; one without an offset (``"2025-11-12"``) is read as UTC.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trueclaim.forensics.types import CaseContext

LABELS = ("forged", "genuine", "unlabeled")
KEYS = ("id", "evidence", "references", "label", "kind", "mask", "context")
REQUIRED_KEYS = ("id", "evidence", "label")
CONTEXT_TIMES = ("shipped_at", "delivered_at", "claimed_at")
DEFAULT_KIND = "unspecified"


class ManifestError(Exception):
    """A manifest line cannot be used; ``line`` is 1-based (0 when the file itself fails)."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class BenchCase:
    """One labelled claim of the manifest, with absolute paths."""

    id: str
    evidence: tuple[Path, ...]
    references: tuple[Path, ...]
    label: str
    kind: str
    mask: Path | None
    context: CaseContext
    line: int

    @property
    def is_forged(self) -> bool:
        return self.label == "forged"


def load_manifest(path: Path) -> tuple[BenchCase, ...]:
    """Read and validate a manifest; raise ManifestError naming the first bad line.

    Blank lines are skipped. Files are not opened here: a missing image is a failure of
    that case when it runs, not of the whole manifest.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ManifestError(path, 0, "the manifest file does not exist; check the path.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(path, 0, f"cannot read the manifest as UTF-8 text ({exc}).") from exc
    base = path.resolve().parent
    cases: list[BenchCase] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        case = parse_case_line(raw, base=base, path=path, line=number)
        if case.id in seen:
            raise ManifestError(
                path,
                number,
                f"duplicate id {case.id!r} (first used on line {seen[case.id]}); "
                "every case needs its own id.",
            )
        seen[case.id] = number
        cases.append(case)
    if not cases:
        raise ManifestError(path, 0, "the manifest has no cases; write one JSON object a line.")
    return tuple(cases)


def parse_case_line(raw: str, *, base: Path, path: Path, line: int) -> BenchCase:
    """Parse one manifest line; paths are resolved against ``base``."""
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            path, line, f"not valid JSON ({exc.msg} at column {exc.colno})."
        ) from exc
    if not isinstance(obj, dict):
        raise ManifestError(path, line, f"expected a JSON object, got {type(obj).__name__}.")
    unknown = sorted(set(obj) - set(KEYS))
    if unknown:
        raise ManifestError(path, line, f"unknown key(s) {unknown}; allowed keys are {list(KEYS)}.")
    missing = [k for k in REQUIRED_KEYS if k not in obj]
    if missing:
        raise ManifestError(path, line, f"missing required key(s) {missing}.")

    def fail(message: str) -> ManifestError:
        return ManifestError(path, line, message)

    case_id = obj["id"]
    if isinstance(case_id, bool) or not isinstance(case_id, (str, int)) or str(case_id) == "":
        raise fail(f"'id' must be a non-empty string, got {case_id!r}.")
    label = obj["label"]
    if label not in LABELS:
        raise fail(f"'label' must be one of {list(LABELS)}, got {label!r}.")
    evidence = _paths(obj["evidence"], "evidence", base, fail)
    if not evidence:
        raise fail("'evidence' is empty; a case needs at least one evidence image.")
    references = _paths(obj.get("references", []), "references", base, fail)
    kind = obj.get("kind", DEFAULT_KIND)
    if kind is None:
        kind = DEFAULT_KIND
    if not isinstance(kind, str) or not kind:
        raise fail(f"'kind' must be a non-empty string, got {kind!r}.")
    mask_value = obj.get("mask")
    if mask_value is not None and (not isinstance(mask_value, str) or not mask_value):
        raise fail(f"'mask' must be a path string or null, got {mask_value!r}.")
    mask = base / mask_value if isinstance(mask_value, str) else None
    return BenchCase(
        id=str(case_id),
        evidence=evidence,
        references=references,
        label=label,
        kind=kind,
        mask=mask,
        context=_context(obj.get("context"), fail),
        line=line,
    )


def _paths(value: Any, key: str, base: Path, fail: Any) -> tuple[Path, ...]:
    if isinstance(value, str):
        value = [value]
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise fail(f"{key!r} must be a list of path strings, got {value!r}.")
    return tuple(base / v for v in value)


def _context(value: Any, fail: Any) -> CaseContext:
    if value is None:
        return CaseContext()
    if not isinstance(value, Mapping):
        raise fail(f"'context' must be an object, got {type(value).__name__}.")
    times: dict[str, datetime | None] = {}
    for key in CONTEXT_TIMES:
        text = value.get(key)
        if text is None:
            times[key] = None
            continue
        if not isinstance(text, str):
            raise fail(f"context.{key} must be an ISO 8601 string, got {text!r}.")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise fail(
                f"context.{key} {text!r} is not ISO 8601; write e.g. 2025-11-12T10:00:00+08:00."
            ) from exc
        if parsed.tzinfo is None:  # a date or a local time without offset: read as UTC
            parsed = parsed.replace(tzinfo=UTC)
        times[key] = parsed
    product = value.get("product")
    if product is not None and not isinstance(product, str):
        raise fail(f"context.product must be a string, got {product!r}.")
    return CaseContext(product=product, **times)


def context_to_json(context: CaseContext) -> dict[str, str]:
    """The manifest form of a context (absent values left out)."""
    return {k: v for k, v in context.to_dict().items() if v is not None}
