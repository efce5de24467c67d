"""Saving the progress of a download behind its writers, so that none of them waits on the disk.

A part's saved state must never claim bytes that a crash could lose, so the data is synced
(``fdatasync``) before the states that count it are written. Done by each writer, every sync
stalls that writer's socket for as long as the disk takes. A :class:`Checkpointer` thread does
it for all of them: it takes a snapshot of every part's ``completed``, syncs, then saves those
snapshots, each time the parts have gained ``every`` bytes or ``interval`` seconds have passed
with some gain. The writers keep receiving meanwhile, and the last sync (before the blob is
published) finds most of the bytes already on disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from pollama.registry.follower import Follower
from pollama.registry.partial import PartialFiles
from pollama.registry.parts import Part

_WAKE = 0.05  # seconds between looks at the parts when no writer said anything


class Checkpointer(Follower):
    """Sync ``fd`` and save the states of ``parts`` (in ``files``) as they advance.

    Writers call :meth:`advanced` after each write. :meth:`stop` ends the thread; the caller
    then makes the final sync and save itself. A failing sync or save stops the checkpoints (the
    final save reports the error).
    """

    def __init__(
        self,
        fd: int,
        parts: Sequence[Part],
        files: PartialFiles,
        *,
        every: int,
        interval: float,
        monotonic: Callable[[], float],
    ) -> None:
        super().__init__("pollama-checkpoint")
        self._fd = fd
        self._parts = parts
        self._files = files
        self._every = max(every, 1)
        self._interval = interval
        self._monotonic = monotonic

    def _run(self) -> None:
        saved = [part.completed for part in self._parts]
        saved_at = self._monotonic()
        while not self._stop.is_set():
            self._wait(min(_WAKE, self._interval))
            snapshot = [part.completed for part in self._parts]
            gained = sum(snapshot) - sum(saved)
            due = self._monotonic() - saved_at >= self._interval
            if gained >= self._every or (gained > 0 and due):
                try:
                    self._save(snapshot, saved)
                except OSError:
                    return
                saved, saved_at = snapshot, self._monotonic()

    def _save(self, snapshot: list[int], saved: list[int]) -> None:
        os.fdatasync(self._fd)
        for part, completed, before in zip(self._parts, snapshot, saved, strict=True):
            if completed != before:
                self._files.save(Part(part.n, part.offset, part.size, completed))


__all__ = ["Checkpointer"]
