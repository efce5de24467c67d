"""Running blocking transfer work in a thread while a generator reports its progress.

Domain code yields progress events (style rule 4); transfers block on sockets. :func:`pump` runs
``work`` in a daemon thread and, from the consumer's thread, yields ``read()`` whenever it changed,
polling every ``interval`` seconds. Closing the generator early calls ``stop()`` and returns
without waiting: the work must notice the stop, release what it holds and end by itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


def pump(
    work: Callable[[], T],
    read: Callable[[], int],
    *,
    interval: float,
    stop: Callable[[], None],
    name: str = "pollama-transfer",
) -> Generator[int, None, T]:
    """Run ``work`` in a thread, yielding ``read()`` as it changes; return what ``work`` returns.

    Raises whatever ``work`` raised. When ``work`` succeeds, the final value of ``read()`` has been
    yielded before this returns (unless it equals the previous one).
    """
    future: Future[T] = Future()

    def guarded() -> None:
        # A thread's exception would otherwise vanish; it must reach the consumer instead.
        try:
            future.set_result(work())
        except BaseException as err:  # noqa: BLE001 - handed over, not swallowed
            future.set_exception(err)

    threading.Thread(target=guarded, name=name, daemon=True).start()
    last: int | None = None
    finished = False
    try:
        while not finished:
            try:
                future.exception(timeout=interval)
                finished = True
            except TimeoutError:
                pass
            value = read()
            if value != last and (not finished or future.exception() is None):
                last = value
                yield value
        return future.result()
    finally:
        if not finished:
            stop()


__all__ = ["pump"]
