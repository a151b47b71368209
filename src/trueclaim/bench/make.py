"""Build a labelled case set (``manifest.jsonl`` + files) from a folder of real photos.

Two layouts are understood:

* products: ``<product>/listing/*`` (the merchant's listing shot) and ``<product>/photos/*``
  (phone photos of the same product). Genuine cases are the phone photos against the listing
  (or against one phone photo kept as the merchant's own reference); forged cases paint damage
  into the listing, or into the merchant's own photo, then apply evasions; ``listing-unedited``
  cases submit the listing itself, disguised.
* any other folder of photos (e.g. camera files): each readable photo is a reference; forged
  cases are edited copies of it; genuine cases pair it with a different, unrelated photo (an
  honest buyer's photo is never a copy of the listing) that names a camera in its EXIF and is
  not a blank frame (screenshots, drawings and plots in such folders are sources only).

Each case gets its own seeded generator from ``(seed, id)``, so ``--limit`` and ``--kinds``
select cases without changing them. Details of each forgery go to ``generation.jsonl``.
"""

from __future__ import annotations

import fnmatch
import io
import json
import shutil
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from trueclaim.bench.forge import DamageTexture, load_textures, paint_damage
from trueclaim.bench.plan import (
    IMAGE_SUFFIXES,
    SINGLE_EVASIONS,
    UNEDITED_EVASIONS,
    CasePlan,
    MakeError,
    is_product_layout,
    plan_photos,
    plan_products,
    select_cases,
    slug,
)
from trueclaim.bench.transforms import apply_transforms, fake_camera_exif
from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.errors import ForensicsError
from trueclaim.forensics.types import Mask, RGBImage

__all__ = [
    "IMAGE_SUFFIXES",
    "SINGLE_EVASIONS",
    "UNEDITED_EVASIONS",
    "CasePlan",
    "MakeError",
    "MakeSummary",
    "make_bench",
]

# Evasions a buyer chains in a "mixed" case: the framing ones (screenshot, recapture) and the
# fake EXIF are applied on their own, never inside a chain.
_CHAIN_POOL = tuple(e for e in SINGLE_EVASIONS if e not in ("screenshot", "recapture", "exif"))
MAX_WORK_SIDE = 2048
TZ = timezone(timedelta(hours=8))


@dataclass(slots=True)
class MakeSummary:
    """What ``make`` wrote."""

    out_dir: Path
    cases: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skipped: list[str] = field(default_factory=list)


def make_bench(
    source_dir: Path,
    out_dir: Path,
    *,
    seed: int = 0,
    limit: int | None = None,
    kinds: Sequence[str] = (),
    damage_dir: Path | None = None,
    on_case: Callable[[str], None] | None = None,
) -> MakeSummary:
    """Plan, select and render a case set into ``out_dir``; return what was written."""
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    if not source_dir.is_dir():
        raise MakeError(f"source folder {source_dir} does not exist or is not a folder.")
    summary = MakeSummary(out_dir)
    textures = load_textures(damage_dir) if damage_dir is not None else ()
    if damage_dir is not None and not textures:
        raise MakeError(
            f"no damage textures (*.jpg with a same-name *.png mask) under {damage_dir}."
        )
    if is_product_layout(source_dir):
        plans = plan_products(source_dir, seed)
    else:
        plans = plan_photos(source_dir, seed, summary.skipped)
    if kinds:
        plans = [p for p in plans if any(fnmatch.fnmatchcase(p.kind, k) for k in kinds)]
    if limit is not None:
        plans = select_cases(plans, limit, seed)
    if not plans:
        raise MakeError(
            f"no cases to make from {source_dir} (check --kinds and the folder layout)."
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for owned in ("cases", "refs"):  # files of an earlier make here would be stale
        if (out_dir / owned).is_dir():
            shutil.rmtree(out_dir / owned)
    ref_names: dict[Path, str] = {}
    with (
        (out_dir / "manifest.jsonl").open("w", encoding="utf-8") as manifest,
        (out_dir / "generation.jsonl").open("w", encoding="utf-8") as details,
    ):
        for plan in plans:
            try:
                line, detail = _render(plan, out_dir, seed, textures, ref_names)
            except (ForensicsError, OSError, ValueError, cv2.error) as exc:
                summary.skipped.append(f"{plan.id}: {exc}")
                continue
            manifest.write(json.dumps(line, ensure_ascii=False) + "\n")
            details.write(json.dumps(detail, ensure_ascii=False) + "\n")
            summary.cases += 1
            summary.by_kind[plan.kind] += 1
            if on_case is not None:
                on_case(plan.id)
    return summary


def _case_rng(seed: int, case_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(case_id.encode("utf-8"))])


