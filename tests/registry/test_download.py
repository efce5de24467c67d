"""BlobDownload and publish_blob: resume from state files, stale or foreign states, sizes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from pollama.digest import Digest
from pollama.errors import RegistryError
from pollama.names import ModelName
from pollama.registry import BlobDownload, DownloadOptions, RegistryClient, publish_blob
from pollama.registry.partial import PartialFiles
from pollama.registry.parts import Part
from pollama.store import Layer, MediaType, Store
from tests.registry.helpers import random_bytes
from tests.support.fake_registry import FakeRegistry

Connect = Callable[[str], tuple[ModelName, RegistryClient]]
SIZE = 300_000


@pytest.fixture
def blob(fake: FakeRegistry) -> tuple[Layer, bytes]:
    data = random_bytes(SIZE, 11)
    return Layer(MediaType.MODEL, Digest.parse(fake.add_blob(data)), SIZE), data


def download(
    store: Store, client: RegistryClient, layer: Layer, options: DownloadOptions
) -> list[int]:
    progress = list(BlobDownload(store, client, layer, options).run())
    publish_blob(store, layer)
    return progress


def test_progress_counts_bytes_already_there(
    fake: FakeRegistry,
    connect: Connect,
    store: Store,
    blob: tuple[Layer, bytes],
    small_parts: DownloadOptions,
) -> None:
    layer, data = blob
    files = PartialFiles(store, layer.digest)
    store.blobs_dir().mkdir(parents=True)
    # An earlier run (Ollama's part layout: 2 parts) finished the first part only.
    files.data.write_bytes(data[:100_000] + b"\0" * (SIZE - 100_000))
    files.save(Part(0, 0, 100_000, 100_000))
    files.save(Part(1, 100_000, SIZE - 100_000, 0))
    _, client = connect(f"{fake.host}/ns/m:t")
    progress = download(store, client, layer, small_parts)
    assert progress[0] >= 100_000 and progress[-1] == SIZE
    assert store.blob_path(layer.digest).read_bytes() == data
    assert sum(h.sent for h in fake.blob_hits()) == SIZE - 100_000 + 1  # + the 1-byte probe
    assert sorted(p.name for p in store.blobs_dir().iterdir()) == [layer.digest.filename]


def test_states_without_data_start_over(
    fake: FakeRegistry,
    connect: Connect,
    store: Store,
    blob: tuple[Layer, bytes],
    small_parts: DownloadOptions,
) -> None:
    layer, data = blob
    files = PartialFiles(store, layer.digest)
    store.blobs_dir().mkdir(parents=True)
    files.save(Part(0, 0, SIZE, SIZE))  # claims everything, but the data file is gone
    _, client = connect(f"{fake.host}/ns/m:t")
    download(store, client, layer, small_parts)
    assert store.blob_path(layer.digest).read_bytes() == data


def test_corrupt_states_start_over(
    fake: FakeRegistry,
    connect: Connect,
    store: Store,
    blob: tuple[Layer, bytes],
    small_parts: DownloadOptions,
) -> None:
    layer, data = blob
    files = PartialFiles(store, layer.digest)
    store.blobs_dir().mkdir(parents=True)
    files.data.write_bytes(b"\xff" * SIZE)
    files.save(Part(0, 0, 10, 10))  # does not cover the blob
    files.state_path(1).write_bytes(b"garbage")
    _, client = connect(f"{fake.host}/ns/m:t")
    download(store, client, layer, small_parts)
    assert store.blob_path(layer.digest).read_bytes() == data


def test_a_complete_partial_is_published_without_fetching(
    fake: FakeRegistry,
    connect: Connect,
    store: Store,
    blob: tuple[Layer, bytes],
    small_parts: DownloadOptions,
) -> None:
    layer, data = blob
    files = PartialFiles(store, layer.digest)
    store.blobs_dir().mkdir(parents=True)
    files.data.write_bytes(data)
    files.save(Part(0, 0, SIZE, SIZE))
    _, client = connect(f"{fake.host}/ns/m:t")
    assert download(store, client, layer, small_parts)[-1] == SIZE
    assert fake.hits == []
    assert store.blob_path(layer.digest).read_bytes() == data


def test_publishing_an_incomplete_download_fails(store: Store, blob: tuple[Layer, bytes]) -> None:
    layer, _ = blob
    with pytest.raises(RegistryError, match="is not complete"):
        publish_blob(store, layer)
    assert not store.has_blob(layer.digest)


@pytest.mark.parametrize("size", [0, -1, (1 << 40) + 1], ids=["zero", "negative", "too-big"])
def test_unacceptable_sizes(
    fake: FakeRegistry, connect: Connect, store: Store, size: int, small_parts: DownloadOptions
) -> None:
    _, client = connect(f"{fake.host}/ns/m:t")
    layer = Layer(MediaType.MODEL, Digest("d" * 64), size)
    with pytest.raises(RegistryError, match="unacceptable size"):
        list(BlobDownload(store, client, layer, small_parts).run())
    assert fake.hits == []


ONE_CONNECTION = DownloadOptions(
    min_part_size=64 << 10, max_part_size=64 << 10, ramp_window=60.0, read_chunk=16 << 10
)


def _ranges(fake: FakeRegistry, layer: Layer) -> list[str]:
    """The Range headers of the blob GETs, without the 1-byte probe that resolves the URL."""
    ranges = [h.headers.get("range", "") for h in fake.blob_hits(str(layer.digest))]
    return [r for r in ranges if r != "bytes=0-0"]


def test_one_connection_reads_every_part_in_one_request(
    fake: FakeRegistry, connect: Connect, store: Store, blob: tuple[Layer, bytes]
) -> None:
    layer, data = blob
    _, client = connect(f"{fake.host}/ns/m:t")
    download = BlobDownload(store, client, layer, ONE_CONNECTION)
    list(download.run())
    publish_blob(store, layer, digest_seen=download.digest_seen)
    assert store.blob_path(layer.digest).read_bytes() == data
    assert _ranges(fake, layer) == [f"bytes=0-{SIZE - 1}"]  # 5 parts, one request
    assert download.peak_connections == 1 and download.digest_seen == layer.digest
    assert all(part.remaining == 0 for part in download.parts)


def test_a_resumed_run_asks_only_for_the_missing_stretches(
    fake: FakeRegistry, connect: Connect, store: Store, blob: tuple[Layer, bytes]
) -> None:
    layer, data = blob
    files = PartialFiles(store, layer.digest)
    store.blobs_dir().mkdir(parents=True)
    # Part 1 of 5 (64 KiB each) is complete, part 3 half done: four stretches are missing.
    part = 64 << 10
    kept = {1: part, 3: part // 2}
    content = bytearray(SIZE)
    for n, done in kept.items():
        content[n * part : n * part + done] = data[n * part : n * part + done]
    files.data.write_bytes(bytes(content))
    for n in range(5):
        size = min(part, SIZE - n * part)
        files.save(Part(n, n * part, size, kept.get(n, 0)))
    _, client = connect(f"{fake.host}/ns/m:t")
    download(store, client, layer, ONE_CONNECTION)
    assert store.blob_path(layer.digest).read_bytes() == data
    assert _ranges(fake, layer) == [
        f"bytes=0-{part - 1}",
        f"bytes={2 * part}-{3 * part - 1}",
        f"bytes={3 * part + part // 2}-{SIZE - 1}",  # the rest of part 3, then part 4
    ]


def test_a_second_download_of_a_blob_follows_the_first_ones_progress(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    size = 1 << 20
    data = random_bytes(size, 21)
    layer = Layer(MediaType.MODEL, Digest.parse(fake.add_blob(data)), size)
    fake.faults.throttle = 0.01  # 64 chunks over 4 connections: 160 ms at least
    _, client = connect(f"{fake.host}/ns/m:t")
    first = BlobDownload(store, client, layer, small_parts)
    worker = threading.Thread(target=lambda: list(first.run()))
    worker.start()
    files = PartialFiles(store, layer.digest)
    deadline = time.monotonic() + 10
    while files.load(size) is None and time.monotonic() < deadline:  # the first one has begun
        time.sleep(0.005)
    second = BlobDownload(store, client, layer, small_parts)
    progress = list(second.run())
    worker.join()
    assert any(0 < completed < size for completed in progress)  # it moved while it waited
    assert progress[-1] == size and second.digest_seen == layer.digest
    publish_blob(store, layer, digest_seen=second.digest_seen)
    assert store.blob_path(layer.digest).read_bytes() == data
    assert sum(h.sent for h in fake.blob_hits()) == size + 1  # fetched once, + the 1-byte probe
