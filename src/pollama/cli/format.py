"""Exact-output formatting for the CLI: sizes, counts, times, Go durations and tables.

Every function here reproduces a Go formatter byte for byte, because users (and Ollama's own
tests) compare the CLI's output literally:

* :func:`human_time`: Ollama's ``format.HumanTime`` (sizes and counts are in
  :mod:`pollama.humanize`);
* :func:`render_table`: tablewriter v0.0.5 configured as ``ollama list``, ``ps`` and ``show``
  configure it (no borders, left aligned, four spaces of padding);
* :func:`processor_column`, :func:`until_column`: the ``ps`` columns.

Only the standard library is imported: ``pollama list`` must start fast.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, datetime

__all__ = [
    "display_width",
    "human_time",
    "processor_column",
    "render_table",
    "until_column",
]

_SECOND = 1_000_000_000
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1


def _quo(a: int, b: int) -> int:
    """Go's integer division: truncates toward zero (Python's ``//`` floors)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _round_half_away(x: float) -> float:
    """Go's ``math.Round``: halves round away from zero."""
    t = float(math.trunc(x))
    if abs(x - t) >= 0.5:
        t += math.copysign(1.0, x)
    return t


# --- times -------------------------------------------------------------------------------------

_GO_ZERO = datetime(1, 1, 1, tzinfo=UTC)


def _is_go_zero(t: datetime) -> bool:
    """Whether ``t`` is Go's zero ``time.Time`` (0001-01-01T00:00:00Z), as JSON decodes it."""
    if t.utcoffset() is None:
        return t == _GO_ZERO.replace(tzinfo=None)
    return t == _GO_ZERO


def _since_ns(t: datetime, now: datetime) -> int:
    """``now - t`` in nanoseconds, saturated to int64 like Go's ``Time.Sub``."""
    delta = now - t
    ns = (delta.days * 86_400 + delta.seconds) * _SECOND + delta.microseconds * 1000
    return max(_INT64_MIN, min(_INT64_MAX, ns))


def _seconds(d: int) -> float:
    return float(_quo(d, _SECOND)) + float(d - _quo(d, _SECOND) * _SECOND) / 1e9


def _minutes(d: int) -> float:
    return float(_quo(d, _MINUTE)) + float(d - _quo(d, _MINUTE) * _MINUTE) / (60 * 1e9)


def _hours(d: int) -> float:
    return float(_quo(d, _HOUR)) + float(d - _quo(d, _HOUR) * _HOUR) / (60 * 60 * 1e9)


def _human_duration(d: int) -> str:
    """Ollama's ``humanDuration`` for a non-negative duration in nanoseconds."""
    seconds = int(_seconds(d))
    if seconds < 1:
        return "Less than a second"
    if seconds == 1:
        return "1 second"
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = int(_minutes(d))
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(_round_half_away(_hours(d)))
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(_hours(d)) // 24 // 365} years"


def human_time(t: datetime | None, now: datetime, zero_value: str = "Never") -> str:
    """``format.HumanTime``: ``24 hours ago``, ``4 minutes from now``, ``Forever``, ``Never``.

    ``None`` or Go's zero time gives ``zero_value``. More than 20 whole years ahead gives
    ``Forever``. Otherwise the distance is described as ``Less than a second``, ``1 second``,
    ``N seconds`` (< 1 min), ``About a minute``, ``N minutes`` (< 1 h), ``About an hour``,
    ``N hours`` (< 48 h, rounded half away from zero), ``N days`` (< 14 days), ``N weeks``
    (< 60 days), ``N months`` (30-day months, < 730 days), else ``N years`` (365-day years),
    followed by `` ago`` or `` from now``. Counts truncate except hours, which round.
    ``t`` and ``now`` must both be aware or both naive (else ``TypeError``).
    """
    if t is None or _is_go_zero(t):
        return zero_value
    delta = _since_ns(t, now)
    if _quo(_quo(int(_hours(delta)), 24), 365) < -20:
        return "Forever"
    if delta < 0:
        return _human_duration(-delta) + " from now"
    return _human_duration(delta) + " ago"


# --- ps columns ------------------------------------------------------------------------------


def processor_column(size: int, size_vram: int) -> str:
    """``ps`` PROCESSOR: ``100% CPU``, ``100% GPU``, ``Unknown`` or ``48%/52% CPU/GPU``.

    Checked in Ollama's order: no VRAM → CPU; all in VRAM → GPU; more VRAM than size, or a
    zero size → ``Unknown``; otherwise the CPU share rounded half away from zero.
    """
    if size_vram == 0:
        return "100% CPU"
    if size_vram == size:
        return "100% GPU"
    if size_vram > size or size == 0:
        return "Unknown"
    cpu = _round_half_away(float(size - size_vram) / float(size) * 100)
    return f"{int(cpu)}%/{int(100 - cpu)}% CPU/GPU"


def until_column(expires_at: datetime | None, now: datetime) -> str:
    """``ps`` UNTIL: ``Stopping...`` once ``expires_at`` has passed, else :func:`human_time`.

    Gives ``4 minutes from now`` or ``Forever`` (keep_alive < 0). As upstream, Go's zero time
    counts as passed (``Stopping...``); ``None`` (no expiry at all) gives ``Never``.
    """
    if expires_at is None:
        return "Never"
    if _since_ns(expires_at, now) > 0:
        return "Stopping..."
    return human_time(expires_at, now, "Never")


