"""Uploading one blob to a registry (spec §7.1, §7.3).

``HEAD`` first: a blob the registry has is reported complete at once. Otherwise ``POST`` starts an
upload (a cross-repository mount when the layer records another repository of the same registry
in ``from``), the blob goes up in parts with ``PATCH`` and ``Content-Range`` (a ``307`` answer
means "PUT this part to the redirect URL"), and ``PUT ?digest=&etag=`` finishes it, where ``etag``
is the md5 of the concatenated part md5s, a dash and the number of parts. A failed upload starts
over from the ``POST``, up to ``RetryPolicy.attempts`` times with backoff.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass

import httpx

from pollama.errors import RegistryError
from pollama.names import ModelName
from pollama.registry.client import RegistryClient
from pollama.registry.errors import RegistryStatusError, RegistryUnreachable
from pollama.registry.parts import MAX_PART_SIZE, MIN_PART_SIZE, PART_COUNT, Part, plan_parts
from pollama.registry.pump import pump
from pollama.registry.retry import RETRY_STATUSES
from pollama.store import Layer, Store

_READ = 1 << 20


@dataclass(frozen=True, slots=True)
class UploadOptions:
    """Tunables of an upload; tests shrink the parts."""

    min_part_size: int = MIN_PART_SIZE
    max_part_size: int = MAX_PART_SIZE
    part_count: int = PART_COUNT
    progress_interval: float = 0.06


class UploadStopped(Exception):
    """The consumer stopped the upload; internal."""


class _PartBody:
    """A re-playable request body for one part, counting bytes sent and their md5."""

    def __init__(self, fd: int, part: Part, stop: threading.Event) -> None:
        self.fd, self.part, self.stop = fd, part, stop
        self.sent = 0
        self.md5 = hashlib.md5(usedforsecurity=False)

    def __call__(self) -> Iterator[bytes]:
        self.sent = 0
        self.md5 = hashlib.md5(usedforsecurity=False)
        return self._chunks()

    def _chunks(self) -> Iterator[bytes]:
        while self.sent < self.part.size:
            if self.stop.is_set():
                raise UploadStopped()
            want = min(_READ, self.part.size - self.sent)
            chunk = os.pread(self.fd, want, self.part.offset + self.sent)
            if len(chunk) != want:
                raise RegistryError("the blob changed on disk while it was being pushed")
            self.md5.update(chunk)
            self.sent += len(chunk)
            yield chunk


class BlobUpload:
    """Push the blob of ``layer`` from ``store`` through ``client``."""

    def __init__(
        self,
        store: Store,
        client: RegistryClient,
        layer: Layer,
        options: UploadOptions | None = None,
    ) -> None:
        self.store, self.client, self.layer = store, client, layer
        self.options = options or UploadOptions()
        self._stop = threading.Event()
        self._done = 0
        self._body: _PartBody | None = None

    @property
    def completed(self) -> int:
        return self._done + (self._body.sent if self._body else 0)

    def run(self) -> Generator[int, None, None]:
        """Upload unless the registry has the blob, yielding bytes sent so far.

        Raises RegistryError (and subclasses) when the registry refuses, OSError when the blob
        cannot be read, RegistryError when its size differs from the manifest's.
        """
        if self.client.blob_exists(self.layer.digest):
            yield self.layer.size
            return
        on_disk = self.store.blob_size(self.layer.digest)
        if on_disk != self.layer.size:
            raise RegistryError(
                f"blob {self.layer.digest} is {on_disk} bytes but the manifest says "
                f"{self.layer.size}"
            )
        yield from pump(
            self._with_retries,
            lambda: self.completed,
            interval=self.options.progress_interval,
            stop=self._stop.set,
            name=f"pollama-push-{self.layer.digest.short}",
        )

    def _with_retries(self) -> None:
        failures = 0
        while True:
            try:
                self._upload_once()
                return
            except (httpx.TransportError, RegistryUnreachable, RegistryStatusError) as err:
                if isinstance(err, RegistryStatusError) and err.status not in RETRY_STATUSES:
                    raise
                failures += 1
                if failures >= self.client.retry.attempts:
                    raise
                self.client.retry.wait(failures, getattr(err, "retry_after", None))

    def _upload_once(self) -> None:
        self._done, self._body = 0, None
        digest = self.layer.digest
        location = self.client.start_upload(digest, mount_source(self.layer, self.client.name))
        if location is None:
            self._done = self.layer.size
            return
        parts = plan_parts(
            self.layer.size,
            min_size=self.options.min_part_size,
            max_size=self.options.max_part_size,
            count=self.options.part_count,
        )
        sums = hashlib.md5(usedforsecurity=False)
        fd = os.open(self.store.blob_path(digest), os.O_RDONLY | os.O_CLOEXEC)
        try:
            for part in parts:
                self._body = _PartBody(fd, part, self._stop)
                location = self.client.upload_chunk(location, self._body, part.offset, part.size)
                sums.update(self._body.md5.digest())
                self._done, self._body = self._done + part.size, None
        finally:
            os.close(fd)
        self.client.finish_upload(location, digest, f"{sums.hexdigest()}-{len(parts)}")


def mount_source(layer: Layer, target: ModelName) -> str | None:
    """The repository to mount ``layer`` from: its ``from`` model, when that is another
    repository on the same registry; else None."""
    if not layer.from_:
        return None
    source = ModelName.parse(layer.from_)
    if not source.is_valid() or source.host.lower() != target.host.lower():
        return None
    return source.repository if source.repository != target.repository else None


__all__ = ["BlobUpload", "UploadOptions", "mount_source"]
