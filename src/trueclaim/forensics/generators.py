"""Generator-specific metadata traces (ai-labels.md §1.7, §4): who wrote which field.

Each trace is a :class:`Trace`: the generator, the field and container it sits in, an excerpt
of the raw value, and ``strong`` (a tool-specific structure such as ComfyUI's node graph) versus
weak (a generic product token in a software field). Plain editors are listed separately by
:func:`editing_software`; they are evidence of editing, not of AI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trueclaim.forensics.exif import decode_user_comment
from trueclaim.forensics.metadata import Metadata

XMP_NS = "http://ns.adobe.com/xap/1.0/"
STEVT_NS = "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"

_GENERIC_AI = re.compile(
    r"\b(firefly|dall[-·]?e|midjourney|stable[ _-]?diffusion|comfyui|automatic1111|invokeai|"
    r"imagen|gpt-image|nightcafe|ideogram|leonardo\.ai|flux|dreamstudio|novelai|reve\.com|"
    r"luma ai|fal-ai|aphrodite ai|apple photos clean up)\b",
    re.IGNORECASE,
)
_EDITORS = re.compile(
    r"(photoshop|lightroom|gimp|snapseed|picsart|meitu|美图|xingtu|醒图|photoroom|pixelmator|"
    r"affinity|paint\.net|canva|fotor|capture one|darktable|rawtherapee|luminar|facetune|"
    r"photoscape|picmonkey|befunky|pixlr|inpixio|b612|faceapp|remini|wink|photodirector|"
    r"paint ?tool|krita|corel|acdsee|polarr|vsco|lightx|airbrush)",
    re.IGNORECASE,
)
_A1111 = re.compile(r"Steps: \d+, Sampler: ", re.DOTALL)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_GROK_SIG = re.compile(r"^Signature: [A-Za-z0-9+/=]{64,}")


@dataclass(frozen=True, slots=True)
class Trace:
    """One generator trace."""

    generator: str
    field: str
    container: str
    excerpt: str
    strong: bool = True


def find_traces(meta: Metadata) -> list[Trace]:
    """Every generator trace in the file's metadata, strongest kinds first."""
    out: list[Trace] = []
    texts = {t.key: t for t in meta.texts}
    for t in meta.texts:
        out.extend(_png_text_traces(t.key, t.value, t.container, texts))
    exif = meta.exif
    if exif is not None:
        out.extend(_exif_traces(meta))
    for packet in meta.xmp:
        for prop in packet.properties:
            if (prop.namespace == XMP_NS and prop.name == "CreatorTool") or (
                prop.namespace == STEVT_NS and prop.name == "softwareAgent"
            ):
                m = _GENERIC_AI.search(prop.value)
                if m:
                    out.append(
                        Trace(
                            _name(m.group(1)),
                            f"xmp:{prop.name}",
                            packet.container,
                            prop.value[:200],
                            strong=False,
                        )
                    )
    out.extend(_trailer_traces(meta))
    if any(t.strong for t in out):  # a tool-specific trace makes generic tokens redundant
        out = [t for t in out if t.strong]
    return _dedupe(out)


def _png_text_traces(
    key: str, value: str, container: str, texts: Mapping[str, object]
) -> list[Trace]:
    v = value.lstrip()
    k = key.lower()
    hits: list[Trace] = []
    if k == "parameters":
        if (
            "fooocus_scheme" in texts
            or ('"base_model"' in v and "fooocus" in v.lower())
            or (v.startswith("{") and '"adm_guidance"' in v)
        ):
            hits.append(Trace("Fooocus", key, container, v[:200]))
        elif _A1111.search(v) or "Negative prompt:" in v:
            hits.append(
                Trace("Stable Diffusion WebUI (AUTOMATIC1111/Forge)", key, container, v[:200])
            )
    elif k == "fooocus_scheme":
        hits.append(Trace("Fooocus", key, container, v[:200]))
    elif k in ("prompt", "workflow") and v.startswith("{"):
        if _is_comfy(v):
            hits.append(Trace("ComfyUI", key, container, v[:200]))
    elif k in ("invokeai_metadata", "invokeai_workflow", "invokeai_graph", "sd-metadata", "dream"):
        hits.append(Trace("InvokeAI", key, container, v[:200]))
    elif (
        (k == "software" and "novelai" in v.lower())
        or (k == "title" and v == "AI generated image")
        or (k == "comment" and '"signed_hash"' in v)
    ):
        hits.append(Trace("NovelAI", key, container, v[:200]))
    elif k == "description" and re.search(r"Job ID: [0-9a-f-]{36}", v):
        hits.append(Trace("Midjourney", key, container, v[:200]))
    elif k == "source" and "luma ai" in v.lower():
        hits.append(Trace("Luma AI", key, container, v[:200]))
    elif k == "hf-job-id":
        hits.append(Trace("Hugging Face job", key, container, v[:200], strong=False))
    elif k in ("software", "source", "generator", "comment", "author", "title"):
        m = _GENERIC_AI.search(v[:2000])
        if m:
            hits.append(Trace(_name(m.group(1)), key, container, v[:200], strong=False))
    return hits


def _is_comfy(text: str) -> bool:
    try:
        obj = json.loads(text)
    except ValueError:
        return '"class_type"' in text or '"last_node_id"' in text
    if not isinstance(obj, dict):
        return False
    if "nodes" in obj and ("last_node_id" in obj or "links" in obj):
        return True
    return any(isinstance(n, dict) and "class_type" in n for n in list(obj.values())[:200])


