"""Which cases a source folder gives, before any pixel is made.

Two layouts: products (``<product>/listing/*`` + ``<product>/photos/*``) and any other folder
of photos; see :mod:`trueclaim.bench.make`. Planning is cheap and seeded, so ``--limit`` and
``--kinds`` choose among plans and the chosen cases come out the same as in a full set.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.errors import ForensicsError
from trueclaim.forensics.metadata import read_metadata
from trueclaim.forensics.screen import BLANK_CONTRAST, CAMERA_EXIF_TAGS
from trueclaim.forensics.types import RGBImage

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".heic", ".heif", ".avif", ".bmp"}
)
SINGLE_EVASIONS: tuple[str, ...] = (
    "crop",
    "rescale",
    "rotate",
    "mirror",
    "perspective",
    "filter",
    "gamma",
    "noise",
    "blur",
    "jpeg",
    "screenshot",
    "recapture",
    "sticker",
    "text",
    "exif",
)
UNEDITED_EVASIONS: tuple[str, ...] = (
    "crop",
    "mirror",
    "filter",
    "screenshot",
    "recapture",
    "mixed",
)
MIN_SIDE = 96


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


def is_product_layout(source_dir: Path) -> bool:
    """Whether any sub-folder has a ``listing/`` folder (the products layout)."""
    return any((d / "listing").is_dir() for d in source_dir.iterdir() if d.is_dir())


def _images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


def _unique(stem: str, used: set[str]) -> str:
    """``stem``, or ``stem-2``, ``stem-3``... when taken; records the result in ``used``."""
    out, n = stem, 1
    while out in used:
        n += 1
        out = f"{stem}-{n}"
    used.add(out)
    return out


def slug(text: str) -> str:
    """A lower-case, dash-separated id part."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "x"


