"""XMP packets to (namespace URI, property, value) triples, matched by URI, never by prefix.

Parsing uses defusedxml (no DTDs, no entity expansion). A packet the XML parser rejects is
read again with a tolerant regex scan that resolves prefixes through the packet's own
``xmlns:`` declarations, and the failure is recorded as an issue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from trueclaim.forensics.containers import MetadataIssue

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_SKIP_NS = {RDF_NS, "adobe:ns:meta/", "http://www.w3.org/XML/1998/namespace"}
MAX_PROPERTIES = 4096
MAX_VALUE_CHARS = 256 * 1024


@dataclass(frozen=True, slots=True)
class XmpProperty:
    """One XMP value: namespace URI, local name, text (array items become one property each)."""

    namespace: str
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class XmpPacket:
    """One XMP packet: where it was found and the properties it holds."""

    container: str
    offset: int
    properties: tuple[XmpProperty, ...]
    raw: str  # the packet text (bounded), kept for serialisations parsers miss
    parsed: bool  # False when the XML parser rejected it and the regex fallback was used

    def values(self, namespace: str, name: str) -> tuple[str, ...]:
        return tuple(
            p.value for p in self.properties if p.namespace == namespace and p.name == name
        )

    def namespaces(self) -> frozenset[str]:
        declared = set(
            re.findall(r'xmlns:[\w.-]+\s*=\s*["\']([^"\']+)["\']', self.raw[:MAX_VALUE_CHARS])
        )
        return frozenset(declared | {p.namespace for p in self.properties})


def parse_xmp(
    payload: bytes, container: str, offset: int, issues: list[MetadataIssue]
) -> XmpPacket:
    """Parse one XMP packet; never raises on bad input (problems go to ``issues``)."""
    text = _decode(payload)
    start = text.find("<x:xmpmeta")
    if start < 0:
        start = text.find("<rdf:RDF")
    body = text[start:] if start >= 0 else text
    end = max(body.rfind("</x:xmpmeta>"), -1)
    if end >= 0:
        body = body[: end + len("</x:xmpmeta>")]
    try:
        root = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        issues.append(
            MetadataIssue(
                container,
                offset,
                f"XMP packet is not well-formed XML ({exc}); read with a tolerant scan instead",
            )
        )
        return XmpPacket(container, offset, _regex_properties(text), text[:MAX_VALUE_CHARS], False)
    props: list[XmpProperty] = []
    _walk(root, None, props)
    return XmpPacket(container, offset, tuple(props[:MAX_PROPERTIES]), text[:MAX_VALUE_CHARS], True)


def _decode(payload: bytes) -> str:
    if payload[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return payload.decode("utf-16", "replace")
    return payload.decode("utf-8", "replace").strip("\x00")


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _walk(el: Element, owner: tuple[str, str] | None, out: list[XmpProperty]) -> None:
    if len(out) >= MAX_PROPERTIES:
        return
    ns, local = _split(el.tag)
    is_rdf = ns in _SKIP_NS
    here = (
        owner
        if is_rdf and local in ("li", "value", "Alt", "Seq", "Bag", "Description")
        else (None if is_rdf else (ns, local))
    )
    for key, value in el.attrib.items():
        ans, alocal = _split(key)
        if ans and ans not in _SKIP_NS:
            out.append(XmpProperty(ans, alocal, value[:MAX_VALUE_CHARS]))
    children = list(el)
    text = (el.text or "").strip()
    if here is not None and text and not children:
        out.append(XmpProperty(here[0], here[1], text[:MAX_VALUE_CHARS]))
    for child in children:
        _walk(child, here, out)


_XMLNS = re.compile(r'xmlns:([\w.-]+)\s*=\s*["\']([^"\']*)["\']')
_ATTR = re.compile(r'\b([\w.-]+):([\w.-]+)\s*=\s*"([^"]*)"')
_ELEM = re.compile(r"<([\w.-]+):([\w.-]+)(?:\s[^>]*)?>([^<]*)</\1:\2>", re.DOTALL)


def _regex_properties(text: str) -> tuple[XmpProperty, ...]:
    import html

    text = text[: MAX_VALUE_CHARS * 4]
    prefixes = {p: uri for p, uri in _XMLNS.findall(text)}
    out = []
    for rx in (_ATTR, _ELEM):
        for prefix, local, value in rx.findall(text):
            uri = prefixes.get(prefix)
            if uri and uri not in _SKIP_NS and prefix != "xmlns":
                out.append(XmpProperty(uri, local, html.unescape(value)[:MAX_VALUE_CHARS]))
            if len(out) >= MAX_PROPERTIES:
                return tuple(out)
    return tuple(out)