def _render(
    plan: CasePlan,
    out_dir: Path,
    seed: int,
    textures: Sequence[DamageTexture],
    ref_names: dict[Path, str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    rng = _case_rng(seed, plan.id)
    case_dir = out_dir / "cases" / plan.id
    if case_dir.exists():
        shutil.rmtree(case_dir)
    case_dir.mkdir(parents=True)
    refs = [_copy_reference(r, out_dir, ref_names) for r in plan.references]
    delivered = datetime(2025, 1, 1, tzinfo=TZ) + timedelta(
        minutes=int(rng.integers(0, 365 * 24 * 60))
    )
    detail: dict[str, Any] = {
        "id": plan.id,
        "label": plan.label,
        "kind": plan.kind,
        "source": str(plan.base),
        "seed": seed,
        "evasion": plan.evasion,
    }
    mask_rel: str | None = None
    raw = plan.base.read_bytes()
    if plan.label == "genuine" and not plan.evasion:
        ev_name = "evidence" + plan.base.suffix.lower()
        (case_dir / ev_name).write_bytes(raw)  # the honest photo, byte for byte
        taken = _capture_time(raw)
        if taken is not None:
            delivered = taken - timedelta(minutes=int(rng.integers(60, 72 * 60)))
    else:
        image = _work_pixels(raw)
        mask: Mask | None = None
        if plan.damage:
            painted = paint_damage(image, rng, textures=textures)
            image, mask = painted.image, painted.mask
            detail.update(damage=painted.damage, regenerated=painted.regenerated)
        names = _evasion_chain(plan.evasion, rng)
        detail["transforms"] = names
        image, mask = apply_transforms(
            image, mask, [n for n in names if n not in ("exif", "resize")], rng
        )
        if "resize" in names:
            image = _chat_app_resize(image, rng)
        with_exif = "exif" in names or (plan.label == "forged" and rng.random() < 0.15)
        taken = delivered + timedelta(minutes=int(rng.integers(60, 72 * 60)))
        data, ext = _encode(image, rng, names, taken if with_exif else None)
        detail.update(format=ext, exif=with_exif)
        ev_name = f"evidence.{ext}"
        (case_dir / ev_name).write_bytes(data)
        if mask is not None and mask.any():
            mask_rel = f"cases/{plan.id}/mask.png"
            Image.fromarray(mask).save(out_dir / mask_rel, format="PNG", optimize=True)
    context: dict[str, str] = {"delivered_at": delivered.isoformat()}
    if plan.product:
        context["product"] = plan.product
    line = {
        "id": plan.id,
        "evidence": [f"cases/{plan.id}/{ev_name}"],
        "references": refs,
        "label": plan.label,
        "kind": plan.kind,
        "mask": mask_rel,
        "context": context,
    }
    return line, detail


def _copy_reference(path: Path, out_dir: Path, names: dict[Path, str]) -> str:
    if path not in names:
        rel = f"refs/{len(names):04d}-{slug(path.stem)}{path.suffix.lower()}"
        (out_dir / "refs").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out_dir / rel)
        names[path] = rel
    return names[path]


_last_pixels: dict[bytes, RGBImage] = {}


def _work_pixels(raw: bytes) -> RGBImage:
    key = zlib.crc32(raw).to_bytes(4, "big") + len(raw).to_bytes(8, "big")
    if key in _last_pixels:  # cases of one source come one after another
        return _last_pixels[key].copy()
    _last_pixels.clear()
    _last_pixels[key] = px = _decode_work_pixels(raw)
    return px.copy()


def _decode_work_pixels(raw: bytes) -> RGBImage:
    decoded = decode_image(raw)
    px = decoded.pixels
    h, w = px.shape[:2]
    if max(h, w) > MAX_WORK_SIDE:  # AI editors hand back at most ~2k pixels
        f = MAX_WORK_SIDE / max(h, w)
        size = (round(w * f), round(h * f))
        px = np.asarray(cv2.resize(px, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return np.ascontiguousarray(px, dtype=np.uint8)


def _evasion_chain(evasion: str, rng: np.random.Generator) -> list[str]:
    if evasion == "mixed":
        n = int(rng.integers(2, 5))
        chain = [str(x) for x in rng.choice(_CHAIN_POOL, size=n, replace=False)]
        frame = rng.random()
        if frame < 0.3:
            chain.append("screenshot")
        elif frame < 0.45:
            chain.append("recapture")
        if rng.random() < 0.3:
            chain.append("exif")
        return chain
    if evasion == "annotate":  # an honest buyer pointing at the damage
        return [str(rng.choice(["sticker", "text"]))] + (["text"] if rng.random() < 0.3 else [])
    return [evasion] if evasion else []


def _chat_app_resize(image: RGBImage, rng: np.random.Generator) -> RGBImage:
    h, w = image.shape[:2]
    target = int(rng.choice([1080, 1280, 800, 640]))
    f = min(1.0, target / max(h, w)) * (rng.uniform(0.6, 0.9) if max(h, w) <= target else 1.0)
    size = (max(16, round(w * f)), max(16, round(h * f)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _encode(
    image: RGBImage, rng: np.random.Generator, names: list[str], taken: datetime | None
) -> tuple[bytes, str]:
    buf = io.BytesIO()
    pil = Image.fromarray(image)
    if taken is not None:
        exif = fake_camera_exif(rng, taken.replace(tzinfo=None))
        pil.save(buf, format="JPEG", quality=int(rng.integers(80, 96)), exif=exif)
        return buf.getvalue(), "jpg"
    if names and names[-1] in ("jpeg", "resize"):  # chat apps send JPEG
        if names[-1] == "resize":
            pil.save(buf, format="JPEG", quality=int(rng.integers(70, 90)))
            return buf.getvalue(), "jpg"
        pil.save(buf, format="JPEG", quality=int(rng.integers(25, 61)))
        return buf.getvalue(), "jpg"
    roll = rng.random()
    if roll < (0.5 if "screenshot" in names else 0.25):
        pil.save(buf, format="PNG")
        return buf.getvalue(), "png"
    if roll > 0.92:
        pil.save(buf, format="WEBP", quality=int(rng.integers(75, 95)))
        return buf.getvalue(), "webp"
    pil.save(buf, format="JPEG", quality=int(rng.integers(70, 96)))
    return buf.getvalue(), "jpg"


def _capture_time(raw: bytes) -> datetime | None:
    """When the photo was taken, read the way the engine reads it; None when unknown.

    A genuine claim photo is taken after delivery by definition, so the case's delivery time is
    set before this. Using the engine's own reading (EXIF with offsets, GPS, XMP dates) keeps
    the label consistent with every timestamp the file carries.
    """
    from trueclaim.forensics.capture_time import capture_time
    from trueclaim.forensics.metadata import read_metadata

    try:
        found = capture_time(read_metadata(raw))
    except Exception:  # metadata of a foreign file is best effort here
        return None
    if found is None:
        return None
    if found.aware:
        return found.value.astimezone(TZ)
    # A naive time may be in any zone: step back a further 14 h so delivery precedes it.
    return found.value.replace(tzinfo=TZ) - timedelta(hours=14)
