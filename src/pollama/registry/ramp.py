"""How many connections a download uses: one to start with, more while more pay off.

Ollama fetches every part of a blob at once. Parallel connections help where one connection is
held back by latency or a per-connection limit (a CDN far away); where the registry is close
they only contend for the same CPU and disk. On a 2-core machine a 253 MB blob from a registry
on loopback took 0.25 s over one connection and 0.31 s over three; behind a server that limits
each connection, three connections take a third of the time.

So a download starts with one connection and measures. :class:`ConnectionRamp` decides from the
byte count after each ``window`` seconds at a constant number of connections: it adds one when
the last addition raised the rate by at least ``gain`` (the first addition is always tried), and
when an addition did not pay off it goes back to the number before and stays there.
:func:`fetch_ramped` runs the work in that many threads, each taking the next part of a
:class:`WorkQueue` when it is done with one; a thread whose request runs on into the parts that
follow its own takes them as it reaches them, so one connection reads a blob in one request.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class ConnectionRamp:
    """The number of connections to use (:attr:`target`), updated by :meth:`observe` (pure).

    A ``window`` of 0 measures nothing: every connection from the start, as Ollama does.
    ``completed`` is the byte count at ``now`` (a resumed download starts above 0).
    """

    def __init__(
        self, limit: int, *, window: float, gain: float, now: float, completed: int = 0
    ) -> None:
        if limit < 1 or window < 0 or gain < 1:
            raise ValueError("a ramp needs limit >= 1, window >= 0 and gain >= 1")
        self.limit = limit
        self.window = window
        self.gain = gain
        self.target = limit if window == 0 else 1
        self._settled = self.target == limit
        self._window_start = now
        self._window_bytes = completed
        self._previous_rate: float | None = None  # bytes/s with target - 1 connections

    @property
    def settled(self) -> bool:
        """Whether :attr:`target` will no longer change."""
        return self._settled

    def settle(self) -> None:
        """Keep :attr:`target` as it is from now on (nothing is left to add connections for)."""
        self._settled = True

    def next_look(self) -> float:
        """When the current window ends (on the clock :meth:`observe` is given)."""
        return self._window_start + self.window

    def observe(self, now: float, completed: int) -> int:
        """Take the byte count ``completed`` at ``now``; returns the (new) target.

        Call with a clock that does not go back; a call before :meth:`next_look` changes nothing.
        """
        if self._settled or now < self.next_look():
            return self.target
        rate = (completed - self._window_bytes) / (now - self._window_start)
        if self._previous_rate is not None and rate < self._previous_rate * self.gain:
            self.target -= 1  # the last connection added did not pay for itself
            self._settled = True
        elif self.target < self.limit:
            self.target += 1
            self._previous_rate = rate
        else:
            self._settled = True
        self._window_start, self._window_bytes = now, completed
        return self.target


class WorkQueue(Generic[T]):
    """The items of :func:`fetch_ramped` not yet taken, in order; shared by its threads.

    ``follows(a, b)`` says whether item ``b`` carries on right where item ``a`` ends, so that a
    thread may go on from one to the other without a new request. :attr:`shared` says whether
    more than one thread takes items (or soon will): a thread alone may ask for the run of items
    after its own in one request, where threads that share would cut each other's requests short
    and waste what was in flight.
    """

    def __init__(self, items: Sequence[T], follows: Callable[[T, T], bool]) -> None:
        self._items = deque(items)
        self._follows = follows
        self._lock = threading.Lock()
        self.shared = False

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._items)

    def take(self) -> T | None:
        """The next item, or None when none is left."""
        with self._lock:
            return self._items.popleft() if self._items else None

    def take_after(self, item: T) -> T | None:
        """The next item when it follows ``item``; None (taking nothing) otherwise."""
        with self._lock:
            if self._items and self._follows(item, self._items[0]):
                return self._items.popleft()
            return None

    def run_after(self, item: T) -> list[T]:
        """The items that follow ``item`` one after another as things stand (nothing is taken;
        another thread may take them first)."""
        run: list[T] = []
        with self._lock:
            last = item
            for candidate in self._items:
                if not self._follows(last, candidate):
                    break
                run.append(candidate)
                last = candidate
        return run


def fetch_ramped(
    queue: WorkQueue[T],
    work: Callable[[T], None],
    *,
    ramp: ConnectionRamp,
    completed: Callable[[], int],
    monotonic: Callable[[], float],
    halt: threading.Event,
) -> int:
    """Call ``work(item)`` for every item of ``queue`` from as many threads as ``ramp`` says.

    Each thread takes the next item when it has finished one (``work`` may take the items that
    follow its own with :meth:`WorkQueue.take_after`), and ends when no item is left or there
    are more threads than :attr:`ConnectionRamp.target`. ``completed()`` is the progress the
    ramp measures. When a ``work`` call raises, ``halt`` is set (the others are expected to
    return soon after), every thread is joined and the first exception is raised. Returns the
    most threads that ran at once.
    """
    lock = threading.Lock()
    changed = threading.Condition(lock)
    errors: list[BaseException] = []
    running = 0
    peak = 0
    threads: list[threading.Thread] = []

    def worker() -> None:
        nonlocal running
        try:
            while True:
                with lock:
                    if halt.is_set() or running > ramp.target:
                        return
                item = queue.take()
                if item is None:
                    return
                work(item)
        except BaseException as err:  # noqa: BLE001 - handed to the caller's thread
            with lock:
                errors.append(err)
            halt.set()
        finally:
            with lock:
                running -= 1
                changed.notify_all()

    def start_worker() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        thread = threading.Thread(target=worker, name="pollama-pull-part", daemon=True)
        threads.append(thread)
        thread.start()

    with lock:
        while True:
            if running == 0 and (not queue or halt.is_set()):
                break
            queue.shared = max(running, ramp.target) > 1
            while running < ramp.target and queue and not halt.is_set():
                start_worker()
            if ramp.settled:
                changed.wait()
                continue
            changed.wait(max(0.0, ramp.next_look() - monotonic()))
            if running >= ramp.target and queue:  # only a window at full strength says anything
                queue.shared = ramp.observe(monotonic(), completed()) > 1 or running > 1
            elif not queue:
                ramp.settle()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return peak


__all__ = ["ConnectionRamp", "WorkQueue", "fetch_ramped"]