def plan_products(source_dir: Path, seed: int) -> list[CasePlan]:
    """Genuine and forged plans for every product with a listing photo."""
    used: set[str] = set()
    rng = np.random.default_rng(seed)
    plans: list[CasePlan] = []
    products = sorted(d for d in source_dir.iterdir() if d.is_dir() and _images(d / "listing"))
    cycle = 0
    for product in products:
        listing = _images(product / "listing")[0]
        photos = _images(product / "photos")
        stem = _unique(slug(product.name), used)
        own = photos[int(rng.integers(0, len(photos)))] if photos else None
        for i, photo in enumerate(p for p in photos if p != own):
            refs = (listing,) if i % 2 == 0 or own is None else (own,)
            kind = "genuine-photo" if refs == (listing,) else "genuine-photo-vs-own"
            plans.append(
                CasePlan(f"{stem}-g{i:02d}", "genuine", kind, photo, refs, product=product.name)
            )
            # What honest buyers do too: chat apps recompress, arrows point at the damage. A
            # screenshot is not among them: a screen is not a photo of the goods, so the bench
            # counts every screenshot as evidence to flag (as the screen targets do).
            honest_edit = {1: "resize", 3: "resize", 4: "annotate"}.get(i % 6)
            if honest_edit is not None:
                plans.append(
                    CasePlan(
                        f"{stem}-g{i:02d}{honest_edit[0]}",
                        "genuine",
                        f"genuine-photo+{honest_edit}",
                        photo,
                        refs,
                        evasion=honest_edit,
                        product=product.name,
                    )
                )
        evasions = ("", *SINGLE_EVASIONS, "mixed")
        for k in range(8):
            ev = evasions[(cycle + k) % len(evasions)]
            plans.append(
                CasePlan(
                    f"{stem}-f{k:02d}",
                    "forged",
                    _kind("listing-damage", ev),
                    listing,
                    (listing,),
                    damage=True,
                    evasion=ev,
                    product=product.name,
                )
            )
        for k in range(2):
            ev = UNEDITED_EVASIONS[(cycle + k) % len(UNEDITED_EVASIONS)]
            plans.append(
                CasePlan(
                    f"{stem}-u{k:02d}",
                    "forged",
                    _kind("listing-unedited", ev),
                    listing,
                    (listing,),
                    evasion=ev,
                    product=product.name,
                )
            )
        if own is not None:
            for k in range(3):
                ev = evasions[((cycle // 8) * 3 + k) % len(evasions)]
                plans.append(
                    CasePlan(
                        f"{stem}-o{k:02d}",
                        "forged",
                        _kind("own-photo-damage", ev),
                        own,
                        (own,),
                        damage=True,
                        evasion=ev,
                        product=product.name,
                    )
                )
        cycle += 8
    return plans


def _kind(prefix: str, evasion: str) -> str:
    return prefix if not evasion else f"{prefix}+{evasion}"


def plan_photos(source_dir: Path, seed: int, skipped: list[str]) -> list[CasePlan]:
    """Plans for a plain folder of photos; unusable files are named in ``skipped``."""
    used: set[str] = set()
    rng = np.random.default_rng(seed)
    usable: list[tuple[Path, np.ndarray]] = []
    photos: set[Path] = set()  # files that may stand for a buyer's honest photo
    for path in _images(source_dir):
        try:
            data = path.read_bytes()
            decoded = decode_image(data, max_side=256)
        except (ForensicsError, OSError) as exc:
            skipped.append(f"{path.relative_to(source_dir)}: unreadable ({exc})")
            continue
        if min(decoded.width, decoded.height) < MIN_SIDE:
            skipped.append(f"{path.relative_to(source_dir)}: smaller than {MIN_SIDE} px")
            continue
        usable.append((path, _dihedral_hashes(decoded.pixels)))
        if _camera_photo(data, decoded.pixels):
            photos.add(path)
    if len(usable) < 2:
        raise MakeError(f"{source_dir} has fewer than 2 readable photos of at least {MIN_SIDE} px.")
    plans: list[CasePlan] = []
    evasions = ("", *SINGLE_EVASIONS, "mixed")
    for n, (path, hashes) in enumerate(usable):
        rel = path.relative_to(source_dir)
        stem = slug(str(rel.with_suffix("")))
        if stem in used:  # photo.jpg beside photo.tif
            stem = slug(str(rel))
        stem = _unique(stem, used)
        for k in range(3):
            ev = evasions[(n * 3 + k) % len(evasions)]
            plans.append(
                CasePlan(
                    f"{stem}-f{k}",
                    "forged",
                    _kind("photo-damage", ev),
                    path,
                    (path,),
                    damage=True,
                    evasion=ev,
                )
            )
        ev = UNEDITED_EVASIONS[n % len(UNEDITED_EVASIONS)]
        plans.append(
            CasePlan(f"{stem}-u0", "forged", _kind("photo-unedited", ev), path, (path,), evasion=ev)
        )
        others = [p for p, h in usable if p != path and p in photos and _distance(h, hashes) > 12]
        partners: list[int] = [int(j) for j in rng.permutation(len(others))[:4]]
        for k, j in enumerate(partners):
            other = others[int(j)]
            ev = {2: "annotate", 3: "resize"}.get(k, "")  # honest edits; see plan_products
            plans.append(
                CasePlan(
                    f"{stem}-g{k}",
                    "genuine",
                    _kind("genuine-other-photo", ev),
                    other,
                    (path,),
                    evasion=ev,
                )
            )
    return plans


def _camera_photo(data: bytes, rgb: RGBImage) -> bool:
    """A file a camera wrote of a scene: it names the camera and is not a blank frame.

    Camera folders also hold screenshots, drawings, plots and blank test frames. They are
    good sources for forgeries (anything can be a reference), but the genuine case's
    evidence stands for a buyer's honest photo of the goods, which a screenshot of a
    metadata viewer or a white frame is not.
    """
    try:
        exif = read_metadata(data).exif
    except (ForensicsError, ValueError, OSError) as exc:
        del exc  # unreadable metadata names no camera
        return False
    if exif is None or not any(exif.get(k) for k in CAMERA_EXIF_TAGS):
        return False
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    return float(grey.std()) >= BLANK_CONTRAST


def _dihedral_hashes(rgb: RGBImage) -> np.ndarray:
    """64-bit difference hashes of the 8 rotations/flips (to spot the same photo re-oriented)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    out = []
    for flip in (False, True):
        g = grey[:, ::-1] if flip else grey
        for k in range(4):
            small = cv2.resize(
                np.ascontiguousarray(np.rot90(g, k)), (9, 8), interpolation=cv2.INTER_AREA
            )
            out.append((small[:, 1:] > small[:, :-1]).ravel())
    return np.array(out)


def _distance(a: np.ndarray, b: np.ndarray) -> int:
    return int(min((a[0] != h).sum() for h in b))


def select_cases(plans: list[CasePlan], limit: int, seed: int) -> list[CasePlan]:
    """Up to ``limit`` cases, alternating labels and cycling through kinds."""
    rng = np.random.default_rng(seed + 7919)
    by_label: dict[str, dict[str, list[CasePlan]]] = defaultdict(lambda: defaultdict(list))
    for p in plans:
        by_label[p.label][p.kind].append(p)
    streams = []
    for label in sorted(by_label):
        kinds = by_label[label]
        for lst in kinds.values():
            rng.shuffle(lst)
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
