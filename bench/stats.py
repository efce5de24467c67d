"""Small numeric helpers: medians and formatting for the report tables."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    """The median of ``values``; NaN when empty."""
    return statistics.median(values) if values else float("nan")


def ratio(value: float, reference: float) -> float:
    """``value / reference``; NaN when the reference is zero."""
    return value / reference if reference else float("nan")


def fmt(value: float, digits: int = 1) -> str:
    """A number with ``digits`` decimals, ``n/a`` for NaN."""
    if value != value:  # NaN
        return "n/a"
    return f"{value:,.{digits}f}"


def fmt_spread(values: Sequence[float], digits: int = 1) -> str:
    """``median (min-max)`` of several runs."""
    if not values:
        return "n/a"
    return f"{fmt(median(values), digits)} ({fmt(min(values), digits)}-{fmt(max(values), digits)})"


__all__ = ["fmt", "fmt_spread", "median", "ratio"]
