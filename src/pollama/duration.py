"""Go-style durations and keep-alive values.

``parse_go_duration`` reads Go's ``time.ParseDuration`` grammar (``5m``, ``1h30m``, ``-1.5s``,
``300ms``, ``2us``/``2µs``, ``0``). ``keep_alive`` values are seconds as a float, with
:data:`FOREVER` (``math.inf``) for any negative input and ``0`` meaning "unload now".
"""

from __future__ import annotations

import math
import re

FOREVER = math.inf

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART_RE = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> float:
    """Seconds in ``text``; raises ``ValueError`` with Go's message when it is not a duration."""
    rest = text
    sign = 1.0
    if rest[:1] in ("+", "-"):
        sign = -1.0 if rest[0] == "-" else 1.0
        rest = rest[1:]
    if rest == "0":
        return 0.0
    if not rest:
        raise ValueError(f'time: invalid duration "{text}"')
    total, pos = 0.0, 0
    while pos < len(rest):
        match = _PART_RE.match(rest, pos)
        if match is None:
            if re.fullmatch(r"\d+\.?\d*|\.\d+", rest[pos:]):
                raise ValueError(f'time: missing unit in duration "{text}"')
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return sign * total


def normalize_keep_alive(seconds: float) -> float:
    """Map any negative value to :data:`FOREVER`; NaN is refused."""
    if math.isnan(seconds):
        raise ValueError("keep_alive must be a number")
    return FOREVER if seconds < 0 else seconds


def parse_keep_alive_env(text: str) -> float:
    """``OLLAMA_KEEP_ALIVE``: a Go duration or bare integer seconds (the env var allows both)."""
    try:
        return normalize_keep_alive(float(int(text)))
    except ValueError:
        return normalize_keep_alive(parse_go_duration(text))


def parse_keep_alive_request(value: object) -> float:
    """A request's ``keep_alive``: a JSON number of seconds, or a Go duration string.

    Unit-less strings are refused as Ollama refuses them (``time: missing unit in duration``).
    """
    if isinstance(value, bool):
        raise ValueError("keep_alive must be a number or a duration string")
    if isinstance(value, int | float):
        return normalize_keep_alive(float(value))
    if isinstance(value, str):
        return normalize_keep_alive(parse_go_duration(value))
    raise ValueError("keep_alive must be a number or a duration string")


__all__ = [
    "FOREVER",
    "normalize_keep_alive",
    "parse_go_duration",
    "parse_keep_alive_env",
    "parse_keep_alive_request",
]
