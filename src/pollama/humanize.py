"""Sizes and counts the way Ollama prints them (its ``format`` package), standard library only."""

from __future__ import annotations

import math

_DECIMAL_UNITS = ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "KB"))
_BINARY_UNITS = ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"))


def human_bytes(n: int) -> str:
    """``format.HumanBytes``: decimal units, ``999 B``, ``1 KB``, ``1.5 KB``, ``42 GB``, ``2.0 TB``.

    Below 1000 the byte count is printed as is. Otherwise the value in the largest unit
    (KB..TB) it reaches is printed as an integer (truncated) when it is ≥ 10 or whole, and
    with one decimal (``%.1f``, so 1999999999999 gives ``2.0 TB``) when it is fractional.
    """
    for size, unit in _DECIMAL_UNITS:
        if n >= size:
            value = float(n) / size
            if value >= 10 or value == math.trunc(value):
                return f"{int(value)} {unit}"
            return f"{value:.1f} {unit}"
    return f"{n} B"


def human_bytes2(n: int) -> str:
    """``format.HumanBytes2``: binary units with one decimal (``1.5 GiB``, ``1024.0 KiB``)."""
    for size, unit in _BINARY_UNITS:
        if n >= size:
            return f"{float(n) / size:.1f} {unit}"
    return f"{n} B"


def human_number(n: int) -> str:
    """``format.HumanNumber``: ``7B``, ``7.6B``, ``125M``, ``134.52M``, ``500.50M``, ``12K``.

    Billions get one decimal and millions two, unless the value is whole, in which case no
    decimals are printed; zeros inside the decimals are kept (``500.50M``). Thousands are
    rounded to an integer (``%.0fK``, half to even as Go does).
    """
    if n >= 10**9:
        return _whole_or_fixed(float(n) / 10**9, 1, "B")
    if n >= 10**6:
        return _whole_or_fixed(float(n) / 10**6, 2, "M")
    if n >= 10**3:
        return f"{float(n) / 10**3:.0f}K"
    return str(n)


def _whole_or_fixed(value: float, decimals: int, suffix: str) -> str:
    if value == math.floor(value):
        return f"{value:.0f}{suffix}"
    return f"{value:.{decimals}f}{suffix}"


__all__ = ["human_bytes", "human_bytes2", "human_number"]
