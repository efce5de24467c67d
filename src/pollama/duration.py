"""Go-style durations and keep-alive values.

:func:`parse_go_duration` and :func:`go_duration` are Go's ``time.ParseDuration`` (with Go's
error messages) and ``time.Duration.String``. ``keep_alive`` values are seconds as a float, with
:data:`FOREVER` (``math.inf``) for any negative input and ``0`` meaning "unload now".
"""

from __future__ import annotations

import math

FOREVER = math.inf

_SECOND = 1_000_000_000
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE
_INT64_MAX = (1 << 63) - 1


def _fixed_point(value: int, prec: int) -> str:
    """``value / 10**prec`` with the fraction's trailing zeros (and a bare dot) dropped."""
    whole, frac = divmod(value, 10**prec)
    digits = f"{frac:0{prec}d}".rstrip("0") if prec else ""
    return f"{whole}.{digits}" if digits else str(whole)


def go_duration(ns: int) -> str:
    """Go's ``time.Duration.String``: ``0s``, ``850ns``, ``1.5µs``, ``130.079ms``, ``1h0m0s``.

    Below one second the largest of ns/µs (U+00B5)/ms that keeps a non-zero integer part is
    used; from one second up the form is ``[Nh][Nm]N[.fff]s`` with hours and minutes only
    when non-zero above them. Fractions carry no trailing zeros.
    """
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < 1000:
        return f"{sign}{u}ns"
    if u < 1_000_000:
        return f"{sign}{_fixed_point(u, 3)}µs"
    if u < _SECOND:
        return f"{sign}{_fixed_point(u, 6)}ms"
    seconds, frac = divmod(u, _SECOND)
    text = f"{_fixed_point((seconds % 60) * _SECOND + frac, 9)}s"
    minutes = seconds // 60
    if minutes:
        text = f"{minutes % 60}m{text}"
        if minutes // 60:
            text = f"{minutes // 60}h{text}"
    return sign + text


_UNITS_NS = {
    "ns": 1,
    "us": 1000,
    "µs": 1000,  # U+00B5 micro sign
    "μs": 1000,  # U+03BC Greek mu
    "ms": 1_000_000,
    "s": _SECOND,
    "m": _MINUTE,
    "h": _HOUR,
}


def _go_quote(s: str) -> str:
    """Go's ``time`` package quoting: non-ASCII and control characters as ``\\xNN`` bytes."""
    out = ['"']
    for c in s:
        if c < " " or ord(c) >= 0x80:
            out.extend(f"\\x{b:02x}" for b in c.encode("utf-8", "surrogatepass"))
        else:
            out.append("\\" + c if c in '"\\' else c)
    out.append('"')
    return "".join(out)


def _leading_digits(s: str, i: int) -> int:
    """Index just past the run of ASCII digits starting at ``i``."""
    while i < len(s) and "0" <= s[i] <= "9":
        i += 1
    return i


def _leading_int(digits: str) -> int | None:
    """Go's ``leadingInt`` value, or ``None`` when it overflows int64."""
    x = 0
    for c in digits:
        if x > (1 << 63) // 10:
            return None
        x = x * 10 + ord(c) - 48
        if x > 1 << 63:
            return None
    return x


def _leading_fraction(digits: str) -> tuple[int, float]:
    """Go's ``leadingFraction``: digits up to int64 precision, and their scale."""
    x, scale = 0, 1.0
    for c in digits:
        y = x * 10 + ord(c) - 48
        if x > ((1 << 63) - 1) // 10 or y > 1 << 63:
            break  # later digits add no precision
        x, scale = y, scale * 10
    return x, scale


def parse_go_duration_ns(s: str) -> int:
    """Go's ``time.ParseDuration``, in integer nanoseconds.

    Grammar: ``[-+]?0`` or ``[-+]?(NUMBER UNIT)+`` where NUMBER is ``[0-9]*(\\.[0-9]*)?`` with at
    least one digit and UNIT is the run of characters up to the next digit or dot, one of
    ``ns``, ``us``/``µs``/``μs``, ``ms``, ``s``, ``m``, ``h``; e.g. ``5m``, ``1h30m``, ``-1.5h``,
    ``.5s``, ``1.s``.
    Raises ``ValueError`` with Go's message: ``time: invalid duration "x"``,
    ``time: missing unit in duration "300"`` or ``time: unknown unit "d" in duration "1d"``;
    results outside int64 are invalid durations.
    """
    invalid = ValueError(f"time: invalid duration {_go_quote(s)}")
    rest, neg = s, False
    if rest[:1] in ("-", "+"):
        neg, rest = rest[0] == "-", rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise invalid
    total, i = 0, 0
    while i < len(rest):
        if not (rest[i] == "." or "0" <= rest[i] <= "9"):
            raise invalid
        end = _leading_digits(rest, i)
        whole = _leading_int(rest[i:end])
        if whole is None:
            raise invalid
        has_int, has_frac, frac, scale = end > i, False, 0, 1.0
        i = end
        if i < len(rest) and rest[i] == ".":
            end = _leading_digits(rest, i + 1)
            frac, scale = _leading_fraction(rest[i + 1 : end])
            has_frac, i = end > i + 1, end
        if not has_int and not has_frac:
            raise invalid
        end = i
        while end < len(rest) and not (rest[end] == "." or "0" <= rest[end] <= "9"):
            end += 1
        if end == i:
            raise ValueError(f"time: missing unit in duration {_go_quote(s)}")
        unit_name, i = rest[i:end], end
        unit = _UNITS_NS.get(unit_name)
        if unit is None:
            raise ValueError(
                f"time: unknown unit {_go_quote(unit_name)} in duration {_go_quote(s)}"
            )
        if whole > (1 << 63) // unit:
            raise invalid
        value = whole * unit
        if frac > 0:
            # float64 as in Go: nanosecond-accurate for fractions of the largest unit
            value += int(float(frac) * (float(unit) / scale))
        total += value
        if value > 1 << 63 or total > 1 << 63:
            raise invalid
    if neg:
        return -total
    if total > _INT64_MAX:
        raise invalid
    return total


def parse_go_duration(s: str) -> float:
    """Go's ``time.ParseDuration`` in seconds (see :func:`parse_go_duration_ns`)."""
    return parse_go_duration_ns(s) / 1e9


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
    "go_duration",
    "parse_go_duration",
    "parse_go_duration_ns",
    "parse_keep_alive_env",
    "parse_keep_alive_request",
]