# --- tables ----------------------------------------------------------------------------------

_ANSI_RE = re.compile("\033\\[(?:[0-9]{1,3}(?:;[0-9]{1,3})*)?[m|K]")
_ZERO_WIDTH = frozenset({"Mn", "Me", "Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _char_width(c: str) -> int:
    if unicodedata.category(c) in _ZERO_WIDTH:
        return 0
    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1


def _string_width(s: str) -> int:
    if s.isascii() and s.isprintable():
        return len(s)
    return sum(_char_width(c) for c in s)


def display_width(s: str) -> int:
    """Terminal columns of ``s``: East Asian wide/fullwidth count 2, marks and controls 0.

    SGR and erase-line ANSI sequences count 0 (tablewriter's ``DisplayWidth``).
    """
    return _string_width(_ANSI_RE.sub("", s))


def _wrap_words(words: list[str], limit: int, penalty: int = 100_000) -> list[str]:
    """Minimum-raggedness line breaking (tablewriter's ``WrapWords``, one space between words)."""
    n = len(words)
    prefix = [0]
    for word in words:
        prefix.append(prefix[-1] + _string_width(word))

    def length(i: int, j: int) -> int:  # words i..j inclusive, with the spaces between
        return prefix[j + 1] - prefix[i] + (j - i)

    breaks, cost = [n] * n, [(1 << 31) - 1] * n
    for i in range(n - 1, -1, -1):
        if length(i, n - 1) <= limit:
            cost[i] = 0
            continue
        for j in range(i + 1, n):
            d = limit - length(i, j - 1)
            c = d * d + cost[j] + (penalty if length(i, j - 1) > limit else 0)
            if c < cost[i]:
                cost[i], breaks[i] = c, j
    lines, i = [], 0
    while i < n:
        lines.append(" ".join(words[i : breaks[i]]))
        i = breaks[i]
    return lines


def _cell_lines(cell: str, max_width: int) -> tuple[list[str], int]:
    """A cell's display lines and the column width it claims (tablewriter ``parseDimension``).

    The cell is reflowed into one paragraph and wrapped at min(widest line, ``max_width``);
    a word wider than that stays whole and widens the column.
    """
    raw = cell.split("\n")
    width = min(max(display_width(line) for line in raw), max_width)
    words = " ".join(raw).split(" ")
    limit = max([width, *(_string_width(w) for w in words)])
    lines = _wrap_words(words, limit)
    return lines, max([width, *(display_width(line) for line in lines)])


_NUM_OR_SPACE = frozenset("0123456789 ")


def _title(name: str) -> str:
    """tablewriter's header ``Title``: ``_`` and word dots become spaces, trimmed, upper case."""
    chars = list(name)
    for i, c in enumerate(chars):
        if c == "_":
            chars[i] = " "
        elif c == ".":
            prev_ok = i == 0 or chars[i - 1] in _NUM_OR_SPACE
            next_ok = i == len(chars) - 1 or chars[i + 1] in _NUM_OR_SPACE
            if not (prev_ok and next_ok):
                chars[i] = " "
    text = "".join(chars).strip()
    if not text and name:
        text = " "
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in text)


def _pad_right(s: str, width: int) -> str:
    return s + " " * max(width - display_width(s), 0)


def render_table(header: list[str] | None, rows: list[list[str]], *, max_width: int = 30) -> str:
    """Render rows as Ollama's borderless tablewriter tables; every line ends with ``\\n``.

    Column width is the widest display width in the column, header included. Body cells print
    as ``cell.ljust(width) + "    "`` for every column; header cells likewise, except the last,
    which is followed by a single space. Header text goes through tablewriter's ``Title``
    (upper case; ``_`` becomes a space). Cells are reflowed and wrapped at ``max_width``
    display columns (``show`` uses 100 for System/License); continuation lines of a wrapped
    row show ``"  "`` in the columns that have fewer lines. ``None`` or ``[]`` prints no header.
    """
    widths: dict[int, int] = {}

    def measure(cells: list[str]) -> list[list[str]]:
        out = []
        for col, cell in enumerate(cells):
            lines, width = _cell_lines(cell, max_width)
            widths[col] = max(widths.get(col, 0), width)
            out.append(lines)
        return out

    head = measure(header or [])
    body = [measure(row) for row in rows]
    out: list[str] = []
    if head:
        last = len(widths) - 1
        for x in range(max(len(lines) for lines in head)):
            for col in range(last + 1):
                lines = head[col] if col < len(head) else []
                text = _title(lines[x] if x < len(lines) else "")
                out.append(_pad_right(text, widths[col]) + (" " if col == last else "    "))
            out.append("\n")
    for cells in body:
        height = max((len(lines) for lines in cells), default=0)
        for x in range(height):
            for col, lines in enumerate(cells):
                text = lines[x] if x < len(lines) else "  "
                out.append(_pad_right(text, widths[col]) + "    ")
            out.append("\n")
    return "".join(out)
