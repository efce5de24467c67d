"""Downloading one blob into the store, resumably, in parallel ranges (spec §7.2).

:class:`BlobDownload` fills ``<blobs>/sha256-<hex>-partial`` (:mod:`pollama.registry.partial`):

1. take the blob's lock (while another download holds it, report the progress its part states
   show); a blob that is already published needs nothing;
2. load the saved part states, or plan parts (:mod:`pollama.registry.parts`) and save them;
   pre-size the partial file (sparse);
3. ``HEAD`` the blob (its size must equal the manifest's) and resolve the URL to fetch from,
   following only redirects the policy allows;
4. fetch the unfinished parts with ``Range`` requests, each writing at its offset, over one
   connection at first and up to ``concurrency`` while more connections raise the rate
   (:mod:`pollama.registry.ramp`); a :class:`~pollama.registry.checkpoint.Checkpointer` thread
   saves the part states (after an ``fdatasync``) every 1/16 of the blob or second, so a killed
   process loses at most that much. A part that receives nothing for ``stall_timeout`` seconds
   is restarted; a failed attempt that made progress is not counted, and
   ``RetryPolicy.attempts`` attempts in a row without progress end the download. A server that
   answers ``200`` to a range request is read as one sequential stream instead;
5. meanwhile a :class:`~pollama.registry.prefixhash.PrefixHasher` hashes the bytes already in
   place, so that the sha256 is known (:attr:`BlobDownload.digest_seen`) soon after the last byte.

:func:`publish_blob` then checks the sha256 of the complete partial file (the one seen while
downloading, or one computed from the file) and renames it to the blob's final name only when it
matches; on a mismatch every partial file is deleted
(DigestMismatch ``digest mismatch, file must be downloaded again: want <d>, got <d'>``).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import httpx

from pollama.digest import Digest
from pollama.errors import DigestMismatch, RegistryError
from pollama.registry.blobbody import BlobBody, BodyInterrupted
from pollama.registry.bounded import declared_length, require_identity
from pollama.registry.checkpoint import Checkpointer
from pollama.registry.client import RegistryClient
from pollama.registry.errors import RegistryStatusError, RegistryUnreachable
from pollama.registry.partial import PartialFiles
from pollama.registry.parts import MAX_PART_SIZE, MIN_PART_SIZE, PART_COUNT, Part, plan_parts
from pollama.registry.prefixhash import PrefixHasher
from pollama.registry.pump import pump
from pollama.registry.ramp import ConnectionRamp, WorkQueue, fetch_ramped
from pollama.registry.retry import RETRY_STATUSES
from pollama.store import Layer, Store
from pollama.store.blobs import fsync_dir

MAX_BLOB_SIZE = 1 << 40
_RANGE_RE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


@dataclass(frozen=True, slots=True)
class DownloadOptions:
    """Tunables of a download; tests shrink the parts and the timeouts."""

    min_part_size: int = MIN_PART_SIZE
    max_part_size: int = MAX_PART_SIZE
    part_count: int = PART_COUNT
    concurrency: int = 4  # the most connections (parts fetched at once)
    ramp_window: float = 0.5  # seconds measured before adding a connection; 0: all at once
    ramp_gain: float = 1.15  # the rise in rate that keeps an added connection
    stall_timeout: float = 30.0
    progress_interval: float = 0.06
    save_interval: float = 1.0
    max_blob_size: int = MAX_BLOB_SIZE
    read_chunk: int = 1 << 20
    lock_poll: float = 0.1
    monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)


class DownloadStopped(Exception):
    """The download was stopped: raised by :meth:`BlobDownload.run` after
    :meth:`BlobDownload.stop` (a closed generator just ends)."""


class _RangeIgnored(Exception):
    """The server sent the whole blob (200) where a range (206) was asked for."""


class _Transient(Exception):
    """A failed attempt worth another try."""


class BlobDownload:
    """Download the blob of ``layer`` from ``client`` into ``store``'s partial files."""

    def __init__(
        self,
        store: Store,
        client: RegistryClient,
        layer: Layer,
        options: DownloadOptions | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.layer = layer
        self.options = options or DownloadOptions()
        self.files = PartialFiles(store, layer.digest)
        self.parts: list[Part] = []
        self.digest_seen: Digest | None = None
        """The sha256 of the partial file, hashed during :meth:`run`; None until it completes."""
        self.peak_connections = 0
        """The most parts fetched at once during :meth:`run`."""
        self._seen_elsewhere = 0  # bytes another download of this blob has saved, while we wait
        self._stop = threading.Event()
        self._hasher: PrefixHasher | None = None
        self._checkpointer: Checkpointer | None = None

    def stop(self) -> None:
        """Ask a running :meth:`run` (in another thread) to end soon; the part states stay."""
        self._stop.set()

    @property
    def completed(self) -> int:
        """Bytes of the blob on disk, counting those already there before this run (and, while
        another download of the blob holds its lock, the bytes that one has saved)."""
        return max(sum(part.completed for part in self.parts), self._seen_elsewhere)

    def run(self) -> Generator[int, None, None]:
        """Fill the partial file, yielding :attr:`completed` as it grows; returns when it is full.

        Raises RegistryError (or its subclasses) and NotFound when the registry fails, OSError
        when the disk does. Closing the generator stops the workers, whose states stay for a
        later resume. Does not verify or publish: see :func:`publish_blob`.
        """
        size = self.layer.size
        if not 0 < size <= self.options.max_blob_size:
            raise RegistryError(f"blob {self.layer.digest} has an unacceptable size {size}")
        if self.store.has_blob(self.layer.digest):
            yield size
            return
        yield from pump(
            self._locked_run,
            lambda: self.completed,
            interval=self.options.progress_interval,
            stop=self._stop.set,
            name=f"pollama-pull-{self.layer.digest.short}",
        )

    def _locked_run(self) -> None:
        with self.files.locked(self._wait_for_lock) as fd:
            self._seen_elsewhere = 0  # from here on the parts say (the other one may have failed)
            if self.store.has_blob(self.layer.digest):
                self.files.remove()
                self.parts = [Part(0, 0, self.layer.size, self.layer.size)]
                return
            self._prepare(fd)
            self._hasher = PrefixHasher(fd, self.parts, self.layer.size)
            self._checkpointer = Checkpointer(
                fd,
                self.parts,
                self.files,
                every=self.layer.size // 16,
                interval=self.options.save_interval,
                monotonic=self.options.monotonic,
            )
            self._hasher.start()
            self._checkpointer.start()
            try:
                if any(part.remaining for part in self.parts):
                    self._check_size()
                    self._fetch(fd, self.client.resolve_blob(self.layer.digest))
                if not self._stop.is_set():
                    self.digest_seen = self._hasher.finish()
            finally:
                self._hasher.discard()  # a no-op once finished
                self._checkpointer.stop()
                os.fdatasync(fd)
                for part in self.parts:
                    self.files.save(part)
        if self._stop.is_set():
            raise DownloadStopped()

    def _wait_for_lock(self) -> None:
        # Another pull (in this process or another) is downloading the blob: report its progress
        # from the part states it saves, so that this pull's progress moves with it.
        saved = self.files.load(self.layer.size)
        if saved is not None:
            self._seen_elsewhere = sum(part.completed for part in saved)
        if self._stop.wait(self.options.lock_poll):
            raise DownloadStopped()

    def _prepare(self, fd: int) -> None:
        size = self.layer.size
        parts = self.files.load(size)
        if parts is None:
            self.files.remove_states()
            parts = plan_parts(
                size,
                min_size=self.options.min_part_size,
                max_size=self.options.max_part_size,
                count=self.options.part_count,
            )
        elif os.fstat(fd).st_size != size:
            for part in parts:  # the states outlived their data: start those bytes over
                part.completed = 0
        os.ftruncate(fd, size)
        for part in parts:
            self.files.save(part)
        self.parts = parts

    def _check_size(self) -> None:
        reported = self.client.blob_size(self.layer.digest)
        if reported is not None and reported != self.layer.size:
            raise RegistryError(
                f"blob {self.layer.digest} is {reported} bytes but the manifest says "
                f"{self.layer.size}"
            )

    # -- parallel ranges -------------------------------------------------------------------------
    def _fetch(self, fd: int, url: httpx.URL) -> None:
        pending = [part for part in self.parts if part.remaining]
        queue = WorkQueue(pending, _continues)
        options = self.options
        halt = threading.Event()
        ramp = ConnectionRamp(
            min(options.concurrency, len(pending)),
            window=options.ramp_window,
            gain=options.ramp_gain,
            now=options.monotonic(),
            completed=self.completed,
        )
        try:
            self.peak_connections = fetch_ramped(
                queue,
                lambda part: self._fetch_parts(fd, url, part, queue, halt),
                ramp=ramp,
                completed=lambda: self.completed,
                monotonic=options.monotonic,
                halt=halt,
            )
        except _RangeIgnored:
            self._retrying(lambda: self._sequential(fd, url), lambda: "the blob")

    def _halted(self, halt: threading.Event) -> bool:
        return halt.is_set() or self._stop.is_set()

    def _fetch_parts(
        self, fd: int, url: httpx.URL, first: Part, queue: WorkQueue[Part], halt: threading.Event
    ) -> None:
        """Fill ``first`` and then, over the same request, the parts that follow it for as long
        as no other connection has taken them. A connection alone asks for the whole run of
        parts after its own at once; connections that share the queue ask for one part each."""
        current = first

        def attempt() -> None:
            nonlocal current
            start = current.offset + current.completed
            run = [] if queue.shared else queue.run_after(current)
            end = (run[-1] if run else current).end - 1
            timeout = httpx.Timeout(self.options.stall_timeout, connect=10.0)
            body = self.client.open_range(url, start, end, timeout=timeout)
            try:
                status = body.response.status_code
                if status == 200:
                    raise _RangeIgnored()
                if status != 206:
                    raise RegistryError(f"unexpected status {status} for a range")
                self._check_range_response(body.response, start, end)
                current = self._copy(fd, body, current, end + 1, queue, halt)
            finally:
                body.close()

        self._retrying(
            attempt,
            lambda: f"part {current.n}",
            lambda: current.remaining == 0 or self._halted(halt),
        )

    def _check_range_response(self, response: httpx.Response, start: int, end: int) -> None:
        require_identity(response, f"blob {self.layer.digest}")
        match = _RANGE_RE.fullmatch(response.headers.get("content-range", "").strip())
        if match is None:
            raise RegistryError(f"registry sent no valid Content-Range for {self.layer.digest}")
        first, last, total = match.groups()
        if int(first) != start or not start <= int(last) <= end:
            raise RegistryError(f"registry sent the wrong range for {self.layer.digest}")
        if total != "*" and int(total) != self.layer.size:
            raise RegistryError(f"registry reports a different size for {self.layer.digest}")
        length = declared_length(response)
        if length is not None and length != int(last) - start + 1:
            raise RegistryError(f"registry sent a wrong Content-Length for {self.layer.digest}")

    def _copy(
        self,
        fd: int,
        body: BlobBody,
        part: Part,
        stop_at: int,
        queue: WorkQueue[Part],
        halt: threading.Event,
    ) -> Part:
        """Write ``body`` (the blob's bytes up to offset ``stop_at``) into ``part`` and on into
        the parts it takes from ``queue`` as it reaches their start; returns the part it wrote
        last. Stops early (leaving the rest of the body unread) when halted or when the next
        part went to another connection."""
        buffer = memoryview(bytearray(self.options.read_chunk))
        for chunk in body.chunks(buffer):
            view = memoryview(chunk)
            if part.offset + part.completed + len(view) > stop_at:
                raise RegistryError(f"registry sent more bytes than asked for {self.layer.digest}")
            while view:
                if self._halted(halt):
                    return part
                if part.remaining == 0:
                    following = queue.take_after(part)
                    if following is None:
                        return part
                    part = following
                size = min(len(view), part.remaining)
                _pwrite_all(fd, view[:size], part.offset + part.completed)
                part.completed += size  # only once the bytes are written: see PrefixHasher
                view = view[size:]
                self._advanced()
        return part

    # -- one stream, for servers that ignore Range ------------------------------------------------
    def _advanced(self) -> None:
        if self._hasher is not None:
            self._hasher.advanced()
        if self._checkpointer is not None:
            self._checkpointer.advanced()

    def _sequential(self, fd: int, url: httpx.URL) -> None:
        if self._hasher is not None:
            self._hasher.discard()  # this stream writes over bytes already hashed
        timeout = httpx.Timeout(self.options.stall_timeout, connect=10.0)
        response = self.client.send("GET", url, timeout=timeout, retry=False)
        try:
            if response.status_code != 200:
                raise RegistryError(f"unexpected status {response.status_code} for the blob")
            require_identity(response, f"blob {self.layer.digest}")
            length = declared_length(response)
            if length is not None and length != self.layer.size:
                raise RegistryError(f"registry sent a wrong Content-Length for {self.layer.digest}")
            position = 0
            for chunk in response.iter_raw(self.options.read_chunk):
                if self._stop.is_set():
                    return
                if position + len(chunk) > self.layer.size:
                    raise RegistryError(f"registry sent more bytes than {self.layer.digest} has")
                _pwrite_all(fd, chunk, position)
                position += len(chunk)
                for part in self.parts:
                    part.completed = max(part.completed, min(position - part.offset, part.size))
                self._advanced()
        finally:
            response.close()

    # -- retries ---------------------------------------------------------------------------------
    def _retrying(
        self,
        attempt: Callable[[], None],
        what: Callable[[], str],
        done: Callable[[], bool] | None = None,
    ) -> None:
        """Call ``attempt`` until ``done()`` (or every part is complete), retrying transient
        failures; only consecutive attempts without progress count toward the limit. ``what()``
        names what failed in the error."""
        is_done = done or (lambda: all(p.remaining == 0 for p in self.parts) or self._stop.is_set())
        failures = 0
        while not is_done():
            before = self.completed
            try:
                attempt()
                error: BaseException | None = None
            except (httpx.TransportError, BodyInterrupted, RegistryUnreachable) as err:
                error = err
            except RegistryStatusError as err:
                if err.status not in RETRY_STATUSES:
                    raise
                error = err
            failures = 0 if self.completed > before else failures + 1
            if failures >= self.client.retry.attempts:
                raise RegistryError(
                    f"downloading {what()} of {self.layer.digest} failed: {_message(error)}"
                ) from error
            if failures:
                retry_after = error.retry_after if isinstance(error, RegistryStatusError) else None
                self.client.retry.wait(failures, retry_after)


def _continues(before: Part, after: Part) -> bool:
    """Whether ``after`` starts, with nothing of it on disk yet, where ``before`` ends."""
    return after.offset == before.end and after.completed == 0


def _message(error: BaseException | None) -> str:
    if error is None:
        return "the registry sent no data"
    return str(error) or type(error).__name__


def _pwrite_all(fd: int, data: bytes | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def publish_blob(
    store: Store,
    layer: Layer,
    *,
    wait: Callable[[], None] | None = None,
    digest_seen: Digest | None = None,
) -> None:
    """Verify the complete partial file of ``layer`` and rename it to the blob's final name.

    ``digest_seen`` is :attr:`BlobDownload.digest_seen`: when it equals the layer's digest the
    file is not read again; otherwise the file is hashed here. Does nothing when the blob is
    already published. Raises RegistryError when the download is not complete, DigestMismatch
    (after deleting every partial file) when the sha256 differs.
    """
    files = PartialFiles(store, layer.digest)
    with files.locked(wait or (lambda: time.sleep(0.1))) as fd:
        if store.has_blob(layer.digest):
            files.remove()
            return
        parts = files.load(layer.size)
        if parts is None or any(p.remaining for p in parts) or os.fstat(fd).st_size != layer.size:
            raise RegistryError(f"the download of {layer.digest} is not complete")
        actual = digest_seen if digest_seen == layer.digest else _hash_fd(fd, layer.size)
        if actual != layer.digest:
            files.remove()
            raise DigestMismatch(
                f"digest mismatch, file must be downloaded again: want {layer.digest}, got {actual}"
            )
        os.fsync(fd)
        os.replace(files.data, files.final)
        fsync_dir(files.final.parent)
        files.remove_states()


def _hash_fd(fd: int, size: int) -> Digest:
    sha = hashlib.sha256()
    offset = 0
    while offset < size:
        chunk = os.pread(fd, min(1 << 20, size - offset), offset)
        if not chunk:
            break
        sha.update(chunk)
        offset += len(chunk)
    return Digest(sha.hexdigest())


__all__ = ["BlobDownload", "DownloadOptions", "DownloadStopped", "publish_blob"]
