"""Internal consistency of camera metadata (ai-labels.md §5.2): what contradicts what.

Each check returns a reason with a stable code, English and Chinese text and the raw values.
Checks are deliberately conservative: camera thumbnails at the DCF size 160x120 are often
letterboxed, and old cameras omit tags, so only clear contradictions count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trueclaim.forensics.decode import decode_image
from trueclaim.forensics.errors import ForensicsError
from trueclaim.forensics.generators import editing_software
from trueclaim.forensics.metadata import Metadata

if TYPE_CHECKING:
    from trueclaim.forensics.case import Item

Reason = dict[str, Any]
_DCF_THUMBS = {(160, 120), (120, 160)}


def metadata_inconsistencies(meta: Metadata, item: Item) -> list[Reason]:
    """Every contradiction found between the metadata and the image (empty when none)."""
    exif = meta.exif
    if exif is None:
        return []
    out: list[Reason] = []
    ex = exif.ifds.get("exif", {})
    size = (item.analysis.width, item.analysis.height) if item.analysis else None
    orientation = item.analysis.orientation if item.analysis else 1
    stored = size if size is None or orientation not in (5, 6, 7, 8) else (size[1], size[0])
    px, py = ex.get("PixelXDimension"), ex.get("PixelYDimension")
    if (
        stored
        and isinstance(px, int)
        and isinstance(py, int)
        and px > 0
        and py > 0
        and {(px, py), (py, px)}.isdisjoint({stored})
        and meta.format in ("JPEG", "HEIF", "AVIF")
    ):
        out.append(
            {
                "code": "pixel-dimension-mismatch",
                "en": f"EXIF says {px}x{py} pixels but the image is {stored[0]}x{stored[1]} (resize"
                "d or cropped)",
                "zh": f"EXIF 记录 {px}x{py} 像素,实际为 {stored[0]}x{stored[1]}(被缩放或裁剪)",
                "data": {"exif": [px, py], "actual": list(stored)},
            }
        )
    if exif.thumbnail and stored:
        try:
            thumb = decode_image(exif.thumbnail)
        except ForensicsError:
            thumb = None
        if thumb is not None and (thumb.width, thumb.height) not in _DCF_THUMBS:
            ar_t = thumb.width / thumb.height
            ar_m = stored[0] / stored[1]
            if abs(ar_t - ar_m) / ar_m > 0.12 and abs(ar_t - 1 / ar_m) * ar_m > 0.12:
                out.append(
                    {
                        "code": "thumbnail-aspect-mismatch",
                        "en": f"the embedded EXIF thumbnail ({thumb.width}x{thumb.height}) has a di"
                        "fferent "
                        f"shape from the image ({stored[0]}x{stored[1]}): the image was cropped aft"
                        "er capture",
                        "zh": f"EXIF 缩略图({thumb.width}x{thumb.height})与图像({stored[0]}"
                        f"x{stored[1]})比"
                        "例不同:"
                        "拍摄后被裁剪",
                        "data": {"thumbnail": [thumb.width, thumb.height], "image": list(stored)},
                    }
                )
    dt, dto = exif.text("DateTime"), exif.text("DateTimeOriginal")
    editors = editing_software(meta)
    if dt and dto and dt != dto and editors:
        out.append(
            {
                "code": "resaved-in-editor",
                "en": f"the file was re-saved at {dt} by {editors[0][1]}, after capture at {dto}",
                "zh": f"文件拍摄于 {dto},之后于 {dt} 由 {editors[0][1]} 重新保存",
                "data": {"DateTime": dt, "DateTimeOriginal": dto, "software": editors[0][1]},
            }
        )
    make, model = exif.text("Make"), exif.text("Model")
    if make and model and not make.startswith("workflow:"):
        exposure = [
            k for k in ("ExposureTime", "FNumber", "ISOSpeedRatings", "FocalLength") if k in ex
        ]
        if not exposure and not exif.makernote_size:
            out.append(
                {
                    "code": "camera-without-exposure",
                    "en": f"it names the camera {make} {model} but has no exposure data and no make"
                    "r "
                    "note, as copied or hand-written EXIF does",
                    "zh": f"记录了相机 {make} {model},却没有曝光参数和厂商数据,像是复制或手写的 EXI"
                    "F",
                    "data": {"make": make, "model": model},
                }
            )
    return out
