"""PrefixHasher follows the contiguous completed prefix; publish_blob uses its digest only when
it is the blob's."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import pollama.registry.download as download
from pollama.digest import Digest
from pollama.errors import DigestMismatch
from pollama.registry import publish_blob
from pollama.registry.partial import PartialFiles
from pollama.registry.parts import Part, contiguous_prefix, plan_parts
from pollama.registry.prefixhash import PrefixHasher
from pollama.store import Layer, MediaType, Store
from tests.registry.helpers import random_bytes

DATA = random_bytes(1_000_000, 9)
DIGEST = Digest(hashlib.sha256(DATA).hexdigest())


def test_contiguous_prefix_stops_at_the_first_gap() -> None:
    parts = plan_parts(300, min_size=100, max_size=100, count=3)
    assert contiguous_prefix(parts) == 0
    parts[1].completed = 100
    assert contiguous_prefix(parts) == 0
    parts[0].completed = 60
    assert contiguous_prefix(parts) == 60
    parts[0].completed = 100
    parts[2].completed = 30
    assert contiguous_prefix(parts) == 230
    parts[2].completed = 100
    assert contiguous_prefix(parts) == 300


def _started(hasher: PrefixHasher) -> PrefixHasher:
    hasher.start()
    return hasher


@pytest.fixture
def fd(tmp_path: Path) -> Iterator[int]:
    """A read-write descriptor of an empty file."""
    descriptor = os.open(tmp_path / "blob", os.O_RDWR | os.O_CREAT)
    yield descriptor
    os.close(descriptor)


def _fill(fd: int, part: Part, hasher: PrefixHasher, step: int) -> None:
    while part.remaining:
        size = min(step, part.remaining)
        offset = part.offset + part.completed
        os.pwrite(fd, DATA[offset : offset + size], offset)
        part.completed += size
        hasher.advanced()


def test_parts_filled_out_of_order_in_threads_hash_to_the_blob(fd: int) -> None:
    os.ftruncate(fd, len(DATA))
    parts = plan_parts(len(DATA), min_size=150_000, max_size=150_000, count=7)
    hasher = _started(PrefixHasher(fd, parts, len(DATA)))
    writers = [
        threading.Thread(target=_fill, args=(fd, part, hasher, 7_000 + 1_000 * part.n))
        for part in reversed(parts)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert hasher.finish() == DIGEST


def test_a_prefix_already_on_disk_is_hashed_too(fd: int) -> None:
    os.pwrite(fd, DATA, 0)
    parts = [Part(0, 0, 400_000, 400_000), Part(1, 400_000, 600_000, 0)]
    hasher = _started(PrefixHasher(fd, parts, len(DATA)))
    _fill(fd, parts[1], hasher, 50_000)
    assert hasher.finish() == DIGEST


def test_missing_bytes_or_a_discard_give_no_digest(fd: int) -> None:
    os.pwrite(fd, DATA, 0)
    parts = [Part(0, 0, 500_000, 500_000), Part(1, 500_000, 500_000, 499_999)]
    assert _started(PrefixHasher(fd, parts, len(DATA))).finish() is None
    parts[1].completed = 500_000
    hasher = _started(PrefixHasher(fd, parts, len(DATA)))
    hasher.discard()
    assert hasher.finish() is None
    assert _started(PrefixHasher(fd, parts, len(DATA))).finish() == DIGEST


def _complete_partial(store: Store, data: bytes) -> Layer:
    layer = Layer(MediaType.MODEL, DIGEST, len(DATA))
    files = PartialFiles(store, layer.digest)
    store.blobs_dir().mkdir(parents=True, exist_ok=True)
    files.data.write_bytes(data)
    files.save(Part(0, 0, len(DATA), len(DATA)))
    return layer


def test_publish_trusts_only_the_blobs_own_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "store")
    layer = _complete_partial(store, DATA)
    hashed: list[int] = []
    real_hash = download._hash_fd
    monkeypatch.setattr(
        download, "_hash_fd", lambda fd, size: hashed.append(size) or real_hash(fd, size)
    )
    publish_blob(store, layer, digest_seen=DIGEST)
    assert hashed == [] and store.blob_path(DIGEST).read_bytes() == DATA

    other = Store(tmp_path / "other")
    layer = _complete_partial(other, DATA)
    publish_blob(other, layer, digest_seen=Digest("0" * 64))  # a wrong hint: read the file
    assert hashed == [len(DATA)] and other.has_blob(DIGEST)

    corrupt = Store(tmp_path / "corrupt")
    layer = _complete_partial(corrupt, b"x" + DATA[1:])
    with pytest.raises(DigestMismatch):
        publish_blob(corrupt, layer, digest_seen=None)
    assert not corrupt.has_blob(DIGEST)
