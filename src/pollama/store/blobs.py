"""Writing blobs: hash while writing, publish under the final name only when the digest matches."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from pollama.digest import Digest
from pollama.errors import DigestMismatch


class BlobWriter:
    """Streams bytes into a temporary file in the blobs directory.

    :meth:`commit` checks the sha256 against the expected digest (when one was given), fsyncs and
    renames the file to ``sha256-<hex>``; on a mismatch, an exception or :meth:`abort`, the
    temporary file is removed, so a partial or wrong blob never appears under a final name.
    """

    def __init__(
        self, directory: Path, final_path: Callable[[Digest], Path], expected: Digest | None
    ) -> None:
        prefix = f"{expected.filename}-partial-" if expected else "sha256-upload-partial-"
        fd, tmp = tempfile.mkstemp(prefix=prefix, dir=directory)
        self._file = os.fdopen(fd, "wb")
        self._tmp = Path(tmp)
        self._hash = hashlib.sha256()
        self._final_path = final_path
        self.expected = expected
        self.size = 0
        self._done = False

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def commit(self) -> Digest:
        """Verify and publish; on a mismatch discard the bytes and raise DigestMismatch."""
        actual = Digest(self._hash.hexdigest())
        try:
            if self.expected is not None and actual != self.expected:
                raise DigestMismatch(f'digest mismatch, expected "{self.expected}", got "{actual}"')
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            final = self._final_path(actual)
            os.replace(self._tmp, final)
            fsync_dir(final.parent)
            self._done = True
            return actual
        finally:
            if not self._done:
                self.abort()

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._tmp.unlink(missing_ok=True)
        self._done = True

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._done:
            self.abort()


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["BlobWriter", "fsync_dir"]
