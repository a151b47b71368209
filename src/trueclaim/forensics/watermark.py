"""The watermark detector: open invisible watermarks and visible AI marks in the pixels.

(a) ``invisible-watermark``: the dwtDct payloads of Stable Diffusion 1.x/2.x, SDXL and FLUX,
decoded from the full-resolution pixels (``item.full``; see :mod:`.dwtdct`).
(b) ``generator-metadata`` from "stealth pnginfo": generation parameters hidden in the alpha or
RGB least significant bits by Stable Diffusion WebUI extensions and NovelAI (see
:mod:`.stealth`).
(c) ``visible-ai-mark``: "AI生成"-style labels and vendor wordmarks read with OCR in the top
and bottom bands (see :mod:`.visible_marks`). OCR is skipped for tiny images and when the
provenance detector already proved the photo AI-made (``case.cache["ai_label_proven"]``).
Both signals are positive-only: finding nothing says nothing about the photo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.dwtdct import decode_all
from trueclaim.forensics.errors import InvalidParameter
from trueclaim.forensics.stealth import read_stealth_info
from trueclaim.forensics.types import Finding, Region, Severity

DETECTOR = "watermark"
PROVEN_KEY = "ai_label_proven"  # case.cache: set of evidence indexes a metadata label proved AI


@dataclass(frozen=True, slots=True)
class WatermarkParams:
    """Options of the watermark detector."""

    ocr: bool = True
    invisible: bool = True
    ocr_min_side_px: int = 200  # skip OCR below this short side
    ocr_band_fraction: float = 0.15
    ocr_max_side_px: int = 640
    ocr_min_confidence: float = 0.6
    ocr_when_proven: bool = False  # also OCR files a stronger label already proved AI

    def __post_init__(self) -> None:
        if not 0.02 <= self.ocr_band_fraction <= 0.5:
            raise InvalidParameter(
                f"ocr_band_fraction must be in [0.02, 0.5], got {self.ocr_band_fraction}."
            )
        if self.ocr_max_side_px < 64:
            raise InvalidParameter(
                f"ocr_max_side_px must be at least 64, got {self.ocr_max_side_px}."
            )


def detect(case: Case, options: Mapping[str, Any]) -> Sequence[Finding]:
    """Return the watermark and visible-mark findings for every evidence file."""
    known = {f.name for f in fields(WatermarkParams)}
    unknown = set(options) - known
    if unknown:
        raise InvalidParameter(
            f"Unknown watermark option(s) {sorted(unknown)}; use {sorted(known)}."
        )
    params = WatermarkParams(**options)
    proven = case.cache.get(PROVEN_KEY, set())
    out: list[Finding] = []
    for item in case.evidence:
        if not item.ok:
            continue
        if params.invisible:
            out.extend(_invisible(item))
            out.extend(_stealth(item))
        if params.ocr and (params.ocr_when_proven or item.index not in proven):
            out.extend(_visible(item, params))
    return out


def _invisible(item: Item) -> list[Finding]:
    full = item.full
    if full is None:
        return []
    out = []
    for result in decode_all(full.pixels):
        if not result.hit:
            continue
        p = result.payload
        n_bits = len(p.bits)
        out.append(
            Finding(
                DETECTOR,
                "invisible-watermark",
                Severity.HIGH,
                min(
                    0.95,
                    0.7
                    + 0.25 * (result.matching - p.min_matching + 1) / (n_bits - p.min_matching + 1),
                ),
                f"Photo {item.index + 1} carries the invisible watermark that {p.generator} embeds "
                f"({result.matching}/{n_bits} bits of the '{p.name}' payload match): it was generat"
                "ed "
                "by that AI model.",
                f"照片 {item.index + 1} 含有 {p.generator} 嵌入的隐形水印('{p.name}',"
                f"{result.matching}/{n_bits} 位匹配):由该 AI 模型生成。",
                evidence_index=item.index,
                data={
                    "payload": p.name,
                    "generator": p.generator,
                    "matching_bits": result.matching,
                    "n_bits": n_bits,
                    "threshold": p.min_matching,
                    "variant": result.variant,
                },
            )
        )
    return out


def _stealth(item: Item) -> list[Finding]:
    full = item.full
    if full is None or full.format not in ("PNG", "WEBP", "TIFF", "BMP"):
        return []  # lossy formats destroy LSBs; nothing can survive there
    found = read_stealth_info(full.pixels, full.alpha)
    if found is None:
        return []
    first_line = found.text.strip().splitlines()[0][:120] if found.text.strip() else ""
    n = item.index + 1
    return [
        Finding(
            DETECTOR,
            "generator-metadata",
            Severity.HIGH,
            0.95,
            f"Photo {n} hides AI generation parameters in the least significant bits of its "
            f"{found.channel} pixels ('{found.magic}', as Stable Diffusion WebUI and NovelAI "
            f'write them): prompt "{first_line}". It was generated by an AI model.',
            f"照片 {n} 在{'透明通道' if found.channel == 'alpha' else 'RGB 像素'}最低位中隐藏了 "
            f"AI 生成参数('{found.magic}',Stable Diffusion WebUI / NovelAI 的写法):"
            f'提示词 "{first_line}"。该图由 AI 模型生成。',
            evidence_index=item.index,
            data={
                "container": f"pixels:{found.channel}-lsb",
                "magic": found.magic,
                "parameters": found.text[:4000],
            },
        )
    ]


def _visible(item: Item, params: WatermarkParams) -> list[Finding]:
    from trueclaim.forensics.visible_marks import read_edge_marks

    full = item.full
    if full is None or min(full.pixels.shape[:2]) < params.ocr_min_side_px:
        return []
    hits, _lines = read_edge_marks(
        full.pixels,
        band_fraction=params.ocr_band_fraction,
        max_side_px=params.ocr_max_side_px,
        min_confidence=params.ocr_min_confidence,
    )
    if not hits:
        return []
    scale = 1.0 / full.scale if full.scale else 1.0
    regions = tuple(
        Region(
            int(x * scale),
            int(y * scale),
            int(w * scale),
            int(h * scale),
            score=hit.confidence,
            label=hit.text,
        )
        for hit in hits
        for x, y, w, h in [hit.box]
    )
    best = max(hits, key=lambda h: (h.vendor is not None, h.confidence))
    who = f" ({best.vendor})" if best.vendor else ""
    return [
        Finding(
            DETECTOR,
            "visible-ai-mark",
            Severity.HIGH,
            min(0.9, 0.6 + 0.3 * best.confidence),
            f"Photo {item.index + 1} shows a visible AI-generation mark{who} at its {best.band} edg"
            "e: "
            f"“{best.text}”. Generators stamp this on their output.",
            f"照片 {item.index + 1} 的{'上' if best.band == 'top' else '下'}边缘有可见的 AI 生成"
            f"标识{who}"
            ":"
            f"“{best.text}”,这是生成工具加在输出图上的标记。",
            evidence_index=item.index,
            regions=regions,
            data={
                "text": best.text,
                "vendor": best.vendor,
                "confidence": round(best.confidence, 3),
                "band": best.band,
                "all": [h.text for h in hits],
            },
        )
    ]
