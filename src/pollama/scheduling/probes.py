"""The scheduler's default view of the machine: free memory, a runner's size, crash history."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable

from pollama.errors import EngineError
from pollama.runner import RunnerSpec

ESTIMATE_FACTOR = 1.2  # weights plus a fifth for the KV cache and compute buffers


def system_available_memory(meminfo: str = "/proc/meminfo") -> int:
    """``MemAvailable`` in bytes; ``sys.maxsize`` (no limit) when it cannot be read."""
    try:
        with open(meminfo, encoding="ascii", errors="replace") as lines:
            for line in lines:
                name, _, value = line.partition(":")
                if name == "MemAvailable":
                    return int(value.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return sys.maxsize


def file_size_estimate(spec: RunnerSpec) -> int:
    """The model file's size x ``ESTIMATE_FACTOR``; 0 when it is missing (the start reports it)."""
    try:
        return int(os.path.getsize(spec.model) * ESTIMATE_FACTOR)
    except OSError:
        return 0


class CrashLog:
    """Counts runner crashes per model key and imposes a back-off on repeat offenders.

    ``limit`` crashes within ``window`` seconds start a back-off of ``backoff`` seconds during
    which ``check`` refuses to start the model; the count starts over after it.
    """

    def __init__(
        self, clock: Callable[[], float], limit: int, window: float, backoff: float
    ) -> None:
        self._clock = clock
        self._limit = limit
        self._window = window
        self._backoff = backoff
        self._recent: dict[str, list[float]] = {}
        self._until: dict[str, float] = {}

    def record(self, key: str) -> None:
        now = self._clock()
        recent = [t for t in self._recent.get(key, []) if now - t < self._window] + [now]
        if len(recent) >= self._limit:
            self._recent.pop(key, None)
            self._until[key] = now + self._backoff
        else:
            self._recent[key] = recent

    def check(self, key: str) -> None:
        """Raise ``EngineError`` while ``key`` is backing off."""
        until = self._until.get(key)
        if until is None:
            return
        remaining = until - self._clock()
        if remaining <= 0:
            del self._until[key]
            return
        raise EngineError(
            f"model runner crashed {self._limit} times within {self._window:g}s; "
            f"not restarting it for another {math.ceil(remaining)}s"
        )


__all__ = ["ESTIMATE_FACTOR", "CrashLog", "file_size_estimate", "system_available_memory"]
