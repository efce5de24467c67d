"""The :class:`Store`: blobs and manifests under one root, and the only code that builds paths."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pollama.digest import Digest, is_digest
from pollama.errors import InvalidName, ModelNotFound, PollamaError
from pollama.names import ModelName
from pollama.store.blobs import BlobWriter, fsync_dir
from pollama.store.manifest import Manifest, ManifestError

log = logging.getLogger("pollama.store")

_PART_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,349}")
PRUNE_AGE_SECONDS = 3600.0
# A pull that was interrupted resumes from its partial files; they are kept for a week, so that
# a restart of the server (which prunes) does not throw a half-finished download away.
PARTIAL_AGE_SECONDS = 7 * 24 * 3600.0
_RESUMABLE_RE = re.compile(r"sha256-[0-9a-f]{64}-partial(-(0|[1-9][0-9]{0,5}))?")


class StorePathError(PollamaError):
    """A computed path escaped the store root; always a bug or an attack, never normal input."""


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """A model found in the store."""

    name: ModelName
    manifest: Manifest
    modified: datetime


class Store:
    """Ollama's model store rooted at ``root`` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().absolute()
        self._lock = threading.RLock()
        self._depth = 0  # nesting of _locked() in the thread holding self._lock

    # -- paths -------------------------------------------------------------------------------
    def blobs_dir(self) -> Path:
        return self.root / "blobs"

    def manifests_dir(self) -> Path:
        return self.root / "manifests"

    def blob_path(self, digest: Digest) -> Path:
        """The final path of a blob; ``digest`` is already validated by its type."""
        if not is_digest(str(digest)):
            raise StorePathError(f"refusing blob path for {digest!r}")
        return self._inside(self.blobs_dir() / digest.filename)

    def manifest_path(self, name: ModelName) -> Path:
        """The manifest path of a valid name; raises :class:`InvalidName` otherwise."""
        if not name.is_valid() or not all(_PART_RE.fullmatch(p) for p in name.parts()):
            raise InvalidName(f"invalid model name: {name}")
        return self._inside(self.manifests_dir().joinpath(*name.parts()))

    def _inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise StorePathError(f"path escapes the store: {path}")
        return path

    # -- blobs -------------------------------------------------------------------------------
    def has_blob(self, digest: Digest) -> bool:
        return self.blob_path(digest).is_file()

    def blob_size(self, digest: Digest) -> int:
        return self.blob_path(digest).stat().st_size

    def blob_writer(self, expected: Digest | None = None) -> BlobWriter:
        """A writer that hashes while it writes and publishes the blob only on a digest match."""
        self.blobs_dir().mkdir(parents=True, exist_ok=True)
        return BlobWriter(self.blobs_dir(), self.blob_path, expected)

    def write_blob(self, chunks: Iterable[bytes], expected: Digest | None = None) -> Digest:
        with self.blob_writer(expected) as writer:
            for chunk in chunks:
                writer.write(chunk)
            return writer.commit()

    def write_blob_bytes(self, data: bytes) -> Digest:
        """Store ``data`` unless an identical blob exists; returns its digest."""
        digest = Digest.of_bytes(data)
        if not self.has_blob(digest):
            self.write_blob([data], digest)
        return digest

    def read_blob_text(self, digest: Digest, limit: int = 16 << 20) -> str:
        with self.blob_path(digest).open("rb") as f:
            return f.read(limit).decode("utf-8", errors="replace")

    # -- manifests ---------------------------------------------------------------------------
    def resolve(self, name: ModelName) -> ModelName:
        """``name`` with each part in the casing of an existing entry equal to it ignoring case."""
        directory, parts = self.manifests_dir(), []
        for part in name.parts():
            match = part
            if directory.is_dir():
                for entry in os.listdir(directory):
                    if entry.lower() == part.lower():
                        match = entry
                        break
            parts.append(match)
            directory = directory / match
        host, namespace, model, tag = parts
        return ModelName(host, namespace, model, tag, name.scheme, name.explicit_scheme)

    def read_manifest(self, name: ModelName) -> Manifest:
        """The manifest of ``name`` (resolved case-insensitively); raises ModelNotFound."""
        path = self.manifest_path(self.resolve(name))
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ModelNotFound(f"model '{name.short()}' not found") from None
        return Manifest.parse(raw)

    def manifest_mtime(self, name: ModelName) -> datetime:
        stat = self.manifest_path(self.resolve(name)).stat()
        return datetime.fromtimestamp(stat.st_mtime).astimezone()

    def write_manifest(self, name: ModelName, manifest: Manifest) -> ModelName:
        """Atomically write the manifest of ``name``; returns the name as stored."""
        stored = self.resolve(name)
        path = self.manifest_path(stored)
        with self._locked():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
            try:
                with tmp.open("wb") as f:
                    f.write(manifest.raw)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
                fsync_dir(path.parent)
            finally:
                tmp.unlink(missing_ok=True)
        return stored

    def delete_model(self, name: ModelName) -> None:
        """Remove the manifest of ``name`` and every blob of it that no other manifest uses."""
        stored = self.resolve(name)
        with self._locked():
            manifest = self.read_manifest(stored)
            self.manifest_path(stored).unlink()
            self._remove_empty_dirs(self.manifest_path(stored).parent)
            self.remove_unreferenced(manifest.all_digests())

    def remove_unreferenced(self, candidates: set[Digest]) -> None:
        """Delete those of ``candidates`` that no readable manifest references."""
        with self._locked():
            entries, broken = self._scan()
            if broken:
                log.warning("not removing blobs: %d manifest(s) could not be read", broken)
                return
            used = set().union(*(entry.manifest.all_digests() for entry in entries))
            for digest in candidates - used:
                self.blob_path(digest).unlink(missing_ok=True)

    def list_models(self) -> list[ModelEntry]:
        """Every readable model, most recently modified first."""
        entries, _ = self._scan()
        return sorted(entries, key=lambda e: e.modified, reverse=True)

    def _scan(self) -> tuple[list[ModelEntry], int]:
        entries, broken = [], 0
        for parts in self._manifest_files():
            name = ModelName(*parts)
            if not name.is_valid():
                continue
            path = self.manifests_dir().joinpath(*parts)
            try:
                manifest = Manifest.parse(path.read_bytes())
                modified = datetime.fromtimestamp(path.stat().st_mtime).astimezone()
            except (OSError, ManifestError, PollamaError) as err:
                log.warning("skipping unreadable manifest %s: %s", name, err)
                broken += 1
                continue
            entries.append(ModelEntry(name, manifest, modified))
        return entries, broken

    def _manifest_files(self) -> Iterator[tuple[str, str, str, str]]:
        top = self.manifests_dir()
        if not top.is_dir():
            return
        for host in _subdirs(top):
            for namespace in _subdirs(top / host):
                for model in _subdirs(top / host / namespace):
                    for tag in os.listdir(top / host / namespace / model):
                        if (top / host / namespace / model / tag).is_file() and not tag.startswith(
                            "."
                        ):
                            yield host, namespace, model, tag

    def _remove_empty_dirs(self, directory: Path) -> None:
        top = self.manifests_dir()
        while directory != top and directory.is_relative_to(top):
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent

    # -- maintenance ---------------------------------------------------------------------------
    def prune(self, now: float | None = None, max_age: float = PRUNE_AGE_SECONDS) -> int:
        """Delete unreferenced blobs and stray files older than ``max_age``; returns the count.

        The files of an interrupted download (``<blob>-partial``, ``<blob>-partial-N``) are kept
        until they are ``PARTIAL_AGE_SECONDS`` old, so that the pull can resume.

        Legacy ``sha256:<hex>`` blob names are renamed first. Nothing is deleted while any manifest
        is unreadable, so a corrupt manifest never costs the blobs it may still refer to.
        """
        blobs = self.blobs_dir()
        if not blobs.is_dir():
            return 0
        now = time.time() if now is None else now
        with self._locked():
            self._fix_legacy_blob_names()
            entries, broken = self._scan()
            if broken:
                log.warning("skipping prune: %d manifest(s) could not be read", broken)
                return 0
            used = {d.filename for e in entries for d in e.manifest.all_digests()}
            removed = 0
            for entry in os.scandir(blobs):
                age = now - entry.stat().st_mtime
                keep_for = PARTIAL_AGE_SECONDS if _RESUMABLE_RE.fullmatch(entry.name) else max_age
                if entry.name in used or age < keep_for:
                    continue
                Path(entry.path).unlink(missing_ok=True)
                removed += 1
            return removed

    def _fix_legacy_blob_names(self) -> None:
        for entry in os.scandir(self.blobs_dir()):
            if entry.name.startswith("sha256:") and is_digest(entry.name):
                target = self.blob_path(Digest.parse(entry.name))
                os.replace(entry.path, target)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise writers in this process and, through flock, with other processes.

        Re-entrant within a thread: only the outermost holder takes the file lock, because a
        second flock on a fresh descriptor would wait for the first one forever.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.root.mkdir(parents=True, exist_ok=True)
            with (self.root / ".pollama.lock").open("a") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
                    fcntl.flock(lock_file, fcntl.LOCK_UN)


def _subdirs(path: Path) -> list[str]:
    return [e.name for e in os.scandir(path) if e.is_dir(follow_symlinks=False)]


__all__ = ["ModelEntry", "Store", "StorePathError"]
