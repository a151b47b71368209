"""Build a labelled case set (``manifest.jsonl`` + files) from a folder of real photos.

Two layouts are understood:

* products: ``<product>/listing/*`` (the merchant's listing shot) and ``<product>/photos/*``
  (phone photos of the same product). Genuine cases are the phone photos against the listing
  (or against one phone photo kept as the merchant's own reference); forged cases paint damage
  into the listing, or into the merchant's own photo, then apply evasions; ``listing-unedited``
  cases submit the listing itself, disguised.
* any other folder of photos (e.g. camera files): each readable photo is a reference; forged
  cases are edited copies of it; genuine cases pair it with a different, unrelated photo (an
  honest buyer's photo is never a copy of the listing).

Each case gets its own seeded generator from ``(seed, id)``, so ``--limit`` and ``--kinds``
select cases without changing them. Details of each forgery go to ``generation.jsonl``.
"""

from __future__ import annotations

import fnmatch
import io
import json
import re
import shutil
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from trueclaim.bench.forge import DamageTexture, load_textures, paint_damage
from trueclaim.bench.transforms import apply_transforms, fake_camera_exif
from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.errors import ForensicsError
from trueclaim.forensics.types import Mask, RGBImage

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".heic", ".heif", ".avif", ".bmp"})
SINGLE_EVASIONS: tuple[str, ...] = (
    "crop", "rescale", "rotate", "mirror", "perspective", "filter", "gamma", "noise", "blur",
    "jpeg", "screenshot", "recapture", "sticker", "text", "exif",
)
_CHAIN_POOL = ("crop", "rescale", "rotate", "mirror", "perspective", "filter", "gamma", "noise",
               "blur", "jpeg", "sticker", "text")
UNEDITED_EVASIONS: tuple[str, ...] = ("crop", "mirror", "filter", "screenshot", "recapture", "mixed")
MAX_WORK_SIDE = 2048
MIN_SIDE = 96
TZ = timezone(timedelta(hours=8))


class MakeError(Exception):
    """The source folder cannot give a case set."""


@dataclass(frozen=True, slots=True)
class CasePlan:
    """What one case will be, before any pixel is made."""

    id: str
    label: str
    kind: str
    base: Path  # the photo edited (forged) or submitted as is (genuine)
    references: tuple[Path, ...]
    damage: bool = False
    evasion: str = ""  # "", a SINGLE_EVASIONS name, "mixed" or "resize" (genuine)
    product: str | None = None


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
        raise MakeError(f"no damage textures (*.jpg with a same-name *.png mask) under {damage_dir}.")
    if _is_product_layout(source_dir):
        plans = _plan_products(source_dir, seed)
    else:
        plans = _plan_photos(source_dir, seed, summary.skipped)
    if kinds:
        plans = [p for p in plans if any(fnmatch.fnmatchcase(p.kind, k) for k in kinds)]
    if limit is not None:
        plans = _select(plans, limit, seed)
    if not plans:
        raise MakeError(f"no cases to make from {source_dir} (check --kinds and the folder layout).")
    out_dir.mkdir(parents=True, exist_ok=True)
    ref_names: dict[Path, str] = {}
    with (out_dir / "manifest.jsonl").open("w", encoding="utf-8") as manifest, \
         (out_dir / "generation.jsonl").open("w", encoding="utf-8") as details:
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


def _is_product_layout(source_dir: Path) -> bool:
    return any((d / "listing").is_dir() for d in source_dir.iterdir() if d.is_dir())


def _images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "x"


