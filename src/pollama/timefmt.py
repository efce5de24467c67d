"""Timestamps as Ollama writes them: Go's RFC 3339 with nanoseconds, trailing zeros trimmed."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339_nano(dt: datetime, extra_ns: int = 0) -> str:
    """Go's ``RFC3339Nano`` layout: ``2025-05-10T08:06:48.639712648-07:00``, ``...Z`` for UTC.

    ``extra_ns`` (0..999) adds the nanoseconds below ``dt``'s microseconds. The fraction keeps
    up to 9 digits with trailing zeros (and a bare dot) trimmed. A zero offset prints ``Z``;
    other offsets print ``±hh:mm`` (seconds of the offset are dropped, as Go does).
    Raises ``ValueError`` for a naive ``dt`` or an out-of-range ``extra_ns``.
    """
    offset = dt.utcoffset()
    if offset is None:
        raise ValueError("rfc3339_nano needs a timezone-aware datetime")
    if not 0 <= extra_ns < 1000:
        raise ValueError(f"extra_ns must be in [0, 1000), got {extra_ns}")
    text = (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    )
    digits = f"{dt.microsecond * 1000 + extra_ns:09d}".rstrip("0")
    if digits:
        text += "." + digits
    offset_s = offset.days * 86_400 + offset.seconds
    if offset_s == 0:
        return text + "Z"
    zone = int(offset_s / 60)  # truncates toward zero, as Go does
    sign = "-" if zone < 0 else "+"
    zone = abs(zone)
    return f"{text}{sign}{zone // 60:02d}:{zone % 60:02d}"


def utc_now() -> str:
    """The current time in UTC, as ``created_at`` fields carry it."""
    return rfc3339_nano(datetime.now(UTC))


__all__ = ["rfc3339_nano", "utc_now"]
