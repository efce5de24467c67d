"""A pull fetches a model's small blobs in the background from the start, and still reports
every layer in manifest order."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from pollama.digest import Digest
from pollama.errors import NotFound
from pollama.names import ModelName
from pollama.registry import DownloadOptions, RegistryClient
from pollama.registry.partial import PartialFiles
from pollama.registry.prefetch import SMALL_BLOB
from pollama.store import Manifest, Store
from tests.registry.helpers import registry_pull, serve_model
from tests.support.fake_registry import FakeRegistry

Connect = Callable[[str], tuple[ModelName, RegistryClient]]
WEIGHTS = 2 << 20


def _downloaded(store: Store, digest: Digest, size: int) -> bool:
    """Whether every byte of ``digest`` is in its partial file (downloaded, not yet published)."""
    parts = PartialFiles(store, digest).load(size)
    return parts is not None and all(part.remaining == 0 for part in parts)


def test_small_blobs_arrive_while_the_weights_are_still_coming(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    text, raw, weights = serve_model(fake, size=WEIGHTS)
    manifest = Manifest.parse(raw)
    big = manifest.layers[0]
    small = [layer for layer in (*manifest.layers[1:], manifest.config)]
    assert big.size == WEIGHTS and all(layer.size <= SMALL_BLOB for layer in small)
    fake.faults.throttle = 0.01  # 128 chunks of the weights over 4 connections: 320 ms at least
    name, client = connect(text)
    early = False
    order: list[str] = []
    for event in registry_pull(store, name, client, small_parts):
        if event.digest and (not order or order[-1] != event.digest):
            order.append(event.digest)
        if event.digest == str(big.digest) and (event.completed or 0) < big.size:
            early = early or all(_downloaded(store, s.digest, s.size) for s in small)
    assert early, "the small blobs were not fetched while the weights downloaded"
    assert order == [str(big.digest), *(str(layer.digest) for layer in small)]
    assert store.blob_path(big.digest).read_bytes() == weights
    assert all(store.has_blob(layer.digest) for layer in small)


def test_a_missing_small_blob_fails_the_pull_before_the_weights_are_done(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    text, raw, _ = serve_model(fake, size=WEIGHTS)
    manifest = Manifest.parse(raw)
    del fake.blobs[str(manifest.config.digest)]
    fake.faults.throttle = 0.02  # the weights alone would take 2.5 s at least
    name, client = connect(text)
    options = dataclasses.replace(small_parts, concurrency=1)
    with pytest.raises(NotFound):
        list(registry_pull(store, name, client, options))
    sent = sum(h.sent for h in fake.blob_hits(str(manifest.layers[0].digest)))
    assert sent < WEIGHTS
    assert not any(store.has_blob(d) for d in manifest.all_digests())
