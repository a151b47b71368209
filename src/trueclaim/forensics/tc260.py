"""GB 45438-2025 / TC260 implicit ``AIGC`` labels, in every serialisation seen in the wild.

Places searched: XMP (element and attribute form, any namespace whose property name contains
``AIGC``, matched by URI for the TC260 namespace), PNG text chunks keyed ``AIGC``, EXIF
``UserComment`` / ``ImageDescription`` / ``XPComment``, raw APP segments and comments holding
``AIGC`` JSON, and, when none of those parsed, a bounded raw-byte scan of the file. A JSON
object is accepted only when it carries at least one normative key.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from trueclaim.forensics.metadata import Metadata

TC260_NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"
FIELDS = frozenset(
    {
        "Label",
        "ContentProducer",
        "ProduceID",
        "ReservedCode1",
        "ContentPropagator",
        "PropagateID",
        "ReservedCode2",
    }
)
_MAX_SCAN_HITS = 32
_MAX_JSON_CHARS = 64 * 1024

# USCC -> product, as observed on real files or reported by third parties (ai-labels.md §1.2).
KNOWN_PRODUCERS: Mapping[str, str] = {
    "91110102MACQD9K640": "Doubao 豆包 (ByteDance)",
    "9144030008867405X2": "Jimeng 即梦 (ByteDance)",
    "91440101MA9Y9T4H7A": "Qwen 千问 (Alibaba)",
    "91110108335469089C": "Kling 可灵 (Kuaishou)",
    "91440300708461136T": "Tencent (Yuanbao 元宝 / Tencent Cloud)",
    "91110000802100433B": "Baidu 百度",
    "91110105MACJ6K1C8A": "LibLibAI",
    "91340100MAEB4N8H76": "RunningHub",
}
KNOWN_NAMES: Mapping[str, str] = {
    "doubao": "Doubao 豆包 (ByteDance)",
    "picwish": "PicWish",
    "runninghub": "RunningHub",
    "minimax": "MiniMax",
    "jimeng": "Jimeng 即梦 (ByteDance)",
    "dreamina": "Jimeng 即梦 (ByteDance)",
}
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@dataclass(frozen=True, slots=True)
class Tc260Label:
    """One parsed label and where it was found."""

    fields: Mapping[str, str]
    location: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (
            self.fields.get("Label", ""),
            self.fields.get("ContentProducer", ""),
            self.fields.get("ProduceID", ""),
        )


@dataclass(frozen=True, slots=True)
class Tc260Scan:
    """All labels found, plus places where the namespace or field is present but unreadable."""

    labels: tuple[Tc260Label, ...]
    residue: tuple[str, ...]


def decode_provider_code(code: str) -> dict[str, object]:
    """Split a 27-character TC260 provider code; name the product when the USCC is known."""
    code = code.strip()
    out: dict[str, object] = {"code": code}
    if len(code) == 27 and code.startswith("00") and code.isalnum():
        uscc = code[4:22]
        out.update(
            {
                "uscc": uscc,
                "uscc_check_ok": _uscc_check(uscc),
                "service_type": {"1": "generation", "2": "distribution"}.get(code[22], code[22]),
                "model_code": code[23:],
                "product": KNOWN_PRODUCERS.get(uscc),
            }
        )
    else:
        low = code.lower()
        out["product"] = next((v for k, v in KNOWN_NAMES.items() if k in low), None)
    return out


def _uscc_check(uscc: str) -> bool:
    if len(uscc) != 18 or any(c not in _USCC_CHARS for c in uscc):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(uscc[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31] == uscc[17]


def find_labels(meta: Metadata, data: bytes) -> Tc260Scan:
    """Every TC260 label in the file's metadata (and raw bytes when the structure hid it)."""
    labels: list[Tc260Label] = []
    residue: list[str] = []
    for packet in meta.xmp:
        for prop in packet.properties:
            if "AIGC" in prop.name.upper() or (prop.namespace == TC260_NS):
                where = f"xmp:{packet.container}:{prop.name}"
                found = [Tc260Label(f, where) for f in _labels_in(prop.value)]
                labels.extend(found)
                if not found:
                    residue.append(f"{where} = {prop.value[:120]!r}")
        if TC260_NS in packet.namespaces() and not any(
            p.namespace == TC260_NS for p in packet.properties
        ):
            residue.append(
                f"xmp:{packet.container}: TC260 namespace declared without a readable AIGC value"
            )
    for entry in meta.texts:
        needs_keyword = "AIGC" not in entry.key.upper()
        if needs_keyword and "AIGC" not in entry.value:
            continue
        where = f"{entry.container}:{entry.key}"
        found = [Tc260Label(f, where) for f in _labels_in(entry.value)]
        labels.extend(found)
        if not found and not needs_keyword:
            residue.append(f"{where} = {entry.value[:120]!r}")
    for exif in meta.exif_blocks:
        for name in ("UserComment", "ImageDescription", "0x9C9C", "Artist", "Copyright"):
            text = exif.text(name)
            if name == "0x9C9C" and isinstance(exif.get(name), (bytes, tuple)):
                raw = exif.get(name)
                raw = bytes(raw) if isinstance(raw, tuple) else raw
                text = raw.decode("utf-16-le", "replace")
            if text and "AIGC" in text:
                found = [Tc260Label(f, f"exif:{name}") for f in _labels_in(text)]
                labels.extend(found)
    if not labels:
        labels.extend(_raw_scan(data))
    if not labels and TC260_NS.encode() in data and not residue:
        residue.append("raw bytes: TC260 namespace URI present but no readable AIGC label")
    return Tc260Scan(tuple(_dedupe(labels)), tuple(residue))


def _dedupe(labels: list[Tc260Label]) -> list[Tc260Label]:
    seen: set[tuple[str, tuple[str, str, str]]] = set()
    out = []
    for label in labels:
        k = (label.location, label.key)
        if k not in seen:
            seen.add(k)
            out.append(label)
    return out


def _labels_in(text: str) -> Iterator[dict[str, str]]:
    text = html.unescape(text[: _MAX_JSON_CHARS * 4])
    for obj in _objects(text):
        label = _label(obj)
        if label is not None:
            yield label


def _objects(text: str) -> Iterator[object]:
    dec = json.JSONDecoder()
    i, n = text.find("{"), 0
    while i != -1 and n < _MAX_SCAN_HITS:
        try:
            obj, end = dec.raw_decode(text, i)
        except ValueError:
            i = text.find("{", i + 1)
            continue
        n += 1
        yield obj
        i = text.find("{", end)


def _label(obj: object) -> dict[str, str] | None:
    if isinstance(obj, dict) and isinstance(obj.get("AIGC"), dict):
        obj = obj["AIGC"]
    if isinstance(obj, dict) and FIELDS & obj.keys():
        return {str(k): "" if v is None else str(v)[:512] for k, v in list(obj.items())[:32]}
    return None


_RAW = re.compile(rb"AIGC")


def _raw_scan(data: bytes) -> list[Tc260Label]:
    out: list[Tc260Label] = []
    for n, m in enumerate(_RAW.finditer(data)):
        if n >= _MAX_SCAN_HITS:
            break
        window = data[m.start() : m.start() + _MAX_JSON_CHARS].decode("utf-8", "replace")
        window = html.unescape(window)
        brace = window.find("{")
        if brace < 0 or brace > 40:
            continue
        for label in _labels_in(window[brace:]):
            out.append(Tc260Label(label, f"raw@{m.start()}"))
            break
    seen: set[tuple[str, str, str]] = set()
    return [lab for lab in out if not (lab.key in seen or seen.add(lab.key))]  # type: ignore[func-returns-value]
