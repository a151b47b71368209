"""Visible AI marks ("AI生成", vendor wordmarks) read with OCR in the image's edge bands.

GB 45438-2025 §5.2 puts the explicit label at an edge or corner with text at least 5 % of the
short side tall, so only the top and bottom bands (``band_fraction`` of the short side) are
read, each downscaled to at most ``max_side_px``. The OCR engine (rapidocr-onnxruntime, which
ships its models) is loaded once per process.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from trueclaim.forensics.types import RGBImage

GENERIC = re.compile(r"(A[Il1]|人工智能).{0,4}(生成|合成)", re.IGNORECASE)
GENERIC_EN = re.compile(
    r"\bA[Il1][ -]generated\b|\bgenerated\s+(by|with)\s+A[Il1]\b", re.IGNORECASE
)
WORDMARKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Doubao 豆包", re.compile(r"豆包\s*A[Il1]")),
    ("Jimeng 即梦 / Dreamina", re.compile(r"即梦\s*A[Il1]|Dreamina", re.IGNORECASE)),
    ("Qwen 千问", re.compile(r"千问\s*A[Il1]|Qwen-Image", re.IGNORECASE)),
    ("Kling 可灵", re.compile(r"可灵\s*A[Il1]|KLING\s*A[Il1]", re.IGNORECASE)),
    ("RunningHub", re.compile(r"RunningHub", re.IGNORECASE)),
    ("LibLibAI", re.compile(r"LibLib\s*A[Il1]", re.IGNORECASE)),
    ("Hailuo / MiniMax", re.compile(r"hailuo\s*A[Il1]", re.IGNORECASE)),
    ("Meta AI", re.compile(r"Imagined\s+with\s+A[Il1]", re.IGNORECASE)),
    (
        "Samsung Galaxy AI",
        re.compile(r"A[Il1]-generated\s+content|generati\s*dall.?\s*A[Il1]", re.IGNORECASE),
    ),
)

_ENGINE: Any = None
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class TextHit:
    """One OCR line that matches an AI mark, with its box in original image pixels."""

    text: str
    confidence: float
    vendor: str | None
    box: tuple[int, int, int, int]  # x, y, width, height
    band: str


def ocr_engine() -> Any:
    """The process-wide OCR engine (created on first use)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            from rapidocr_onnxruntime import RapidOCR

            _ENGINE = RapidOCR(
                det_limit_side_len=640,
                det_limit_type="max",
                use_cls=False,
                intra_op_num_threads=1,
                inter_op_num_threads=1,
            )
        return _ENGINE


def match_mark(text: str) -> tuple[bool, str | None]:
    """Whether ``text`` is an AI mark, and the vendor it names (None for the generic form)."""
    compact = re.sub(r"\s+", " ", text).strip()
    for vendor, pattern in WORDMARKS:
        if pattern.search(compact):
            return True, vendor
    return bool(GENERIC.search(compact.replace(" ", "")) or GENERIC_EN.search(compact)), None


def read_edge_marks(
    rgb: RGBImage,
    *,
    band_fraction: float = 0.15,
    max_side_px: int = 640,
    min_confidence: float = 0.6,
) -> tuple[list[TextHit], list[str]]:
    """OCR the top and bottom bands; return the AI-mark hits and every line read."""
    h, w = rgb.shape[:2]
    band = max(16, round(min(h, w) * band_fraction))
    engine = ocr_engine()
    hits: list[TextHit] = []
    lines: list[str] = []
    for name, y0 in (("top", 0), ("bottom", max(0, h - band))):
        crop: npt.NDArray[np.uint8] = rgb[y0 : y0 + band]
        scale = min(1.0, max_side_px / max(crop.shape[:2]))
        if scale < 1.0:
            size = (max(1, int(crop.shape[1] * scale)), max(1, int(crop.shape[0] * scale)))
            crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        result, _ = engine(np.ascontiguousarray(crop[:, :, ::-1]), use_cls=False)
        for box, text, conf in result or []:
            lines.append(str(text))
            ok, vendor = match_mark(str(text))
            if not ok or float(conf) < min_confidence:
                continue
            pts = np.asarray(box, dtype=np.float64) / scale
            x0, yb0 = pts.min(axis=0)
            x1, yb1 = pts.max(axis=0)
            hits.append(
                TextHit(
                    str(text),
                    float(conf),
                    vendor,
                    (int(x0), int(y0 + yb0), int(x1 - x0), int(yb1 - yb0)),
                    name,
                )
            )
    return hits, lines


def text_line_boxes(rgb: RGBImage) -> list[npt.NDArray[np.float32]]:
    """The text lines the OCR detector finds in ``rgb`` (detection only), each a (4, 2) array
    of corner points in ``rgb``'s pixels.

    The detector sees ``rgb`` as given (reduced only when its longest side exceeds the
    engine's 640 px).
    """
    boxes, _ = ocr_engine().text_det(np.ascontiguousarray(rgb[:, :, ::-1]))
    if boxes is None:
        return []
    return [np.asarray(box, dtype=np.float32) for box in boxes]


def text_line_mask(rgb: RGBImage) -> npt.NDArray[np.bool_]:
    """Pixels of ``rgb`` inside the text lines of :func:`text_line_boxes`: callers scale a
    crop so its text stands a few dozen pixels tall."""
    out = np.zeros(rgb.shape[:2], np.uint8)
    for box in text_line_boxes(rgb):
        cv2.fillPoly(out, [box.astype(np.int32)], 1)
    return out.astype(bool)
