"""Small blobs fetched in the background while a pull reports its layers in order.

A model's config, template, parameters and license are a few hundred bytes each, yet each costs
a download's round trips (``HEAD``, the URL probe, the ``GET``): about 10 ms each from a registry
on loopback, more from one far away, and a pull took them one after another after the weights.
:class:`Prefetch` starts them all at once, beside the big ones, in threads of their own; the pull
still reports every layer in manifest order and waits for a small blob when its turn comes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from pollama.digest import Digest
from pollama.registry.download import BlobDownload

SMALL_BLOB = 1 << 20
"""Blobs up to this size are fetched in the background (weights and projectors are far larger)."""


class Prefetch:
    """Runs each of ``downloads`` to the end in a daemon thread of its own, from :meth:`start`."""

    def __init__(self, downloads: Iterable[BlobDownload]) -> None:
        self._downloads = {download.layer.digest: download for download in downloads}
        self._errors: dict[Digest, BaseException] = {}
        self._threads: dict[Digest, threading.Thread] = {}
        self._lock = threading.Lock()

    def __contains__(self, digest: Digest) -> bool:
        return digest in self._downloads

    def start(self) -> None:
        for digest, download in self._downloads.items():
            thread = threading.Thread(
                target=self._run, args=(digest, download), name="pollama-prefetch", daemon=True
            )
            self._threads[digest] = thread
            thread.start()

    def check(self) -> None:
        """Raise the error of a background download that has already failed, if any."""
        with self._lock:
            error = next(iter(self._errors.values()), None)
        if error is not None:
            raise error

    def wait(self, digest: Digest) -> BlobDownload:
        """The download of ``digest`` once it has finished; raises what it raised."""
        self._threads[digest].join()
        with self._lock:
            error = self._errors.get(digest)
        if error is not None:
            raise error
        return self._downloads[digest]

    def cancel(self) -> None:
        """Stop every download still running, without waiting (their states stay for a resume)."""
        for download in self._downloads.values():
            download.stop()

    def _run(self, digest: Digest, download: BlobDownload) -> None:
        try:
            for _ in download.run():
                pass
        except BaseException as err:  # noqa: BLE001 - handed over by check() and wait()
            with self._lock:
                self._errors[digest] = err


__all__ = ["SMALL_BLOB", "Prefetch"]
