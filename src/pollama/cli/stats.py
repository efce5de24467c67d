"""The ``--verbose`` metrics summary printed after an answer (spec §1.14)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pollama.duration import go_duration

LABEL_WIDTH = 22


def _number(metrics: Mapping[str, Any], key: str) -> int:
    value = metrics.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _line(label: str, value: str) -> str:
    return f"{label + ':':<{LABEL_WIDTH}}{value}\n"


def _rate(count: int, duration_ns: int) -> str:
    return f"{count / (duration_ns / 1e9):.2f} tokens/s"


def format_stats(metrics: Mapping[str, Any]) -> str:
    """The summary for a final chunk's metrics, one ``label:  value`` line per non-zero value.

    Labels are padded to 22 columns; durations (nanoseconds on the wire) are Go duration strings
    and rates have two decimals. Missing or non-integer fields count as zero. Returns ``""`` when
    every value is zero.
    """
    total = _number(metrics, "total_duration")
    load = _number(metrics, "load_duration")
    prompt_count = _number(metrics, "prompt_eval_count")
    prompt_duration = _number(metrics, "prompt_eval_duration")
    count = _number(metrics, "eval_count")
    duration = _number(metrics, "eval_duration")
    lines = []
    if total > 0:
        lines.append(_line("total duration", go_duration(total)))
    if load > 0:
        lines.append(_line("load duration", go_duration(load)))
    if prompt_count > 0:
        lines.append(_line("prompt eval count", f"{prompt_count} token(s)"))
    if prompt_duration > 0:
        lines.append(_line("prompt eval duration", go_duration(prompt_duration)))
        lines.append(_line("prompt eval rate", _rate(prompt_count, prompt_duration)))
    if count > 0:
        lines.append(_line("eval count", f"{count} token(s)"))
    if duration > 0:
        lines.append(_line("eval duration", go_duration(duration)))
        lines.append(_line("eval rate", _rate(count, duration)))
    return "".join(lines)


__all__ = ["format_stats"]