def _exif_traces(meta: Metadata) -> list[Trace]:
    hits: list[Trace] = []
    for exif in meta.exif_blocks:
        make = exif.text("Make") or ""
        model = exif.text("Model") or ""
        software = exif.text("Software") or ""
        desc = exif.text("ImageDescription") or ""
        artist = exif.text("Artist") or ""
        comment = exif.text("UserComment") or ""
        if make.startswith("workflow:") or model.startswith("prompt:"):
            hits.append(Trace("ComfyUI", "exif:Make/Model", "exif", (make or model)[:200]))
        if _A1111.search(comment):
            hits.append(
                Trace(
                    "Stable Diffusion WebUI (AUTOMATIC1111/Forge)",
                    "exif:UserComment",
                    "exif",
                    comment[:200],
                )
            )
        if software.lower().startswith("ai generated;") or make == "Black Forest Labs":
            hits.append(
                Trace(
                    "FLUX (Black Forest Labs)",
                    "exif:Software/Make",
                    "exif",
                    f"{make} {software}".strip()[:200],
                )
            )
        if make.strip().lower() == "ideogram ai":
            hits.append(Trace("Ideogram", "exif:Make", "exif", make))
        if software.lower() == "novelai" or '"signed_hash"' in comment:
            hits.append(
                Trace("NovelAI", "exif:Software/UserComment", "exif", software or comment[:200])
            )
        if _GROK_SIG.match(desc) and _UUID.match(artist.strip()):
            hits.append(Trace("xAI Grok", "exif:ImageDescription+Artist", "exif", desc[:120]))
        for name, text in (("ImageDescription", desc), ("UserComment", comment)):
            hits.extend(_bytedance(text, name))
        for name, text in (("Software", software), ("Make", make), ("Model", model)):
            m = _GENERIC_AI.search(text)
            if m and not any(h.field.endswith(name) for h in hits):
                hits.append(
                    Trace(_name(m.group(1)), f"exif:{name}", "exif", text[:200], strong=False)
                )
    return hits


def _bytedance(text: str, field: str) -> list[Trace]:
    if '"product"' not in text and "aigc_info" not in text:
        return []
    try:
        obj = json.loads(text[text.find("{") :])
    except ValueError:
        return []
    if not isinstance(obj, dict):
        return []
    raw_info = obj.get("aigc_info")
    info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
    product = str(obj.get("product", ""))
    ai = (
        info.get("aigc_type") == 1
        or info.get("aigc_label_type") in (1, 2)
        or (product.startswith("dreamina") and obj.get("exportType") == "generation")
    )
    if ai:
        return [
            Trace(f"ByteDance app ({product or 'unknown'})", f"exif:{field}", "exif", text[:200])
        ]
    return []


def _trailer_traces(meta: Metadata) -> list[Trace]:
    tail = meta.trailer
    if not tail:
        return []
    m = re.search(rb'"genAIType"\s*:\s*(\d+)', tail)
    if m and int(m.group(1)) != 0:
        return [
            Trace(
                "Samsung Galaxy AI",
                "SEF trailer genAIType",
                meta.trailer_container,
                tail[max(0, m.start() - 80) : m.end() + 20].decode("latin-1", "replace"),
            )
        ]
    return []


def screenshot_markers(meta: Metadata) -> list[tuple[str, str]]:
    """(field, value) pairs that say the file is a screenshot."""
    out = []
    for exif in meta.exif_blocks:
        uc = exif.get("UserComment")
        text = decode_user_comment(uc) if isinstance(uc, bytes) else str(uc or "")
        if "screenshot" in text.lower():
            out.append(("exif:UserComment", text[:80]))
    for packet in meta.xmp:
        for prop in packet.properties:
            if prop.name == "UserComment" and "screenshot" in prop.value.lower():
                out.append((f"xmp:{prop.name}", prop.value[:80]))
            if prop.name == "DigitalSourceType" and prop.value.rstrip("/").endswith(
                "screenCapture"
            ):
                out.append(("xmp:DigitalSourceType", prop.value))
    for t in meta.texts:
        if t.key.lower() in ("software", "source", "comment") and "screenshot" in t.value.lower():
            out.append((f"{t.container}:{t.key}", t.value[:80]))
    return out


def editing_software(meta: Metadata) -> list[tuple[str, str]]:
    """(field, value) pairs naming an image editor (weak: edited, not AI)."""
    out = []
    for exif in meta.exif_blocks:
        sw = exif.text("Software") or ""
        if _EDITORS.search(sw):
            out.append(("exif:Software", sw[:120]))
    for packet in meta.xmp:
        for prop in packet.properties:
            if (prop.name in ("CreatorTool", "softwareAgent")) and _EDITORS.search(prop.value):
                out.append((f"xmp:{prop.name}", prop.value[:120]))
    for t in meta.texts:
        if t.key.lower() == "software" and _EDITORS.search(t.value):
            out.append((f"{t.container}:{t.key}", t.value[:120]))
    return list(dict.fromkeys(out))


def _name(token: str) -> str:
    return {
        "dall-e": "DALL·E",
        "dalle": "DALL·E",
        "comfyui": "ComfyUI",
        "flux": "FLUX",
        "automatic1111": "Stable Diffusion WebUI (AUTOMATIC1111/Forge)",
    }.get(token.lower(), token)


def _dedupe(traces: list[Trace]) -> list[Trace]:
    seen: set[tuple[str, str]] = set()
    out = []
    for t in traces:
        if (t.generator, t.field) not in seen:
            seen.add((t.generator, t.field))
            out.append(t)
    return out
