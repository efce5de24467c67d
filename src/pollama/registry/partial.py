"""The files of a download in progress, next to the blob they will become (spec §6.1)::

    <blobs>/sha256-<hex>-partial       the blob's bytes, sparse, pre-sized to the full length
    <blobs>/sha256-<hex>-partial-<N>   JSON state of part N (pollama.registry.parts)
    <blobs>/sha256-<hex>-partial-<N>.tmp   a state being replaced (left only by a crash)

Every path derives from :meth:`Store.blob_path` of a validated :class:`Digest` plus a fixed suffix
and an integer, so none can leave the blobs directory. One process or thread at a time works on a
blob: :meth:`PartialFiles.locked` holds an exclusive ``flock`` on the ``-partial`` file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from pollama.digest import Digest
from pollama.registry.parts import Part, parse_state, tiles
from pollama.store import Store

_STATE_CAP = 4096
# At most six digits: the store's own temporary files (``-partial-`` + 8 random characters) never
# match, so they are neither read nor removed here.
_STATE_RE = re.compile(r"(0|[1-9][0-9]{0,5})(\.tmp)?")


class PartialFiles:
    """Paths, state files and the lock of the partial download of ``digest``."""

    def __init__(self, store: Store, digest: Digest) -> None:
        self.digest = digest
        self.final = store.blob_path(digest)
        self.data = self.final.with_name(f"{self.final.name}-partial")
        self._prefix = f"{self.final.name}-partial-"

    def state_path(self, n: int) -> Path:
        return self.final.with_name(f"{self._prefix}{int(n)}")

    def _leftovers(self) -> Iterator[tuple[int, bool, Path]]:
        """``(n, is_tmp, path)`` of every state file on disk."""
        directory = self.final.parent
        if not directory.is_dir():
            return
        for entry in os.scandir(directory):
            if not entry.name.startswith(self._prefix):
                continue
            match = _STATE_RE.fullmatch(entry.name[len(self._prefix) :])
            if match is not None:
                yield int(match.group(1)), match.group(2) is not None, Path(entry.path)

    def load(self, total: int) -> list[Part] | None:
        """The saved parts when they form a valid plan of a ``total``-byte blob, else None."""
        numbers = sorted(n for n, tmp, _ in self._leftovers() if not tmp)
        parts = []
        for n in numbers:
            try:
                with self.state_path(n).open("rb") as f:
                    raw = f.read(_STATE_CAP + 1)
            except OSError:
                return None
            part = parse_state(n, raw) if len(raw) <= _STATE_CAP else None
            if part is None:
                return None
            parts.append(part)
        return parts if tiles(parts, total) else None

    def save(self, part: Part) -> None:
        """Replace the state file of ``part`` atomically (the data must be synced first)."""
        path = self.state_path(part.n)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(part.to_json())
        os.replace(tmp, path)

    def remove_states(self) -> None:
        for _, _, path in list(self._leftovers()):
            path.unlink(missing_ok=True)

    def remove(self) -> None:
        """Delete the partial data and every state file."""
        self.remove_states()
        self.data.unlink(missing_ok=True)

    @contextlib.contextmanager
    def locked(self, wait: Callable[[], None]) -> Iterator[int]:
        """Open (creating it) and exclusively lock the ``-partial`` file; yields its descriptor.

        ``wait`` is called between attempts while another worker holds the lock; it sleeps and
        may raise to give up. A file that was renamed to its final name while we waited is let go,
        and the current ``-partial`` file (a new one, if need be) is locked instead.
        """
        self.data.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.data, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                wait()
                continue
            if self._is_current(fd):
                break
            os.close(fd)
        try:
            yield fd
        finally:
            os.close(fd)

    def _is_current(self, fd: int) -> bool:
        try:
            on_disk = os.stat(self.data)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)


__all__ = ["PartialFiles"]
