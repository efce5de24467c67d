"""Splitting a blob into parts, and the JSON state of one part (pure; no I/O).

A blob of ``total`` bytes is cut into parts of ``total // count`` bytes clamped to
``[min_size, max_size]`` (Ollama: 16 parts of 100 MB to 1000 MB, decimal); the last part takes the
remainder. Each part's progress is saved as ``{"N": n, "Offset": o, "Size": s, "Completed": c}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

MIN_PART_SIZE = 100_000_000
MAX_PART_SIZE = 1_000_000_000
PART_COUNT = 16


@dataclass(slots=True)
class Part:
    """Bytes ``offset .. offset+size-1`` of a blob, of which the first ``completed`` are on disk.

    Mutable: one download worker owns a part and advances ``completed``.
    """

    n: int
    offset: int
    size: int
    completed: int = 0

    @property
    def end(self) -> int:
        """One past the last byte."""
        return self.offset + self.size

    @property
    def remaining(self) -> int:
        return self.size - self.completed

    def to_json(self) -> bytes:
        obj = {"N": self.n, "Offset": self.offset, "Size": self.size, "Completed": self.completed}
        return json.dumps(obj).encode()


def part_size(total: int, *, min_size: int, max_size: int, count: int) -> int:
    """The size of every part but the last."""
    return max(min(total // count, max_size), min_size, 1)


def plan_parts(
    total: int,
    *,
    min_size: int = MIN_PART_SIZE,
    max_size: int = MAX_PART_SIZE,
    count: int = PART_COUNT,
) -> list[Part]:
    """The parts of a ``total``-byte blob, numbered from 0, covering it exactly."""
    if total <= 0:
        raise ValueError("a blob to download has at least one byte")
    size = part_size(total, min_size=min_size, max_size=max_size, count=count)
    return [
        Part(n, offset, min(size, total - offset)) for n, offset in enumerate(range(0, total, size))
    ]


def parse_state(n: int, raw: bytes) -> Part | None:
    """The part saved as ``raw`` in state file ``n``, or None when it is not a valid state.

    A ``Completed`` that is not a plain integer (older writers) counts as 0: that part starts over.
    """
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    offset, size, completed = obj.get("Offset"), obj.get("Size"), obj.get("Completed")
    if obj.get("N") != n or not _natural(offset) or not _natural(size) or size == 0:
        return None
    done = completed if _natural(completed) and completed <= size else 0
    return Part(n, offset, size, done)


def tiles(parts: Sequence[Part], total: int) -> bool:
    """Whether ``parts``, numbered 0..k-1 in order, cover ``[0, total)`` without gaps or overlap."""
    position = 0
    for index, part in enumerate(parts):
        if part.n != index or part.offset != position or part.size <= 0:
            return False
        if not 0 <= part.completed <= part.size:
            return False
        position = part.end
    return position == total and bool(parts)


def contiguous_prefix(parts: Sequence[Part]) -> int:
    """How many bytes from the start of the blob are on disk without a gap (parts in order)."""
    for part in parts:
        if part.remaining:
            return part.offset + part.completed
    return parts[-1].end if parts else 0


def _natural(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


__all__ = [
    "MAX_PART_SIZE",
    "MIN_PART_SIZE",
    "PART_COUNT",
    "Part",
    "contiguous_prefix",
    "parse_state",
    "part_size",
    "plan_parts",
    "tiles",
]
