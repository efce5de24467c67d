"""When and how long to wait before trying a registry request again.

Transient failures are 429, 500, 502, 503 and 504 answers and dropped connections. Waits grow as
``base_delay * 2**(n-1)`` up to ``max_delay``; a ``Retry-After`` header (seconds or an HTTP date)
replaces the computed wait, but never beyond ``max_retry_after``. Failures to connect at all get
fewer tries (``connect_attempts``) so that a machine with no route to the registry finds out fast
and can use another model source.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry limits and the injected clock and sleep they use."""

    attempts: int = 6
    connect_attempts: int = 2
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def delay(self, failures: int, retry_after: str | None = None) -> float:
        """Seconds to wait after the ``failures``-th consecutive failure (1-based)."""
        if retry_after is not None:
            seconds = parse_retry_after(retry_after, self.clock())
            if seconds is not None:
                return min(seconds, self.max_retry_after)
        return min(self.base_delay * 2.0 ** max(failures - 1, 0), self.max_delay)

    def wait(self, failures: int, retry_after: str | None = None) -> None:
        self.sleep(self.delay(failures, retry_after))


def parse_retry_after(value: str, now: float) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date; None if neither."""
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - now, 0.0)


__all__ = ["RETRY_STATUSES", "RetryPolicy", "parse_retry_after"]
