"""The mixed development set: derived forgeries, AI-labelled files, screens and honest photos.

``make_mixed`` builds one manifest from the shared development images laid out as in
``shared/data/README.md``:

* ``grocery/`` and ``camera/`` through :func:`trueclaim.bench.make.make_bench` (forgeries
  painted into listing/merchant photos with evasions, and genuine other photos);
* real files taken as they are, copied byte for byte: AI outputs with labels (``ai/generators``,
  ``ai/generator-chunks``, ``ai/comfyui``; forged), recaptured screens and screenshots (forged:
  a screen is not a photo of the goods), ordinary photos, camera files and photos of real damage
  (genuine).

C2PA test fixtures are left out on purpose: some carry camera or editor manifests that say
nothing about AI, so a blanket label would be wrong.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from trueclaim.bench.make import IMAGE_SUFFIXES, make_bench

# (folder under the shared data, label, kind, recurse)
TAKEN_AS_IS: tuple[tuple[str, str, str, bool], ...] = (
    ("ai/generators", "forged", "ai-labelled", False),
    ("ai/generator-chunks", "forged", "ai-labelled", False),
    ("ai/comfyui", "forged", "ai-labelled", False),
    ("screens/recaptured", "forged", "screen-recapture", True),
    ("screens/screenshots", "forged", "screenshot", True),
    ("screens/photos", "genuine", "ordinary-photo", True),
    ("camera", "genuine", "camera-file", True),
    ("damage/magnetic-tile", "genuine", "real-damage", True),
)
DERIVED_PARTS: tuple[str, ...] = ("grocery", "camera")


@dataclass(slots=True)
class MixedSummary:
    out_dir: Path
    by_kind: Counter[str] = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)

    @property
    def cases(self) -> int:
        return sum(self.by_kind.values())


def make_mixed(
    shared_dir: Path,
    out_dir: Path,
    *,
    seed: int = 0,
    derived_limit: int | None = 400,
    taken_limit: int | None = 60,
    on_case: Callable[[str], None] | None = None,
) -> MixedSummary:
    """Build ``out_dir/manifest.jsonl`` from the shared development images.

    Parameters
    ----------
    shared_dir : Path
        The ``shared/data`` folder.
    derived_limit : int, optional
        Cases made per derived part (grocery, camera); None for all.
    taken_limit : int, optional
        Files taken per as-is folder, spread evenly over the sorted list; None for all.
    """
    shared_dir, out_dir = Path(shared_dir), Path(out_dir)
    if not shared_dir.is_dir():
        raise FileNotFoundError(f"shared data folder {shared_dir} does not exist.")
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = MixedSummary(out_dir)
    lines: list[dict[str, object]] = []
    for part in DERIVED_PARTS:
        source = shared_dir / part
        if not source.is_dir():
            summary.skipped.append(f"{part}: folder missing")
            continue
        made = make_bench(source, out_dir / part, seed=seed, limit=derived_limit, on_case=on_case)
        summary.skipped.extend(f"{part}/{s}" for s in made.skipped)
        for raw in (out_dir / part / "manifest.jsonl").read_text("utf-8").splitlines():
            case = json.loads(raw)
            case["id"] = f"{part}-{case['id']}"
            case["evidence"] = [f"{part}/{p}" for p in case["evidence"]]
            case["references"] = [f"{part}/{p}" for p in case.get("references", [])]
            if case.get("mask"):
                case["mask"] = f"{part}/{case['mask']}"
            lines.append(case)
            summary.by_kind[str(case.get("kind", "unspecified"))] += 1
    taken_ids: set[str] = set()
    for folder, label, kind, recurse in TAKEN_AS_IS:
        source = shared_dir / folder
        if not source.is_dir():
            summary.skipped.append(f"{folder}: folder missing")
            continue
        files = _spread(_image_files(source, recurse), taken_limit)
        for path in files:
            rel = path.relative_to(shared_dir)
            target = out_dir / "taken" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            case_id = _taken_id(rel, taken_ids)
            lines.append(
                {
                    "id": case_id,
                    "evidence": [str(target.relative_to(out_dir))],
                    "references": [],
                    "label": label,
                    "kind": kind,
                    "mask": None,
                }
            )
            summary.by_kind[kind] += 1
            if on_case is not None:
                on_case(case_id)
    with (out_dir / "manifest.jsonl").open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return summary


def _taken_id(rel: Path, used: set[str]) -> str:
    """The case id of a file taken as it is: its path without the suffix, unless another file
    of the same stem (``Bush-dog.jpg`` and ``Bush-dog.tif``) took that already; then the suffix
    is kept too. Ids stay as they were for every set without such pairs."""
    case_id = "taken-" + "-".join(rel.with_suffix("").parts).replace(" ", "_")
    if case_id in used:
        case_id = "taken-" + "-".join(rel.parts).replace(" ", "_")
    used.add(case_id)
    return case_id


def _image_files(folder: Path, recurse: bool) -> list[Path]:
    pattern = "**/*" if recurse else "*"
    return sorted(
        p
        for p in folder.glob(pattern)
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not _is_mask(p)
    )


def _is_mask(path: Path) -> bool:
    # Real-damage folders keep a same-name .png mask beside each .jpg photo.
    return path.suffix.lower() == ".png" and path.with_suffix(".jpg").exists()


def _spread(files: list[Path], limit: int | None) -> list[Path]:
    if limit is None or len(files) <= limit:
        return files
    step = len(files) / limit
    return [files[int(i * step)] for i in range(limit)]
