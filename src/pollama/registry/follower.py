"""A background thread that follows the writers of a download (base of the hasher and the
checkpointer): writers call :meth:`Follower.advanced` after each write, the thread looks at the
parts again when woken (or every ``wake`` seconds), and :meth:`Follower.stop` ends it."""

from __future__ import annotations

import threading


class Follower:
    """Runs :meth:`_run` in a daemon thread named ``name``; subclasses implement :meth:`_run`,
    which waits with :meth:`_wait` and ends once :attr:`_stop` is set."""

    def __init__(self, name: str) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def advanced(self) -> None:
        """A writer added bytes: look at the parts again now."""
        self._wake.set()

    def stop(self) -> None:
        """Ask the thread to end and wait until it has (a no-op if it never started)."""
        self._stop.set()
        self._wake.set()
        if self._thread.ident is not None:
            self._thread.join()

    def _wait(self, timeout: float) -> None:
        """Sleep until a writer advances or ``timeout`` passes."""
        self._wake.wait(timeout)
        self._wake.clear()

    def _run(self) -> None:
        raise NotImplementedError


__all__ = ["Follower"]
