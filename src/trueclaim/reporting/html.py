"""A self-contained HTML page of one Report: verdict, findings, images with change overlays."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.errors import ForensicsError
from trueclaim.forensics.types import Mask, Report

_THUMB_SIDE = 900
_VERDICT_COLOUR = {
    "genuine-likely": "#1b7f3b",
    "needs-review": "#b26a00",
    "forgery-likely": "#b3261e",
}
_VERDICT_ZH = {
    "genuine-likely": "可能真实",
    "needs-review": "需人工复核",
    "forgery-likely": "疑似伪造",
}


@dataclass(frozen=True, slots=True)
class NamedFile:
    """A file's display name and bytes."""

    name: str
    data: bytes


def render_report_html(
    report: Report,
    evidence: Sequence[NamedFile],
    references: Sequence[NamedFile] = (),
    *,
    title: str = "trueclaim report",
) -> str:
    """Render the report as one HTML document with every image inlined."""
    v = report.verdict.value
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='verdict' style='background:{_VERDICT_COLOUR[v]}'>"
        f"{html.escape(v)} · {_VERDICT_ZH[v]} · risk {report.risk:.2f}</p>",
        f"<p class='meta'>engine {html.escape(report.engine_version)} · "
        f"thresholds review ≥ {report.thresholds.get('review', 0):.2f}, "
        f"forgery ≥ {report.thresholds.get('forgery', 0):.2f} · "
        f"{report.timings_ms.get('total', 0):.0f} ms</p>",
    ]
    if report.drivers:
        parts.append(
            "<p>Driven by 主要依据: "
            + ", ".join(f"<code>{html.escape(c)}</code>" for c in report.drivers)
            + "</p>"
        )
    parts.append("<h2>Findings 检测结果</h2>")
    if report.findings:
        parts.append(
            "<table><thead><tr><th>severity</th><th>detector</th><th>code</th><th>score</th>"
            "<th>explanation 说明</th></tr></thead><tbody>"
        )
        for f in report.findings:
            where = ""
            if f.evidence_index is not None:
                where = f" (evidence {f.evidence_index + 1})"
            parts.append(
                f"<tr class='sev-{f.severity.value}'><td>{f.severity.value}</td>"
                f"<td>{html.escape(f.detector)}</td><td><code>{html.escape(f.code)}</code>"
                f"{html.escape(where)}</td><td>{f.score:.2f}</td>"
                f"<td>{html.escape(f.message_en)}<br><span class='zh'>"
                f"{html.escape(f.message_zh)}</span></td></tr>"
            )
        parts.append("</tbody></table>")
    else:
        parts.append(
            "<p>No findings. 未发现异常。 A missing label is never proof of a genuine photo.</p>"
        )
    parts.append("<h2>Evidence 证据</h2><div class='grid'>")
    for i, named in enumerate(evidence):
        parts.append(_figure(named, report.localization(i), report, i, "evidence"))
    parts.append("</div>")
    if references:
        parts.append("<h2>References 参考图</h2><div class='grid'>")
        for i, named in enumerate(references):
            parts.append(_figure(named, None, report, i, "reference"))
        parts.append("</div>")
    parts.append(
        "<h2>Inputs 输入文件</h2><table><thead><tr><th>role</th><th>#</th>"
        "<th>SHA-256</th><th>format</th><th>size</th><th>status</th></tr></thead><tbody>"
    )
    for s in report.inputs:
        size = f"{s.width}×{s.height}" if s.width else ""  # noqa: RUF001  (typographic multiplication sign)
        parts.append(
            f"<tr><td>{s.role}</td><td>{s.index + 1}</td><td><code>{s.sha256}</code></td>"
            f"<td>{s.format or ''}</td><td>{size}</td><td>{html.escape(s.status)}"
            f"{(': ' + html.escape(s.reason)) if s.reason else ''}</td></tr>"
        )
    parts.append("</tbody></table></body></html>")
    return "".join(parts)


def _figure(f: NamedFile, mask: Mask | None, report: Report, index: int, role: str) -> str:
    try:
        decoded = decode_image(f.data, max_side=_THUMB_SIDE)
    except ForensicsError as exc:
        return (
            f"<figure><div class='broken'>cannot show: {html.escape(str(exc))}</div>"
            f"<figcaption>{html.escape(f.name)}</figcaption></figure>"
        )
    rgb = decoded.pixels
    overlay = ""
    if mask is not None:
        overlay = _overlay(rgb, mask)
    boxes = []
    for finding in report.findings:
        if role == "evidence" and finding.evidence_index == index:
            for r in finding.regions:
                boxes.append(
                    f"<div class='box' title='{html.escape(r.label or finding.code)}' "
                    f"style='left:{r.x / decoded.width * 100:.2f}%;"
                    f"top:{r.y / decoded.height * 100:.2f}%;"
                    f"width:{r.width / decoded.width * 100:.2f}%;"
                    f"height:{r.height / decoded.height * 100:.2f}%'></div>"
                )
    img = f"<img alt='{html.escape(f.name)}' src='data:image/jpeg;base64,{_jpeg_b64(rgb)}'>"
    layers = img
    if overlay:
        layers += (
            f"<img class='overlay' alt='changed regions' src='data:image/png;base64,{overlay}'>"
        )
    caption = f"{role} {index + 1}: {html.escape(f.name)} ({decoded.width}×{decoded.height})"  # noqa: RUF001
    if mask is not None:
        caption += " — red: changed regions 红色:被修改区域"
    return (
        f"<figure><div class='stack'>{layers}{''.join(boxes)}</div>"
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _jpeg_b64(rgb: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=85)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _overlay(rgb: np.ndarray, mask: Mask) -> str:
    h, w = rgb.shape[:2]
    m = Image.fromarray(np.asarray(mask, dtype=np.uint8) * 255).resize(
        (w, h), Image.Resampling.NEAREST
    )
    alpha = np.asarray(m, dtype=np.uint8) // 2
    rgba = np.zeros((h, w, 4), dtype=np.uint8)
    rgba[..., 0] = 255
    rgba[..., 3] = alpha
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode("ascii")


_CSS = """
body{font-family:system-ui,'PingFang SC','Noto Sans CJK SC',sans-serif;margin:2rem;color:#1d1d1f}
.verdict{color:#fff;display:inline-block;padding:.4rem .8rem;border-radius:.4rem;font-weight:600}
.meta{color:#555;font-size:.9rem} table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
.zh{color:#444} .sev-critical td:first-child,.sev-high td:first-child{color:#b3261e;font-weight:600}
.sev-medium td:first-child{color:#b26a00} code{font-size:.85em}
.grid{display:flex;flex-wrap:wrap;gap:1rem} figure{margin:0;max-width:440px}
.stack{position:relative} .stack img{width:100%;display:block}
.stack .overlay{position:absolute;left:0;top:0} .box{position:absolute;border:2px solid #ff2d2d}
.broken{padding:2rem;background:#eee}
"""
