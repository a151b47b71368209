"""Put a reference-to-evidence homography into words: crop, scale, rotation, mirror, ..."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from trueclaim.forensics.decode import DecodedImage
from trueclaim.forensics.framing import ContentBox
from trueclaim.forensics.matching import GeometricMatch
from trueclaim.forensics.types import JSONValue


@dataclass(frozen=True, slots=True)
class TransformSummary:
    """How the evidence was made from the reference, in original-pixel terms."""

    scale: float  # evidence pixels per reference pixel
    rotation_deg: float  # counter-clockwise, after undoing a mirror
    mirrored: bool
    perspective: float  # corner deviation from the best affine map, share of the diagonal
    visible_fraction: float  # share of the reference that is inside the evidence
    screenshot: bool  # the reference sits inside a larger frame (bars, borders)

    @property
    def cropped(self) -> bool:
        return self.visible_fraction < 0.95

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "scale": round(self.scale, 4),
            "rotation_deg": round(self.rotation_deg, 2),
            "mirrored": self.mirrored,
            "perspective": round(self.perspective, 4),
            "visible_fraction": round(self.visible_fraction, 4),
            "cropped": self.cropped,
            "screenshot": self.screenshot,
        }

    def describe(self) -> tuple[str, str]:
        """Short English and Chinese lists of the operations, e.g. 'cropped, mirrored'."""
        en, zh = [], []
        if self.cropped:
            en.append(f"cropped to {self.visible_fraction * 100:.0f}% of it")
            zh.append(f"裁剪至原图的 {self.visible_fraction * 100:.0f}%")
        if abs(math.log(max(self.scale, 1e-6))) > math.log(1.05):
            en.append(f"scaled {self.scale:.2g}x")
            zh.append(f"缩放 {self.scale:.2g} 倍")
        if abs(self.rotation_deg) > 1.0:
            en.append(f"rotated {self.rotation_deg:.0f} degrees")
            zh.append(f"旋转 {self.rotation_deg:.0f} 度")
        if self.mirrored:
            en.append("mirrored")
            zh.append("镜像翻转")
        if self.perspective > 0.02:
            en.append("perspective-warped")
            zh.append("透视变形")
        if self.screenshot:
            en.append("inside a screenshot or frame")
            zh.append("置于截图或边框中")
        if not en:
            return "same framing, re-encoded", "构图相同,重新编码"
        return ", ".join(en), "、".join(zh)


def summarize_transform(
    match: GeometricMatch, reference: DecodedImage, evidence: DecodedImage, content: ContentBox
) -> TransformSummary:
    """Describe ``match.homography`` (reference analysis px -> evidence analysis px)."""
    if match.homography is None:
        raise ValueError("summarize_transform needs a fitted homography; this match has none")
    H = match.homography
    rh, rw = reference.pixels.shape[:2]
    eh, ew = evidence.pixels.shape[:2]
    c = np.array([[[rw / 2, rh / 2]], [[rw / 2 + 1, rh / 2]], [[rw / 2, rh / 2 + 1]]], np.float64)
    p = cv2.perspectiveTransform(c, H).reshape(-1, 2)
    J = np.column_stack([p[1] - p[0], p[2] - p[0]])
    det = float(np.linalg.det(J))
    mirrored = det < 0
    scale = math.sqrt(abs(det)) * (reference.scale / evidence.scale)
    Jr = J @ np.diag([-1.0, 1.0]) if mirrored else J
    rotation = -math.degrees(math.atan2(Jr[1, 0], Jr[0, 0]))  # image y points down
    corners = np.array([[0, 0], [rw, 0], [rw, rh], [0, rh]], np.float64)
    quad = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), H).reshape(-1, 2)
    A, *_ = np.linalg.lstsq(np.column_stack([corners, np.ones(4)]), quad, rcond=None)
    affine = np.column_stack([corners, np.ones(4)]) @ A
    perspective = float(np.max(np.linalg.norm(affine - quad, axis=1)) / math.hypot(ew, eh))
    box = np.array([[0, 0], [ew, 0], [ew, eh], [0, eh]], np.float32)
    q = quad.astype(np.float32)
    if _area(q) < 0:
        q = q[::-1].copy()
    inter, _ = cv2.intersectConvexConvex(q, box)
    visible = float(inter) / max(1e-6, abs(_area(q)))
    covers = float(inter) / float(ew * eh)
    screenshot = (content.framed and content.area_fraction((eh, ew)) < 0.92) or covers < 0.8
    return TransformSummary(
        scale, rotation, mirrored, perspective, min(1.0, visible), bool(screenshot)
    )


def _area(q: np.ndarray) -> float:
    x, y = q[:, 0], q[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