def _plan_products(source_dir: Path, seed: int) -> list[CasePlan]:
    rng = np.random.default_rng(seed)
    plans: list[CasePlan] = []
    products = sorted(d for d in source_dir.iterdir() if d.is_dir() and _images(d / "listing"))
    cycle = 0
    for product in products:
        listing = _images(product / "listing")[0]
        photos = _images(product / "photos")
        slug = _slug(product.name)
        own = photos[int(rng.integers(0, len(photos)))] if photos else None
        for i, photo in enumerate(p for p in photos if p != own):
            refs = (listing,) if i % 2 == 0 or own is None else (own,)
            kind = "genuine-photo" if refs == (listing,) else "genuine-photo-vs-own"
            plans.append(CasePlan(f"{slug}-g{i:02d}", "genuine", kind, photo, refs, product=product.name))
            honest_edit = {1: "resize", 2: "screenshot", 3: "resize", 4: "annotate"}.get(i % 6)
            if honest_edit is not None:  # what honest buyers do too: chat apps, screenshots, arrows
                plans.append(CasePlan(f"{slug}-g{i:02d}{honest_edit[0]}", "genuine",
                                      f"genuine-photo+{honest_edit}", photo, refs,
                                      evasion=honest_edit, product=product.name))
        evasions = ("", *SINGLE_EVASIONS, "mixed")
        for k in range(8):
            ev = evasions[(cycle + k) % len(evasions)]
            plans.append(CasePlan(f"{slug}-f{k:02d}", "forged", _kind("listing-damage", ev), listing,
                                  (listing,), damage=True, evasion=ev, product=product.name))
        for k in range(2):
            ev = UNEDITED_EVASIONS[(cycle + k) % len(UNEDITED_EVASIONS)]
            plans.append(CasePlan(f"{slug}-u{k:02d}", "forged", _kind("listing-unedited", ev), listing,
                                  (listing,), evasion=ev, product=product.name))
        if own is not None:
            for k in range(3):
                ev = evasions[((cycle // 8) * 3 + k) % len(evasions)]
                plans.append(CasePlan(f"{slug}-o{k:02d}", "forged", _kind("own-photo-damage", ev), own,
                                      (own,), damage=True, evasion=ev, product=product.name))
        cycle += 8
    return plans


def _kind(prefix: str, evasion: str) -> str:
    return prefix if not evasion else f"{prefix}+{evasion}"


def _plan_photos(source_dir: Path, seed: int, skipped: list[str]) -> list[CasePlan]:
    rng = np.random.default_rng(seed)
    usable: list[tuple[Path, np.ndarray]] = []
    for path in _images(source_dir):
        try:
            decoded = decode_image(path.read_bytes(), max_side=256)
        except (ForensicsError, OSError) as exc:
            skipped.append(f"{path.relative_to(source_dir)}: unreadable ({exc})")
            continue
        if min(decoded.width, decoded.height) < MIN_SIDE:
            skipped.append(f"{path.relative_to(source_dir)}: smaller than {MIN_SIDE} px")
            continue
        usable.append((path, _dihedral_hashes(decoded.pixels)))
    if len(usable) < 2:
        raise MakeError(f"{source_dir} has fewer than 2 readable photos of at least {MIN_SIDE} px.")
    plans: list[CasePlan] = []
    evasions = ("", *SINGLE_EVASIONS, "mixed")
    for n, (path, hashes) in enumerate(usable):
        slug = _slug(str(path.relative_to(source_dir).with_suffix("")))
        for k in range(3):
            ev = evasions[(n * 3 + k) % len(evasions)]
            plans.append(CasePlan(f"{slug}-f{k}", "forged", _kind("photo-damage", ev), path, (path,),
                                  damage=True, evasion=ev))
        ev = UNEDITED_EVASIONS[n % len(UNEDITED_EVASIONS)]
        plans.append(CasePlan(f"{slug}-u0", "forged", _kind("photo-unedited", ev), path, (path,), evasion=ev))
        others = [p for p, h in usable if p != path and _distance(h, hashes) > 12]
        partners = rng.permutation(len(others))[:4] if others else []
        for k, j in enumerate(partners):
            other = others[int(j)]
            ev = {2: "screenshot" if n % 2 else "annotate", 3: "resize"}.get(k, "")
            plans.append(CasePlan(f"{slug}-g{k}", "genuine", _kind("genuine-other-photo", ev), other,
                                  (path,), evasion=ev))
    return plans


def _dihedral_hashes(rgb: RGBImage) -> np.ndarray:
    """64-bit difference hashes of the 8 rotations/flips (to spot the same photo re-oriented)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    out = []
    for flip in (False, True):
        g = grey[:, ::-1] if flip else grey
        for k in range(4):
            small = cv2.resize(np.ascontiguousarray(np.rot90(g, k)), (9, 8), interpolation=cv2.INTER_AREA)
            out.append((small[:, 1:] > small[:, :-1]).ravel())
    return np.array(out)


def _distance(a: np.ndarray, b: np.ndarray) -> int:
    return int(min((a[0] != h).sum() for h in b))


def _select(plans: list[CasePlan], limit: int, seed: int) -> list[CasePlan]:
    """Up to ``limit`` cases, alternating labels and cycling through kinds."""
    rng = np.random.default_rng(seed + 7919)
    by_label: dict[str, dict[str, list[CasePlan]]] = defaultdict(lambda: defaultdict(list))
    for p in plans:
        by_label[p.label][p.kind].append(p)
    streams = []
    for label in sorted(by_label):
        kinds = by_label[label]
        for lst in kinds.values():
            rng.shuffle(lst)  # type: ignore[arg-type]
        streams.append(_round_robin([kinds[k] for k in sorted(kinds)]))
    chosen: list[CasePlan] = []
    while len(chosen) < limit and streams:
        for s in list(streams):
            nxt = next(s, None)
            if nxt is None:
                streams.remove(s)
            elif len(chosen) < limit:
                chosen.append(nxt)
    order = {p.id: i for i, p in enumerate(plans)}
    return sorted(chosen, key=lambda p: order[p.id])


def _round_robin(lists: list[list[CasePlan]]) -> Iterator[CasePlan]:
    i = 0
    while any(i < len(lst) for lst in lists):
        for lst in lists:
            if i < len(lst):
                yield lst[i]
        i += 1


def _case_rng(seed: int, case_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(case_id.encode("utf-8"))])


def _render(
    plan: CasePlan, out_dir: Path, seed: int, textures: Sequence[DamageTexture], ref_names: dict[Path, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    rng = _case_rng(seed, plan.id)
    case_dir = out_dir / "cases" / plan.id
    if case_dir.exists():
        shutil.rmtree(case_dir)
    case_dir.mkdir(parents=True)
    refs = [_copy_reference(r, out_dir, ref_names) for r in plan.references]
    delivered = datetime(2025, 1, 1, tzinfo=TZ) + timedelta(minutes=int(rng.integers(0, 365 * 24 * 60)))
    detail: dict[str, Any] = {
        "id": plan.id, "label": plan.label, "kind": plan.kind, "source": str(plan.base),
        "seed": seed, "evasion": plan.evasion,
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
        image, mask = apply_transforms(image, mask, [n for n in names if n not in ("exif", "resize")], rng)
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
        rel = f"refs/{len(names):04d}-{_slug(path.stem)}{path.suffix.lower()}"
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
        px = cv2.resize(px, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(px)


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
    return cv2.resize(image, (max(16, round(w * f)), max(16, round(h * f))), interpolation=cv2.INTER_AREA)


def _encode(image: RGBImage, rng: np.random.Generator, names: list[str], taken: datetime | None) -> tuple[bytes, str]:
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
    """DateTimeOriginal (or DateTime) of a photo, read as China time; None when absent."""
    try:
        with Image.open(io.BytesIO(raw)) as im:
            exif = im.getexif()
            text = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)
    except Exception:  # noqa: BLE001 - metadata of a foreign file is best effort here
        return None
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(text.strip()[:19], "%Y:%m:%d %H:%M:%S").replace(tzinfo=TZ)
    except ValueError:
        return None
