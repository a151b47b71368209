"""The provenance detector: AI labels, generator traces and camera origin in file metadata.

Strength ordering (ai-labels.md §0): signed C2PA manifest asserting AI > TC260 ``AIGC`` label
``Label=1`` > IPTC ``DigitalSourceType`` AI value > generator metadata. Camera-origin signals
only inform (severity ``info``); a missing label is never evidence that a photo is genuine,
so no finding here lowers the risk.

Finding codes: ``c2pa-ai-generated``, ``c2pa-ai-edited``, ``c2pa-manifest-invalid``,
``c2pa-manifest-present``, ``c2pa-manifest-unreadable``, ``tc260-aigc-label``,
``tc260-label-nonconformant``, ``tc260-label-residue``, ``iptc-ai-source``, ``ai-edit-credit``,
``generator-metadata``, ``screenshot-metadata``, ``editing-software``, ``camera-origin``,
``captured-before-shipping``, ``captured-before-delivery``, ``metadata-inconsistent``,
``metadata-absent``.
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
from trueclaim.forensics.tc260 import decode_provider_code, find_labels
from trueclaim.forensics.types import CaseContext, Finding, Severity

DETECTOR = "provenance"
IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
PHOTOSHOP_NS = "http://ns.adobe.com/photoshop/1.0/"
AI_GENERATED_TYPES = frozenset({"trainedAlgorithmicMedia", "trainedAlgorithmicData"})
AI_EDITED_TYPES = frozenset({"compositeWithTrainedAlgorithmicMedia", "compositeSynthetic"})
# Codes that prove AI involvement strongly enough that slower pixel checks (OCR) can be skipped.
_PROVING_CODES = frozenset({"c2pa-ai-generated", "c2pa-ai-edited", "tc260-aigc-label",
                            "iptc-ai-source", "ai-edit-credit", "generator-metadata"})
_IPTC_AI_FIELDS = ("AISystemUsed", "AISystemVersionUsed", "AIPromptInformation", "AIPromptWriterName")


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
        raise InvalidParameter(f"Unknown provenance option(s) {sorted(unknown)}; use {sorted(known)}.")
    return ProvenanceParams(**options)


def _f(code: str, severity: Severity, score: float, en: str, zh: str, item: Item,
       data: Mapping[str, Any]) -> Finding:
    return Finding(DETECTOR, code, severity, score, en, zh, evidence_index=item.index, data=dict(data))


def _item_findings(item: Item, context: CaseContext, params: ProvenanceParams) -> list[Finding]:
    meta = item.metadata
    n = item.index + 1
    out: list[Finding] = []
    out.extend(_c2pa(meta, item, n))
    out.extend(_tc260(meta, item, n))
    out.extend(_iptc(meta, item, n))
    by_generator: dict[str, list[Any]] = {}
    for t in find_traces(meta):
        by_generator.setdefault(t.generator, []).append(t)
    for generator, traces in by_generator.items():
        strong = any(t.strong for t in traces)
        where = ", ".join(f"{t.field} in {t.container}" for t in traces[:3])
        out.append(_f(
            "generator-metadata", Severity.HIGH if strong else Severity.MEDIUM, 0.9 if strong else 0.55,
            f"Photo {n} carries metadata written by the AI image generator {generator} ({where}).",
            f"照片 {n} 含有 AI 图像生成工具 {generator} 写入的元数据({where})。",
            item, {"generator": generator, "strong": strong,
                   "fields": [{"field": t.field, "container": t.container, "value": t.excerpt,
                               "strong": t.strong} for t in traces]}))
    shots = screenshot_markers(meta)
    if shots:
        out.append(_f(
            "screenshot-metadata", Severity.MEDIUM, 0.5,
            f"Photo {n} is marked as a screenshot ({shots[0][0]} = {shots[0][1]!r}); a screenshot "
            "is not an original camera photo and is a common way to launder edited images.",
            f"照片 {n} 的元数据标明它是截屏({shots[0][0]});截屏不是原始拍摄照片,常被用来掩盖修图痕迹。",
            item, {"markers": [list(s) for s in shots]}))
    editors = editing_software(meta)
    if editors:
        out.append(_f(
            "editing-software", Severity.LOW, 0.3,
            f"Photo {n} was saved by image-editing software ({editors[0][1]}); it is not the "
            "camera's original file. Editing alone is not proof of forgery.",
            f"照片 {n} 经图像编辑软件保存({editors[0][1]}),不是相机原始文件;仅编辑本身不能证明伪造。",
            item, {"software": [list(e) for e in editors]}))
    out.extend(_camera_and_time(meta, item, n, context, params))
    return out


def _c2pa(meta: Metadata, item: Item, n: int) -> list[Finding]:
    info = meta.c2pa
    if info is None:
        return []
    if info.error:
        return [_f(
            "c2pa-manifest-unreadable", Severity.LOW, 0.2,
            f"Photo {n} carries Content Credentials (C2PA) that could not be read offline "
            f"({info.error[:120]}); they were not verified.",
            f"照片 {n} 含有无法离线读取的内容凭证(C2PA),未能验证。",
            item, {"error": info.error, "remote_url": info.remote_url})]
    broken = info.integrity_failures
    intact = not broken
    out: list[Finding] = []
    ai_actions = [(m, a) for m in info.manifests for a in m.actions
                  if a.digital_source_type in AI_GENERATED_TYPES | AI_EDITED_TYPES]
    base = {"validation_state": info.validation_state, "status_codes": list(info.status_codes),
            "manifests": len(info.manifests), "signature_intact": intact}
    generated = [x for x in ai_actions if x[1].digital_source_type in AI_GENERATED_TYPES]
    edited = [x for x in ai_actions if x[1].digital_source_type in AI_EDITED_TYPES]
    for code, hits, en_what, zh_what in (
        ("c2pa-ai-generated", generated, "was generated by AI", "由 AI 生成"),
        ("c2pa-ai-edited", edited, "contains AI-generated edits", "含有 AI 生成的修改"),
    ):
        if not hits:
            continue
        m, a = hits[0]
        signer = m.issuer or m.common_name or "an unknown signer"
        verified = ("its signature and hashes check out (signer not on a local trust list)"
                    if intact else f"but the file was changed after signing ({', '.join(broken[:3])})")
        out.append(_f(
            code, Severity.CRITICAL if intact else Severity.HIGH, 0.98 if intact else 0.85,
            f"Photo {n}'s Content Credentials (C2PA), signed by {signer}, state that it {en_what} "
            f"({a.action}, {a.digital_source_type}, tool {a.software_agent or m.claim_generator}); "
            f"{verified}.",
            f"照片 {n} 的内容凭证(C2PA,签名方 {signer})声明其{zh_what}({a.action},"
            f"{a.digital_source_type});" + ("签名与哈希校验通过。" if intact else "但文件在签名后被修改。"),
            item, {**base, "action": a.action, "digital_source_type": a.digital_source_type,
                   "software_agent": a.software_agent, "description": a.description,
                   "manifest": m.label, "active_manifest": m.active, "issuer": m.issuer,
                   "common_name": m.common_name, "claim_generator": m.claim_generator,
                   "ai_actions": len(hits)}))
    if broken:
        out.append(_f(
            "c2pa-manifest-invalid", Severity.MEDIUM, 0.6,
            f"Photo {n}'s Content Credentials no longer match the file ({', '.join(broken[:3])}): "
            "the image or its manifest was modified after signing.",
            f"照片 {n} 的内容凭证与文件不符({', '.join(broken[:3])}):图像或凭证在签名后被修改。",
            item, base))
    if not ai_actions:
        active = next((m for m in info.manifests if m.active), info.manifests[0] if info.manifests else None)
        out.append(_f(
            "c2pa-manifest-present", Severity.INFO, 0.0,
            f"Photo {n} carries Content Credentials (C2PA) from "
            f"{(active.claim_generator or active.issuer) if active else 'an unknown tool'} "
            "with no AI generation or AI edit recorded.",
            f"照片 {n} 含有内容凭证(C2PA),其中未记录 AI 生成或 AI 修改。",
            item, {**base, "claim_generator": active.claim_generator if active else "",
                   "issuer": active.issuer if active else "",
                   "actions": [f"{a.action}:{a.digital_source_type}" for m in info.manifests
                               for a in m.actions][:20]}))
    return out


def _tc260(meta: Metadata, item: Item, n: int) -> list[Finding]:
    scan = find_labels(meta, item.data)
    out: list[Finding] = []
    if scan.labels:
        first = scan.labels[0]
        label = first.fields.get("Label", "")
        producer = first.fields.get("ContentProducer", "")
        decoded = decode_provider_code(producer) if producer else {}
        product = decoded.get("product") or producer or "an unnamed provider"
        severity, score, en_kind, zh_kind = {
            "1": (Severity.CRITICAL, 0.97, "AI-generated", "属于 AI 生成合成"),
            "2": (Severity.HIGH, 0.8, "possibly AI-generated", "可能为 AI 生成合成"),
            "3": (Severity.HIGH, 0.7, "suspected AI-generated", "疑似 AI 生成合成"),
        }.get(label, (Severity.HIGH, 0.7, f"labelled with an invalid value {label!r}",
                      f"标签值无效({label!r})"))
        propagator = first.fields.get("ContentPropagator", "")
        out.append(_f(
            "tc260-aigc-label", severity, score,
            f"Photo {n} carries the Chinese GB 45438-2025 (TC260) implicit AI label: "
            f"Label={label} ({en_kind}), producer {producer or '(empty)'} = {product}; found in "
            f"{first.location}.",
            f"照片 {n} 含有 GB 45438-2025(TC260)隐式标识:Label={label}({zh_kind}),"
            f"生成合成服务提供者 {producer or '(空)'} = {product};位置 {first.location}。",
            item, {"label": label, "producer_code": producer, "producer": decoded,
                   "produce_id": first.fields.get("ProduceID", ""),
                   "propagator_code": propagator,
                   "propagator": decode_provider_code(propagator) if propagator else {},
                   "location": first.location, "fields": dict(first.fields),
                   "copies": len(scan.labels)}))
        if len(scan.labels) > 1:
            distinct = len({lab.key for lab in scan.labels})
            out.append(_f(
                "tc260-label-nonconformant", Severity.MEDIUM, 0.5,
                f"Photo {n} holds {len(scan.labels)} TC260 labels ({distinct} distinct); the "
                "standard allows one, so the file was re-labelled or edited after generation.",
                f"照片 {n} 含有 {len(scan.labels)} 个 TC260 标识(其中 {distinct} 个不同);"
                "标准只允许一个,文件在生成后被重新标识或编辑。",
                item, {"locations": [lab.location for lab in scan.labels], "distinct": distinct}))
    elif scan.residue:
        out.append(_f(
            "tc260-label-residue", Severity.MEDIUM, 0.6,
            f"Photo {n} contains the remains of a Chinese AI-content label (TC260 AIGC) that can no "
            "longer be read; the file was probably edited after an AI tool labelled it.",
            f"照片 {n} 含有无法解析的 AI 生成内容标识(TC260 AIGC)残留,文件很可能在 AI 工具标识后被编辑。",
            item, {"residue": list(scan.residue[:5])}))
    return out


def _iptc(meta: Metadata, item: Item, n: int) -> list[Finding]:
    out: list[Finding] = []
    for value, packet in meta.xmp_values(IPTC_EXT_NS, "DigitalSourceType"):
        code = value.strip().rstrip("/").rsplit("/", 1)[-1]
        if code in AI_GENERATED_TYPES | AI_EDITED_TYPES:
            gen = code in AI_GENERATED_TYPES
            out.append(_f(
                "iptc-ai-source", Severity.HIGH, 0.9 if gen else 0.85,
                f"Photo {n}'s IPTC metadata declares it {'AI-generated' if gen else 'edited with AI'} "
                f"(DigitalSourceType {code}).",
                f"照片 {n} 的 IPTC 元数据声明其{'由 AI 生成' if gen else '经 AI 修改'}(DigitalSourceType {code})。",
                item, {"field": "Iptc4xmpExt:DigitalSourceType", "value": value, "code": code,
                       "container": packet.container}))
            break
    for name in _IPTC_AI_FIELDS:
        values = meta.xmp_values(IPTC_EXT_NS, name)
        if values:
            out.append(_f(
                "iptc-ai-source", Severity.HIGH, 0.85,
                f"Photo {n}'s IPTC metadata names the AI system used ({name} = {values[0][0][:80]!r}).",
                f"照片 {n} 的 IPTC 元数据写明了所用的 AI 系统({name})。",
                item, {"field": f"Iptc4xmpExt:{name}", "value": values[0][0][:500],
                       "container": values[0][1].container}))
            break
    credits = [v for v, _ in meta.xmp_values(PHOTOSHOP_NS, "Credit")] + list(meta.iptc.get("Credit", ()))
    for credit in credits:
        low = credit.lower()
        if "apple photos clean up" in low or ("google ai" in low and ("made" in low or "edited" in low)):
            vendor = "Apple Photos Clean Up" if "apple" in low else "Google Photos AI"
            out.append(_f(
                "ai-edit-credit", Severity.HIGH, 0.9,
                f"Photo {n} was edited with {vendor} (credit line {credit!r}): parts of the picture "
                "were changed by generative AI, even though the camera data is kept.",
                f"照片 {n} 经 {vendor} 处理(署名 {credit!r}):画面部分内容由生成式 AI 修改,尽管保留了相机信息。",
                item, {"field": "photoshop:Credit", "value": credit, "vendor": vendor}))
            break
    return out


def _camera_and_time(meta: Metadata, item: Item, n: int, context: CaseContext,
                     params: ProvenanceParams) -> list[Finding]:
    from datetime import timedelta

    out: list[Finding] = []
    exif = meta.exif
    make = (exif.text("Make") or "") if exif else ""
    model = (exif.text("Model") or "") if exif else ""
    if exif is None and not meta.xmp and not meta.c2pa and not meta.texts:
        out.append(_f(
            "metadata-absent", Severity.INFO, 0.3,
            f"Photo {n} has no camera metadata at all; it was stripped (by an app, a platform or "
            "a person), so its origin cannot be checked from the file.",
            f"照片 {n} 没有任何相机元数据(已被应用、平台或人为清除),无法从文件核实来源。",
            item, {"format": meta.format}))
    if make and model and not make.startswith("workflow:"):
        ex = exif.ifds.get("exif", {}) if exif else {}
        parts = {"make_model": 0.3, "exposure": 0.2 if any(k in ex for k in ("ExposureTime", "FNumber", "ISOSpeedRatings")) else 0.0,
                 "makernote": 0.2 if exif and exif.makernote_size else 0.0,
                 "capture_time": 0.15 if "DateTimeOriginal" in ex else 0.0,
                 "gps": 0.05 if exif and exif.ifds.get("gps") else 0.0,
                 "lens": 0.1 if "LensModel" in ex or "FocalLength" in ex else 0.0}
        out.append(_f(
            "camera-origin", Severity.INFO, min(1.0, sum(parts.values())),
            f"Photo {n} carries camera data ({make} {model}). Camera data can be copied, so this "
            "does not clear the photo.",
            f"照片 {n} 含有相机信息({make} {model})。相机信息可被复制,不能据此认定照片真实。",
            item, {"make": make, "model": model, "software": exif.text("Software") if exif else None,
                   "makernote_vendor": exif.makernote_vendor if exif else None, "signals": parts}))
    when = capture_time(meta)
    if when is not None:
        margin = timedelta(minutes=params.capture_margin_minutes)
        slack = margin if when.aware else NAIVE_TOLERANCE
        for code, moment, en_event, zh_event, score in (
            ("captured-before-shipping", context.shipped_at, "the goods were shipped", "发货", 0.92),
            ("captured-before-delivery", context.delivered_at, "the goods were delivered", "签收", 0.85),
        ):
            if moment is None or moment.tzinfo is None or not when.value + slack < moment:
                continue
            zone = ("its time zone is recorded" if when.aware else
                    "its time zone is not recorded, so it was compared with a ±14 h tolerance")
            out.append(_f(
                code, Severity.HIGH, score if when.aware else score - 0.1,
                f"Photo {n} was taken {when.value.isoformat()} ({when.source}; {zone}), before "
                f"{en_event} ({moment.isoformat()}): it cannot show damage found on arrival.",
                f"照片 {n} 拍摄于 {when.value.isoformat()}({when.source}"
                f"{'' if when.aware else ',无时区信息,按 ±14 小时容差比较'}),早于{zh_event}时间"
                f"({moment.isoformat()}),不可能是收货后拍摄的损坏照片。",
                item, {"captured_at": when.value.isoformat(), "aware": when.aware,
                       "source": when.source, "raw": when.raw, "event_at": moment.isoformat(),
                       "tolerance_s": slack.total_seconds()}))
            break
    reasons = metadata_inconsistencies(meta, item)
    if reasons:
        out.append(_f(
            "metadata-inconsistent", Severity.MEDIUM if len(reasons) > 1 else Severity.LOW,
            min(0.7, 0.35 + 0.15 * (len(reasons) - 1)),
            f"Photo {n}'s metadata contradicts itself: {'; '.join(r['en'] for r in reasons)}.",
            f"照片 {n} 的元数据自相矛盾:{';'.join(r['zh'] for r in reasons)}。",
            item, {"reasons": [r["code"] for r in reasons], "details": [r.get("data") for r in reasons]}))
    return out
