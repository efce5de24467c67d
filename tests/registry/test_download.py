"""BlobDownload and publish_blob: resume from state files, stale or foreign states, sizes."""

from __future__ import annotations

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
