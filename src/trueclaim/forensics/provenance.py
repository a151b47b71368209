"""The provenance detector: AI labels, generator traces and camera origin in file metadata.

Strength ordering (ai-labels.md §0): signed C2PA manifest asserting AI > TC260 ``AIGC`` label
``Label=1`` > IPTC ``DigitalSourceType`` AI value > generator metadata. Camera-origin signals
only inform (severity ``info``); a missing label is never evidence that a photo is genuine,
so no finding here lowers the risk.

Finding codes: ``c2pa-ai-generated``, ``c2pa-ai-edited``, ``c2pa-ai-signer``,
``c2pa-manifest-invalid``, ``c2pa-manifest-present``, ``c2pa-manifest-unreadable``,
``tc260-aigc-label``, ``tc260-label-nonconformant``, ``tc260-label-residue``,
``iptc-ai-source``, ``ai-edit-credit``, ``generator-metadata``, ``screenshot-metadata``,
``editing-software``, ``camera-origin``, ``captured-before-shipping``,
``captured-before-delivery``, ``metadata-inconsistent``, ``metadata-absent``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from trueclaim.forensics.capture_time import NAIVE_TOLERANCE, capture_time
from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.consistency import metadata_inconsistencies
from trueclaim.forensics.errors import InvalidParameter
from trueclaim.forensics.generators import editing_software, find_traces, screenshot_markers
from trueclaim.forensics.metadata import Metadata
from trueclaim.forensics.provenance_labels import (
    c2pa_findings,
    finding,
    iptc_findings,
    tc260_findings,
)
from trueclaim.forensics.types import CaseContext, Finding, Severity

# Codes that prove AI involvement strongly enough that slower pixel checks (OCR) can be skipped.
_PROVING_CODES = frozenset(
    {
        "c2pa-ai-generated",
        "c2pa-ai-edited",
        "c2pa-ai-signer",
        "tc260-aigc-label",
        "iptc-ai-source",
        "ai-edit-credit",
        "generator-metadata",
    }
)


@dataclass(frozen=True, slots=True)
class ProvenanceParams:
    """Options of the provenance detector."""

    capture_margin_minutes: float = 10.0  # clock slack for aware capture times


def detect(case: Case, options: Mapping[str, Any]) -> Sequence[Finding]:
    """Return the provenance findings for every evidence file of ``case``."""
    params = _params(options)
    out: list[Finding] = []
    proven: set[int] = case.cache.setdefault("ai_label_proven", set())
    for item in case.evidence:
        found = _item_findings(item, case.context, params)
        if any(f.code in _PROVING_CODES and f.severity.rank >= Severity.HIGH.rank for f in found):
            proven.add(item.index)
        out.extend(found)
    return out


def _params(options: Mapping[str, Any]) -> ProvenanceParams:
    known = {f.name for f in fields(ProvenanceParams)}
    unknown = set(options) - known
    if unknown:
        raise InvalidParameter(
            f"Unknown provenance option(s) {sorted(unknown)}; use {sorted(known)}."
        )
    return ProvenanceParams(**options)


def _item_findings(item: Item, context: CaseContext, params: ProvenanceParams) -> list[Finding]:
    meta = item.metadata
    n = item.index + 1
    out: list[Finding] = []
    out.extend(c2pa_findings(meta, item, n))
    out.extend(tc260_findings(meta, item, n))
    out.extend(iptc_findings(meta, item, n))
    by_generator: dict[str, list[Any]] = {}
    for t in find_traces(meta):
        by_generator.setdefault(t.generator, []).append(t)
    for generator, traces in by_generator.items():
        strong = any(t.strong for t in traces)
        where = ", ".join(f"{t.field} in {t.container}" for t in traces[:3])
        where_zh = "、".join(f"{t.container} 的 {t.field}" for t in traces[:3])
        out.append(
            finding(
                "generator-metadata",
                Severity.HIGH if strong else Severity.MEDIUM,
                0.9 if strong else 0.55,
                f"Photo {n} carries metadata written by the AI image generator {generator} ({where}"
                ").",
                f"照片 {n} 含有 AI 图像生成工具 {generator} 写入的元数据({where_zh})。",
                item,
                {
                    "generator": generator,
                    "strong": strong,
                    "fields": [
                        {
                            "field": t.field,
                            "container": t.container,
                            "value": t.excerpt,
                            "strong": t.strong,
                        }
                        for t in traces
                    ],
                },
            )
        )
    shots = screenshot_markers(meta)
    if shots:
        out.append(
            finding(
                "screenshot-metadata",
                Severity.MEDIUM,
                0.5,
                f"Photo {n} is marked as a screenshot ({shots[0][0]} = {shots[0][1]!r}); a screensh"
                "ot "
                "is not an original camera photo and is a common way to launder edited images.",
                f"照片 {n} 的元数据标明它是截屏({shots[0][0]});截屏不是原始拍摄照片,常被用来掩盖"
                "修图痕迹"
                "。",
                item,
                {"markers": [list(s) for s in shots]},
            )
        )
    editors = editing_software(meta)
    if editors:
        out.append(
            finding(
                "editing-software",
                Severity.LOW,
                0.3,
                f"Photo {n} was saved by image-editing software ({editors[0][1]}); it is not the "
                "camera's original file. Editing alone is not proof of forgery.",
                f"照片 {n} 经图像编辑软件保存({editors[0][1]}),不是相机原始文件;仅编辑本身不能证"
                "明伪造"
                "。",
                item,
                {"software": [list(e) for e in editors]},
            )
        )
    out.extend(_camera_and_time(meta, item, n, context, params))
    return out


def _camera_and_time(
    meta: Metadata, item: Item, n: int, context: CaseContext, params: ProvenanceParams
) -> list[Finding]:
    from datetime import timedelta

    out: list[Finding] = []
    exif = meta.exif
    make = (exif.text("Make") or "") if exif else ""
    model = (exif.text("Model") or "") if exif else ""
    # A file in no image container at all is reported unreadable; "stripped" would mislead.
    stripped = meta.format is not None and not (exif or meta.xmp or meta.c2pa or meta.texts)
    if stripped:
        out.append(
            finding(
                "metadata-absent",
                Severity.INFO,
                0.3,
                f"Photo {n} has no camera metadata at all; it was stripped (by an app, a platform o"
                "r "
                "a person), so its origin cannot be checked from the file.",
                f"照片 {n} 没有任何相机元数据(已被应用、平台或人为清除),无法从文件核实来源。",
                item,
                {"format": meta.format},
            )
        )
    if make and model and not make.startswith("workflow:"):
        ex = exif.ifds.get("exif", {}) if exif else {}
        parts = {
            "make_model": 0.3,
            "exposure": 0.2
            if any(k in ex for k in ("ExposureTime", "FNumber", "ISOSpeedRatings"))
            else 0.0,
            "makernote": 0.2 if exif and exif.makernote_size else 0.0,
            "capture_time": 0.15 if "DateTimeOriginal" in ex else 0.0,
            "gps": 0.05 if exif and exif.ifds.get("gps") else 0.0,
            "lens": 0.1 if "LensModel" in ex or "FocalLength" in ex else 0.0,
        }
        out.append(
            finding(
                "camera-origin",
                Severity.INFO,
                min(1.0, sum(parts.values())),
                f"Photo {n} carries camera data ({make} {model}). Camera data can be copied, so thi"
                "s "
                "does not clear the photo.",
                f"照片 {n} 含有相机信息({make} {model})。相机信息可被复制,不能据此认定照片真实。",
                item,
                {
                    "make": make,
                    "model": model,
                    "software": exif.text("Software") if exif else None,
                    "makernote_vendor": exif.makernote_vendor if exif else None,
                    "signals": parts,
                },
            )
        )
    when = capture_time(meta)
    if when is not None:
        margin = timedelta(minutes=params.capture_margin_minutes)
        slack = margin if when.aware else NAIVE_TOLERANCE
        for code, moment, en_event, zh_event, score in (
            (
                "captured-before-shipping",
                context.shipped_at,
                "the goods were shipped",
                "发货",
                0.92,
            ),
            (
                "captured-before-delivery",
                context.delivered_at,
                "the goods were delivered",
                "签收",
                0.85,
            ),
        ):
            if moment is None or moment.tzinfo is None or not when.value + slack < moment:
                continue
            zone = (
                "its time zone is recorded"
                if when.aware
                else "its time zone is not recorded, so it was compared with a ±14 h tolerance"
            )
            out.append(
                finding(
                    code,
                    Severity.HIGH,
                    score if when.aware else score - 0.1,
                    f"Photo {n} was taken {when.value.isoformat(timespec='seconds')} ({when.source}"
                    f"; {zone}), before "
                    f"{en_event} ({moment.isoformat(timespec='seconds')}): it cannot show damage fo"
                    "und on arrival.",
                    f"照片 {n} 拍摄于 {when.value.isoformat(timespec='seconds')}({when.source}"
                    f"{'' if when.aware else ',无时区信息,按 ±14 小时容差比较'}),早于{zh_event}时间"
                    f"({moment.isoformat(timespec='seconds')}),不可能是收货后拍摄的损坏照片。",
                    item,
                    {
                        "captured_at": when.value.isoformat(),
                        "aware": when.aware,
                        "source": when.source,
                        "raw": when.raw,
                        "event_at": moment.isoformat(),
                        "tolerance_s": slack.total_seconds(),
                    },
                )
            )
            break
    reasons = metadata_inconsistencies(meta, item)
    if reasons:
        out.append(
            finding(
                "metadata-inconsistent",
                Severity.MEDIUM if len(reasons) > 1 else Severity.LOW,
                min(0.7, 0.35 + 0.15 * (len(reasons) - 1)),
                f"Photo {n}'s metadata contradicts itself: {'; '.join(r['en'] for r in reasons)}.",
                f"照片 {n} 的元数据自相矛盾:{';'.join(r['zh'] for r in reasons)}。",
                item,
                {
                    "reasons": [r["code"] for r in reasons],
                    "details": [r.get("data") for r in reasons],
                },
            )
        )
    return out
