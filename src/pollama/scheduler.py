"""Which runners are loaded, who may use them, and for how long (spec §8).

A ``Scheduler`` owns every runner of one server. A request holds a *lease* on the runner of its
model for as long as it needs it::

    async with scheduler.acquire(key, spec, keep_alive=None, info=ps_info) as lease:
        async for event in lease.runner.completion(body): ...

There is at most one runner per model key. It starts on first use (concurrent requests share that
one start), serves at most ``spec.n_parallel`` leases at once, and is closed when its keep-alive
runs out, when it is evicted to make room, when its load options change, when it dies, or at
shutdown. The life of a runner entry::

    LOADING ─started─▶ READY ─unload / new spec─▶ EXPIRING ─last lease back─▶ CLOSING ─▶ removed
       │                 └─idle past keep-alive / evicted / dead──────────────▶ CLOSING
       └─start failed─▶ removed (its waiters get the error)

Only READY runners are handed out. A request that has to wait (for a load, a slot, an unload or
an eviction) counts against ``max_queue``; one more is refused at once with ``ServerBusy``. Every
wait may be cancelled by the caller: the request leaves the queue and keeps nothing. Runners are
started and closed by tasks the scheduler owns, so cancelling a request never cancels a load that
others wait for, and a runner whose requester left is kept with its keep-alive like any other.

Concurrency: one event loop. State changes only in synchronous sections (never an ``await``
between reading and writing it); the async entry points take one lock around their decision
step, which ``ready`` uses as a round trip. No lock is held while a runner starts or closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from pollama.errors import EngineError, PollamaError, ServerBusy
from pollama.humanize import human_bytes2
from pollama.runner import RunnerHandle, RunnerSpec
from pollama.scheduling.entry import FOREVER_SECONDS, Entry, State
from pollama.scheduling.lease import Lease, LeaseContext, LoadedModel
from pollama.scheduling.probes import CrashLog, file_size_estimate, system_available_memory

SHUTTING_DOWN = "the server is shutting down"

_log = logging.getLogger("pollama.scheduler")


@dataclass(slots=True)
class _Ticket:
    """One acquire call: what it asks for, and whether it holds a place in the queue."""

    key: str
    spec: RunnerSpec
    keep_alive: float | None
    info: Mapping[str, Any]
    admitted: bool = False


@dataclass(frozen=True, slots=True)
class _SlotWait:
    entry: Entry


@dataclass(frozen=True, slots=True)
class _EventWait:
    event: asyncio.Event


class Scheduler:
    """Loads runners on demand, shares them between requests, and unloads them (spec §8).

    ``start_runner(spec)`` starts a runner and raises ``EngineError`` when it cannot; it must bound
    its own duration. ``max_loaded`` (0 or less means 3) caps the runners alive at once;
    ``max_queue`` caps the waiting requests. ``default_keep_alive`` is in seconds (0 = unload when
    idle, negative or ``math.inf`` = never). ``available_memory()`` returns free bytes (default:
    ``MemAvailable``); ``estimate_memory(spec)`` the bytes a runner needs (default: model file
    size x 1.2). ``clock`` (monotonic seconds) times waits, expiry deadlines and crash windows;
    ``wall_clock`` dates ``expires_at``; expiry timers themselves run on the event loop's clock.
    After ``crash_limit`` runner deaths or failed starts of one model within ``crash_window``
    seconds, starting it is refused for ``crash_backoff`` seconds. A close that takes longer than
    ``close_timeout`` seconds is abandoned (logged) so that it cannot wedge the model's key.
    Not thread-safe: call every method from the event loop that serves the requests.
    """

    def __init__(
        self,
        *,
        start_runner: Callable[[RunnerSpec], Awaitable[RunnerHandle]],
        max_loaded: int = 3,
        max_queue: int = 512,
        default_keep_alive: float = 300.0,
        available_memory: Callable[[], int] | None = None,
        estimate_memory: Callable[[RunnerSpec], int] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        crash_limit: int = 3,
        crash_window: float = 60.0,
        crash_backoff: float = 30.0,
        close_timeout: float = 30.0,
    ) -> None:
        if max_queue < 0:
            raise ValueError("max_queue must not be negative")
        self._start_runner = start_runner
        self._max_loaded = max_loaded if max_loaded > 0 else 3
        self._max_queue = max_queue
        self._default_keep_alive = _keep_alive(default_keep_alive)
        self._available_memory = available_memory or system_available_memory
        self._estimate_memory = estimate_memory or file_size_estimate
        self._clock = clock
        self._wall_clock = wall_clock
        self._crashes = CrashLog(clock, crash_limit, crash_window, crash_backoff)
        self._close_timeout = close_timeout
        self._entries: dict[str, Entry] = {}
        self._queued = 0
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._shut = False

    @property
    def queued(self) -> int:
        """How many requests are waiting right now (the count ``max_queue`` bounds)."""
        return self._queued

    def acquire(
        self,
        model_key: str,
        spec: RunnerSpec,
        *,
        keep_alive: float | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> AbstractAsyncContextManager[Lease]:
        """A context manager that waits for a slot on ``model_key``'s runner and releases it.

        Entering starts (or replaces, when ``spec`` differs from the loaded runner's) the runner
        as needed and returns a ``Lease``. ``keep_alive`` (seconds; None = keep the model's, 0 =
        unload when idle, negative or inf = never) becomes the runner's keep-alive when the lease
        is granted. ``info`` is shown by ``loaded()``; the request that starts a runner sets it.
        Entering raises ``ServerBusy`` when the request would have to wait and the queue is full,
        ``EngineError`` when the runner cannot start (or is backing off after crashes, or would
        not fit in memory even alone) or the scheduler is shut down, and ``CancelledError`` when
        cancelled, in which case it holds nothing.
        """
        ticket = _Ticket(model_key, spec, _optional_keep_alive(keep_alive), info or {})
        return LeaseContext(lambda: self._acquire(ticket))

    async def unload(self, model_key: str) -> bool:
        """Unload ``model_key`` as soon as its in-flight leases end; False when it is not loaded.

        A READY runner is marked EXPIRING (never handed out again; queued requests will start a
        fresh one). A runner still loading gets keep-alive 0: its waiters are served, then it goes.
        """
        async with self._lock:
            entry = self._entries.get(model_key)
            if entry is None or entry.state is State.CLOSING:
                return False
            if entry.state is State.LOADING:
                entry.keep_alive = 0.0
            else:
                self._expire(entry)
            return True

    def loaded(self) -> list[LoadedModel]:
        """Every runner not being closed, longest-lived first (``expires_at`` descending)."""
        now, wall = self._clock(), self._wall_clock()
        models = [
            entry.describe(now, wall)
            for entry in list(self._entries.values())
            if entry.state is not State.CLOSING
        ]
        models.sort(key=lambda model: model.expires_at, reverse=True)
        return models

    async def shutdown(self) -> None:
        """Close every runner and cancel every load; returns when all are gone.

        Waiting requests fail with ``EngineError``, and so does every later ``acquire``.
        """
        async with self._lock:
            self._shut = True
            for entry in list(self._entries.values()):
                if entry.state is State.LOADING and entry.task is not None:
                    entry.task.cancel()
                else:
                    self._begin_close(entry)
            self._notify()
        while self._tasks:  # a load that finishes during shutdown spawns its own close
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def ready(self, timeout: float = 5.0) -> bool:
        """True when a round trip through the scheduler's lock succeeds within ``timeout`` seconds
        and it is not shut down: the readiness check that proves it is not wedged."""
        if self._shut:
            return False
        try:
            async with asyncio.timeout(timeout), self._lock:
                return not self._shut
        except TimeoutError:
            return False

    # -- acquiring ---------------------------------------------------------------------------

    async def _acquire(self, ticket: _Ticket) -> Lease:
        started = self._clock()
        try:
            while True:
                async with self._lock:
                    step = self._next_step(ticket)
                if isinstance(step, Entry):
                    return self._lease(step, ticket, started)
                if isinstance(step, _SlotWait):
                    if await self._wait_for_slot(step.entry):
                        return self._lease(step.entry, ticket, started)
                else:
                    await step.event.wait()
        finally:
            if ticket.admitted:
                self._queued -= 1

    def _next_step(self, ticket: _Ticket) -> Entry | _SlotWait | _EventWait:
        """Take a slot (returning its entry) or say what to wait for. Admission to the queue
        happens before any side effect, so a refused request changes nothing."""
        if self._shut:
            raise EngineError(SHUTTING_DOWN)
        entry = self._entries.get(ticket.key)
        if entry is None:
            return self._plan_load(ticket)
        if entry.state is State.READY:
            self._check_alive(entry)
        if entry.state is State.READY and entry.spec == ticket.spec:
            if entry.refcount < entry.spec.n_parallel and not entry.slot_waiters:
                entry.take_slot()
                return entry
            self._admit(ticket)
            return _SlotWait(entry)
        self._admit(ticket)
        if entry.state is State.LOADING:
            return _SlotWait(entry) if entry.spec == ticket.spec else _EventWait(entry.settled)
        if entry.state is State.READY:  # load options changed: drain it, then load anew
            self._expire(entry)
        return _EventWait(entry.closed)

    def _plan_load(self, ticket: _Ticket) -> _SlotWait | _EventWait:
        self._crashes.check(ticket.key)
        if any(e.state in (State.LOADING, State.CLOSING) for e in self._entries.values()):
            self._admit(ticket)  # one load or unload at a time keeps memory figures honest
            return _EventWait(self._changed)
        if len(self._entries) >= self._max_loaded:
            self._admit(ticket)
            return self._evict_or_wait()
        need = self._estimate(ticket.spec)
        free = self._available_memory()
        if need > free:
            reachable = free + sum(e.size() for e in self._entries.values())
            if need > reachable:
                raise EngineError(
                    f"model requires more system memory ({human_bytes2(need)}) "
                    f"than is available ({human_bytes2(reachable)})"
                )
            self._admit(ticket)
            return self._evict_or_wait()
        self._admit(ticket)
        entry = Entry(
            key=ticket.key,
            spec=ticket.spec,
            info=ticket.info,
            keep_alive=self._keep_alive_for(ticket),
            estimate=need,
        )
        self._entries[entry.key] = entry
        entry.task = self._spawn(self._load(entry))
        return _SlotWait(entry)

    def _estimate(self, spec: RunnerSpec) -> int:
        try:
            return self._estimate_memory(spec)
        except PollamaError:
            raise
        except Exception as err:  # e.g. an unreadable model file: the load could not work either
            raise EngineError(f"cannot estimate the memory the model needs: {err}") from err

    def _admit(self, ticket: _Ticket) -> None:
        if ticket.admitted:
            return
        if self._queued >= self._max_queue:
            raise ServerBusy()
        self._queued += 1
        ticket.admitted = True

    def _evict_or_wait(self) -> _EventWait:
        """Close the idle runner that would expire soonest, or wait for any runner to go idle."""
        idle = [e for e in self._entries.values() if e.state is State.READY and e.refcount == 0]
        if not idle:
            return _EventWait(self._changed)
        victim = min(idle, key=lambda e: (_deadline(e), e.key))
        _log.info("unloading %s to make room", victim.key)
        self._begin_close(victim)
        return _EventWait(victim.closed)

    async def _wait_for_slot(self, entry: Entry) -> bool:
        """True once a slot was handed over; False when ``entry`` stopped being usable (raises
        its start error when it failed to load)."""
        slot: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        entry.slot_waiters.append(slot)
        try:
            granted = await slot
        except asyncio.CancelledError:
            if slot.done() and not slot.cancelled() and slot.result():
                self._release(entry)  # the slot arrived as we were cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    entry.slot_waiters.remove(slot)
            raise
        if not granted and entry.error is not None:
            raise copy.copy(entry.error)  # one copy per waiter: tracebacks are per raise
        return granted

    def _lease(self, entry: Entry, ticket: _Ticket, started: float) -> Lease:
        if ticket.keep_alive is not None:
            entry.keep_alive = ticket.keep_alive  # a request's keep-alive sticks to the runner
        if entry.runner is None:
            raise EngineError("internal error: a lease on a runner that is not loaded")
        return Lease(
            entry.runner,
            self._clock() - started,
            on_failed=lambda: self._check_alive(entry),
            on_release=lambda: self._release(entry),
        )

    def _keep_alive_for(self, ticket: _Ticket) -> float:
        return self._default_keep_alive if ticket.keep_alive is None else ticket.keep_alive

    # -- releasing and expiring ----------------------------------------------------------------

    def _release(self, entry: Entry) -> None:
        """Give one slot back: to the next waiter if the runner is still usable, else to idle."""
        if entry.state in (State.READY, State.EXPIRING):
            self._check_alive(entry)
        if entry.state is State.READY and entry.hand_over_slot():
            return
        entry.refcount -= 1
        if entry.refcount == 0:
            self._became_idle(entry)

    def _became_idle(self, entry: Entry) -> None:
        self._notify()
        if entry.state is State.CLOSING:
            return
        if entry.state is State.EXPIRING or entry.keep_alive <= 0:
            self._begin_close(entry)
            return
        if math.isinf(entry.keep_alive):
            entry.deadline = math.inf
            return
        entry.deadline = self._clock() + entry.keep_alive
        loop = asyncio.get_running_loop()
        entry.timer = loop.call_later(entry.keep_alive, self._on_timer, entry)

    def _on_timer(self, entry: Entry) -> None:
        entry.timer = None
        if entry.state is State.READY and entry.refcount == 0:
            _log.debug("keep-alive of %s is over", entry.key)
            self._begin_close(entry)

    def _expire(self, entry: Entry) -> None:
        """Stop handing ``entry`` out; close it once its leases are back."""
        if entry.state is not State.READY:
            return
        entry.state = State.EXPIRING
        entry.expired_at = self._wall_clock()
        entry.wake_waiters()
        if entry.refcount == 0:
            self._begin_close(entry)

    def _check_alive(self, entry: Entry) -> None:
        """Close a runner whose process has died (once, counting it as a crash)."""
        if entry.runner is None or entry.runner.alive or entry.crashed:
            return
        if entry.state in (State.READY, State.EXPIRING):
            entry.crashed = True
            _log.warning("the runner of %s stopped unexpectedly", entry.key)
            self._crashes.record(entry.key)
            self._begin_close(entry)

    def _begin_close(self, entry: Entry) -> None:
        if entry.state is State.CLOSING:
            return
        entry.state = State.CLOSING
        if entry.expired_at is None:
            entry.expired_at = self._wall_clock()
        entry.cancel_timer()
        entry.wake_waiters()
        self._spawn(self._close(entry))

    async def _close(self, entry: Entry) -> None:
        try:
            if entry.runner is not None:
                async with asyncio.timeout(self._close_timeout):
                    await entry.runner.close()
        except Exception:  # a failed close must not keep the key occupied
            _log.exception("closing the runner of %s failed", entry.key)
        finally:
            self._forget(entry)
            entry.closed.set()
            self._notify()

    # -- loading -------------------------------------------------------------------------------

    async def _load(self, entry: Entry) -> None:
        try:
            runner = await self._start_runner(entry.spec)
        except asyncio.CancelledError:
            self._load_failed(entry, EngineError(SHUTTING_DOWN), crashed=False)
            raise
        except PollamaError as err:
            self._load_failed(entry, err, crashed=True)
        except Exception as err:  # a bug in start_runner must fail only this model's requests
            _log.exception("starting a runner for %s failed", entry.key)
            self._load_failed(entry, EngineError(f"failed to start model runner: {err}"), True)
        else:
            self._loaded(entry, runner)

    def _loaded(self, entry: Entry, runner: RunnerHandle) -> None:
        entry.runner = runner
        entry.state = State.READY
        entry.settled.set()
        self._notify()
        if self._shut:
            self._begin_close(entry)
            return
        entry.grant_waiting()
        if entry.refcount == 0:  # everyone who asked for it has left: it idles like any other
            self._became_idle(entry)

    def _load_failed(self, entry: Entry, error: PollamaError, crashed: bool) -> None:
        entry.error = error
        if crashed:
            self._crashes.record(entry.key)
        self._forget(entry)
        entry.wake_waiters()
        entry.settled.set()
        entry.closed.set()
        self._notify()

    # -- helpers -------------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _forget(self, entry: Entry) -> None:
        if self._entries.get(entry.key) is entry:
            del self._entries[entry.key]

    def _notify(self) -> None:
        """Wake everyone waiting for "something changed" (an unload, a load, an idle runner)."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()


def _deadline(entry: Entry) -> float:
    return math.inf if entry.deadline is None else entry.deadline


def _keep_alive(seconds: float) -> float:
    """Seconds, with any negative value meaning forever (``math.inf``); NaN is refused."""
    if math.isnan(seconds):
        raise ValueError("keep_alive must be a number")
    return math.inf if seconds < 0 else float(seconds)


def _optional_keep_alive(seconds: float | None) -> float | None:
    return None if seconds is None else _keep_alive(seconds)


__all__ = ["FOREVER_SECONDS", "Lease", "LoadedModel", "Scheduler"]
