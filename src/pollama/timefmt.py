"""Timestamps as Ollama writes them: Go's RFC 3339 with nanoseconds, trailing zeros trimmed."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339_nano(dt: datetime, nanos: int = 0) -> str:
    """Format ``dt`` like Go's ``time.RFC3339Nano``; ``nanos`` adds sub-microsecond digits (0-999).

    A zero offset is written ``Z``; other offsets ``+hh:mm``. A naive datetime is taken as local time.
    """
    if dt.tzinfo is None:
        dt = dt.astimezone()
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{dt.microsecond * 1000 + nanos:09d}".rstrip("0")
    if fraction:
        base += "." + fraction
    offset = dt.utcoffset()
    if not offset:
        return base + "Z"  # Go's "Z07:00" layout writes any zero offset as Z
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{base}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def utc_now() -> str:
    """The current time in UTC, as ``created_at`` fields carry it."""
    return rfc3339_nano(datetime.now(UTC))


__all__ = ["rfc3339_nano", "utc_now"]
