"""When was the photo taken, according to its metadata, and how sure is the time zone?

Sources, best first: EXIF ``DateTimeOriginal`` with ``OffsetTimeOriginal`` (aware), the GPS
date and time stamp (UTC), XMP ``exif:DateTimeOriginal`` / ``photoshop:DateCreated`` /
``xmp:CreateDate`` with an offset, and finally a naive EXIF time. A naive time can be compared
with the order's timeline only with a ±14 h tolerance (any time zone on Earth).

When the camera's own naive EXIF capture time exists, a zoned GPS or XMP time is used only if it
agrees with it within 14 h: GPS clocks of old cameras drift or reset, and XMP
``photoshop:DateCreated`` is the date of the *content* (an editor may set it to anything), so
a disagreeing value says nothing reliable about when this photo was taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from trueclaim.forensics.metadata import Metadata

NAIVE_TOLERANCE = timedelta(hours=14)

_EXIF_NS = "http://ns.adobe.com/exif/1.0/"
_PHOTOSHOP_NS = "http://ns.adobe.com/photoshop/1.0/"
_XMP_NS = "http://ns.adobe.com/xap/1.0/"
_EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


@dataclass(frozen=True, slots=True)
class CaptureTime:
    """A capture time; ``aware`` False means the zone is unknown (value read as UTC)."""

    value: datetime  # always tz-aware; naive sources are tagged UTC and ``aware`` is False
    aware: bool
    source: str
    raw: str


def capture_time(meta: Metadata) -> CaptureTime | None:
    """The best capture time the metadata offers, or None when it has none."""
    naive: CaptureTime | None = None
    exif = meta.exif
    if exif is not None:
        for tag, offset_tag in (
            ("DateTimeOriginal", "OffsetTimeOriginal"),
            ("DateTimeDigitized", "OffsetTimeDigitized"),
        ):
            raw = exif.text(tag)
            dt = _parse_exif(raw)
            if dt is None:
                continue
            tz = _parse_offset(exif.text(offset_tag) or "")
            if tz is not None:
                return CaptureTime(
                    dt.replace(tzinfo=tz), True, f"exif:{tag}+{offset_tag}", str(raw)
                )
            naive = naive or CaptureTime(dt.replace(tzinfo=UTC), False, f"exif:{tag}", str(raw))
        gps = _gps_time(meta)
        if gps is not None and _agrees(gps, naive):
            return gps
    for ns, name in (
        (_EXIF_NS, "DateTimeOriginal"),
        (_PHOTOSHOP_NS, "DateCreated"),
        (_XMP_NS, "CreateDate"),
    ):
        for value, _packet in meta.xmp_values(ns, name):
            try:
                dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                continue
            if dt.tzinfo is not None:
                candidate = CaptureTime(dt, True, f"xmp:{name}", value)
                if _agrees(candidate, naive):
                    return candidate
                continue
            naive = naive or CaptureTime(dt.replace(tzinfo=UTC), False, f"xmp:{name}", value)
    return naive


def _agrees(aware: CaptureTime, naive: CaptureTime | None) -> bool:
    """True when there is no naive EXIF time, or the zoned time is within 14 h of it."""
    if naive is None or not naive.source.startswith("exif:"):
        return True
    return abs(aware.value - naive.value) <= NAIVE_TOLERANCE


def _parse_exif(raw: str | None) -> datetime | None:
    m = _EXIF_TIME.match((raw or "").strip())
    if not m:
        return None
    try:
        y, mo, d, h, mi, s = (int(g) for g in m.groups())
        return datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None


def _parse_offset(raw: str) -> timezone | None:
    m = _OFFSET.match(raw.strip())
    if not m:
        return None
    sign = -1 if m.group(1) == "-" else 1
    hours, minutes = int(m.group(2)), int(m.group(3))
    if hours > 14 or minutes >= 60:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _gps_time(meta: Metadata) -> CaptureTime | None:
    gps = meta.exif.ifds.get("gps", {}) if meta.exif else {}
    date, stamp = gps.get("0x001D"), gps.get("0x0007")
    if not isinstance(date, str) or not isinstance(stamp, tuple) or len(stamp) != 3:
        return None
    m = re.match(r"^(\d{4}):(\d{2}):(\d{2})$", date.strip())
    if not m:
        return None
    try:
        h, mi, s = (float(x) for x in stamp)
        base = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=UTC)
        value = base + timedelta(hours=h, minutes=mi, seconds=s)
    except (ValueError, OverflowError):
        return None
    return CaptureTime(value, True, "exif:GPSDateStamp+GPSTimeStamp", f"{date} {stamp}")
