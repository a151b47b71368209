"""Perceptual hashes (PDQ and pHash) of an image and its eight dihedral variants.

An image is hashed as it is, mirrored, and turned by 90, 180 and 270 degrees (the eight
symmetries of a rectangle), so one comparison with the other image's plain hash tells whether
the evidence is the reference, possibly mirrored or rotated, recompressed or rescaled. Either
side may carry the variants: the derivation detector hashes the evidence's eight once per
claim and each reference only as it is. Hashes are bit arrays; distances are Hamming
distances in bits.

PDQ (Facebook's 256-bit hash, via ``pdqhash``) matches at <= 31 bits in its authors'
recommendation; pHash (64-bit DCT hash, computed here) at <= 10 bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import pdqhash

from trueclaim.forensics.types import RGBImage

Bits = npt.NDArray[np.bool_]

#: Variant names, in the order of the rows of :class:`ImageHashes` arrays. A variant is the
#: transform applied to the hashed image: ``k`` quarter turns counter-clockwise, then an
#: optional left-right mirror.
VARIANTS: tuple[str, ...] = (
    "identity",
    "rotate-90",
    "rotate-180",
    "rotate-270",
    "mirror",
    "mirror-rotate-90",
    "mirror-rotate-180",
    "mirror-rotate-270",
)

PDQ_MATCH_BITS = 31
PHASH_MATCH_BITS = 10
_PDQ_SIDE = 128
_PHASH_SIDE = 32


@dataclass(frozen=True, slots=True, eq=False)
class ImageHashes:
    """PDQ and pHash bits of an image, one row per variant in :data:`VARIANTS`.

    With ``variants=False`` only the identity row exists.
    """

    pdq: Bits  # (V, 256)
    phash: Bits  # (V, 64)
    pdq_quality: int  # PDQ's own 0-100 estimate of how much texture there is to hash


@dataclass(frozen=True, slots=True)
class HashMatch:
    """The closest variant of a reference to an evidence image."""

    variant: str
    pdq_distance_bits: int
    phash_distance_bits: int

    @property
    def is_match(self) -> bool:
        return (
            self.pdq_distance_bits <= PDQ_MATCH_BITS or self.phash_distance_bits <= PHASH_MATCH_BITS
        )

    @property
    def mirrored(self) -> bool:
        return self.variant.startswith("mirror")


def transform_variant(img: np.ndarray, variant: str) -> np.ndarray:
    """Apply a named dihedral variant (see :data:`VARIANTS`) to an image array."""
    k = VARIANTS.index(variant) % 4
    out = np.rot90(img, k)
    if variant.startswith("mirror"):
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def compute_hashes(rgb: RGBImage, *, variants: bool = True) -> ImageHashes:
    """Hash an image (and, by default, its mirror and rotations).

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
    variants : bool, optional
        Also hash the seven other dihedral variants.

    Returns
    -------
    ImageHashes
    """
    small = cv2.resize(rgb, (_PDQ_SIDE, _PDQ_SIDE), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    tiny = cv2.resize(gray, (_PHASH_SIDE, _PHASH_SIDE), interpolation=cv2.INTER_AREA)
    names = VARIANTS if variants else VARIANTS[:1]
    pdq_rows, phash_rows = [], []
    quality = 0
    for name in names:
        bits, q = pdqhash.compute(transform_variant(small, name))
        pdq_rows.append(np.asarray(bits, dtype=bool))
        phash_rows.append(_phash(transform_variant(tiny, name)))
        if name == "identity":
            quality = int(q)
    return ImageHashes(pdq=np.stack(pdq_rows), phash=np.stack(phash_rows), pdq_quality=quality)


def hamming_distance(a: Bits, b: Bits) -> int:
    """Number of differing bits between two equal-length bit arrays."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(
            f"hashes differ in length ({a.shape} vs {b.shape}); compare like with like"
        )
    return int(np.count_nonzero(a != b))


#: The variant that undoes each variant (quarter turns reverse; mirrored ones undo themselves).
INVERSE_VARIANT: dict[str, str] = {
    **{name: name for name in VARIANTS},
    "rotate-90": "rotate-270",
    "rotate-270": "rotate-90",
}


def closest_variant(evidence: ImageHashes, reference: ImageHashes) -> HashMatch:
    """The variant of the reference that is closest to the evidence.

    Whichever side carries the eight variants is compared, row by row, with the other side's
    plain hash. When the evidence carries them and its variant ``V`` is closest to the
    reference, the evidence is the reference transformed by ``V``'s inverse, and that is the
    variant returned: the answer names the transform from reference to evidence either way.
    """
    if evidence.pdq.shape[0] > 1 and reference.pdq.shape[0] == 1:
        rows, plain = evidence, reference
        names = tuple(INVERSE_VARIANT[name] for name in VARIANTS)
    else:
        rows, plain, names = reference, evidence, VARIANTS
    pdq = np.count_nonzero(rows.pdq != plain.pdq[0], axis=1)
    ph = np.count_nonzero(rows.phash != plain.phash[0], axis=1)
    # PDQ has 4x the bits of pHash: put both on one scale to pick the variant.
    best = int(np.argmin(pdq / 256.0 + ph / 64.0))
    return HashMatch(names[best], int(pdq[best]), int(ph[best]))


def _phash(gray32: np.ndarray) -> Bits:
    dct = cv2.dct(np.ascontiguousarray(gray32, dtype=np.float32))[:8, :8].ravel()
    med = np.median(dct[1:])
    bits: Bits = dct > med
    return bits
