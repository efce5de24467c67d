"""One model key's runner as the scheduler tracks it: state, leases, waiters and timers."""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pollama.errors import PollamaError
from pollama.runner import RunnerHandle, RunnerSpec
from pollama.scheduling.lease import LoadedModel

FOREVER_SECONDS = (2**63 - 1) / 1e9  # Go's longest time.Duration: how far ahead "forever" lies


class State(enum.Enum):
    """Where an entry is in its life; only READY entries are handed out."""

    LOADING = "loading"  # start_runner is running
    READY = "ready"  # serving; idle ones run a keep-alive timer
    EXPIRING = "expiring"  # no new leases; closes when the last lease comes back
    CLOSING = "closing"  # runner.close() is running; removed when it returns


@dataclass(eq=False, slots=True)
class Entry:
    """Mutable bookkeeping for one runner; owned and mutated only by the scheduler.

    ``refcount`` counts granted leases. ``slot_waiters`` are the futures of queued requests in
    arrival order: a future resolves True when a slot is handed to its request (the refcount
    already counts it) and False when the entry can no longer serve it. ``deadline`` is the clock
    time the idle keep-alive ends (``math.inf`` for never, None while in use or loading);
    ``expired_at`` the wall-clock time the entry was marked to unload. ``settled`` is set when
    the load ends either way, ``closed`` when the entry has left the scheduler.
    """

    key: str
    spec: RunnerSpec
    info: Mapping[str, Any]
    keep_alive: float
    estimate: int
    state: State = State.LOADING
    runner: RunnerHandle | None = None
    error: PollamaError | None = None
    refcount: int = 0
    deadline: float | None = None
    expired_at: float | None = None
    crashed: bool = False
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = None
    slot_waiters: deque[asyncio.Future[bool]] = field(default_factory=deque)
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def take_slot(self) -> None:
        """Count one more lease; an idle runner stops its keep-alive timer."""
        self.refcount += 1
        self.cancel_timer()
        self.deadline = None

    def hand_over_slot(self) -> bool:
        """Pass a returned slot to the longest-waiting request; False when none waits."""
        waiter = self._next_waiter()
        if waiter is None:
            return False
        waiter.set_result(True)
        return True

    def grant_waiting(self) -> None:
        """Hand out free slots to waiting requests, oldest first."""
        while self.refcount < self.spec.n_parallel:
            waiter = self._next_waiter()
            if waiter is None:
                return
            waiter.set_result(True)
            self.take_slot()

    def wake_waiters(self) -> None:
        """Tell every waiting request that this entry will not serve it."""
        while self.slot_waiters:
            waiter = self.slot_waiters.popleft()
            if not waiter.done():
                waiter.set_result(False)

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def size(self) -> int:
        """Resident bytes when the runner reports them (``memory_rss``), else the estimate."""
        probe = getattr(self.runner, "memory_rss", None)
        if callable(probe):
            rss = probe()
            if isinstance(rss, int) and rss > 0:
                return rss
        return self.estimate

    def describe(self, now: float, wall: float) -> LoadedModel:
        """The ``/api/ps`` view at clock time ``now`` and wall time ``wall`` (see LoadedModel)."""
        if self.state is State.EXPIRING and self.expired_at is not None:
            expires_at = self.expired_at
        elif self.deadline is not None:
            expires_at = wall + min(self.deadline - now, FOREVER_SECONDS)
        else:
            expires_at = wall + min(self.keep_alive, FOREVER_SECONDS)
        return LoadedModel(
            model_key=self.key,
            info=self.info,
            spec=self.spec,
            expires_at=expires_at,
            size=self.size(),
            context_length=self.spec.n_ctx // self.spec.n_parallel,
            state=self.state.value,
            in_use=self.refcount,
        )

    def _next_waiter(self) -> asyncio.Future[bool] | None:
        while self.slot_waiters:
            waiter = self.slot_waiters.popleft()
            if not waiter.done():  # cancelled waiters may linger until they clean up
                return waiter
        return None


__all__ = ["FOREVER_SECONDS", "Entry", "State"]
