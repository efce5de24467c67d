"""What the scheduler hands out: leases on runner slots, and descriptions of loaded runners."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from pollama.runner import RunnerHandle, RunnerSpec


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """One runner as ``/api/ps`` shows it.

    ``expires_at`` is a wall-clock timestamp (seconds since the epoch, ``time.time`` style), never
    None: idle runners show when their keep-alive ends; runners in use or loading show now plus
    their keep-alive (as if released now); runners marked to unload show the moment they were
    marked (in the past: "Stopping..."); keep-alive forever shows ~292 years ahead, as Ollama.
    ``size`` is the runner's resident memory when its handle reports it, else the estimate.
    ``context_length`` is the per-request context, ``spec.n_ctx // spec.n_parallel``.
    ``state`` is ``"loading"``, ``"ready"`` or ``"expiring"``; ``in_use`` counts granted leases.
    """

    model_key: str
    info: Mapping[str, Any]
    spec: RunnerSpec
    expires_at: float
    size: int
    context_length: int
    state: str
    in_use: int


class Lease:
    """One request's hold on one slot of a loaded runner, from ``Scheduler.acquire``.

    ``runner`` is the runner to use; ``load_duration`` the seconds the request waited (queue,
    unload, load) before the lease was granted.
    """

    __slots__ = ("_load_duration", "_on_failed", "_on_release", "_released", "_runner")

    def __init__(
        self,
        runner: RunnerHandle,
        load_duration: float,
        *,
        on_failed: Callable[[], None],
        on_release: Callable[[], None],
    ) -> None:
        self._runner = runner
        self._load_duration = load_duration
        self._on_failed = on_failed
        self._on_release = on_release
        self._released = False

    @property
    def runner(self) -> RunnerHandle:
        return self._runner

    @property
    def load_duration(self) -> float:
        return self._load_duration

    def failed(self) -> None:
        """Report that a call on ``runner`` failed. A runner that is no longer alive is closed at
        once, and the next acquire starts a fresh one. Idempotent; safe after release."""
        self._on_failed()

    def release(self) -> None:
        """Give the slot back (``acquire``'s context manager does this); idempotent."""
        if not self._released:
            self._released = True
            self._on_release()


class LeaseContext(AbstractAsyncContextManager[Lease]):
    """Awaits ``acquire()`` on enter and releases the lease on exit, however the block ends."""

    def __init__(self, acquire: Callable[[], Awaitable[Lease]]) -> None:
        self._acquire = acquire
        self._lease: Lease | None = None
        self._entered = False

    async def __aenter__(self) -> Lease:
        if self._entered:
            raise RuntimeError("a scheduler lease can be entered only once")
        self._entered = True
        self._lease = await self._acquire()
        return self._lease

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._lease is not None:
            self._lease.release()


__all__ = ["Lease", "LeaseContext", "LoadedModel"]
