"""Pulling from the fake registry: Ollama's events, the store afterwards, cache hits, pruning,
resume after an interruption, and fitting pollama.pull's ModelSource."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import httpx

from pollama.digest import Digest
from pollama.names import ModelName
from pollama.progress import Progress
from pollama.pull import pull_from
from pollama.registry import (
    DownloadOptions,
    RegistryClient,
    RegistrySource,
)
from pollama.store import Manifest, Store
from tests.registry.helpers import registry_pull, serve_model, statuses
from tests.support.fake_registry import FakeRegistry

Connect = Callable[[str], tuple[ModelName, RegistryClient]]


def pull(
    store: Store, connect: Connect, text: str, options: DownloadOptions, **kw: bool
) -> list[Progress]:
    name, client = connect(text)
    return list(registry_pull(store, name, client, options, **kw))


def test_events_and_store_after_a_pull(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    text, raw, weights = serve_model(fake)
    events = pull(store, connect, text, small_parts)
    manifest = Manifest.parse(raw)
    layer_statuses = [
        f"pulling {layer.digest.short}" for layer in (*manifest.layers, manifest.config)
    ]
    assert statuses(events) == [
        "pulling manifest",
        *layer_statuses,
        "verifying sha256 digest",
        "writing manifest",
        "success",
    ]
    for layer in (*manifest.layers, manifest.config):
        mine = [e for e in events if e.digest == str(layer.digest)]
        assert all(e.total == layer.size for e in mine)
        completed = [e.completed or 0 for e in mine]
        assert completed == sorted(completed) and completed[-1] == layer.size
        assert store.blob_path(layer.digest).read_bytes() == fake.blobs[str(layer.digest)]
    assert store.read_manifest(ModelName.parse(text)).raw == raw
    assert store.blob_path(manifest.layers[0].digest).read_bytes() == weights
    assert sorted(p.name for p in store.blobs_dir().iterdir()) == sorted(
        d.filename for d in manifest.all_digests()
    )
    assert [e.to_json() for e in events][-1] == {"status": "success"}


def test_complete_model_pulls_at_once_without_fetching_blobs(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    text, raw, _ = serve_model(fake, size=2_000_000)
    pull(store, connect, text, small_parts)
    fake.reset_log()
    started = time.monotonic()
    events = pull(store, connect, text, small_parts)
    assert time.monotonic() - started < 1.0
    assert [(h.method, h.path.split("/")[-2]) for h in fake.hits] == [("GET", "manifests")]
    manifest = Manifest.parse(raw)
    per_layer = [e for e in events if e.digest]
    assert len(per_layer) == len(manifest.all_digests())
    assert all(e.completed == e.total for e in per_layer)


def test_replacing_a_manifest_removes_unused_layers(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    text, raw_old, _ = serve_model(fake, seed=1)
    pull(store, connect, text, small_parts)
    old_weights = Manifest.parse(raw_old).layers[0].digest
    serve_model(fake, seed=2)
    events = pull(store, connect, text, small_parts)
    assert "removing unused layers" in statuses(events)
    assert not store.has_blob(old_weights)


def test_noprune_keeps_old_layers(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    text, raw_old, _ = serve_model(fake, seed=1)
    pull(store, connect, text, small_parts)
    serve_model(fake, seed=2)
    events = pull(store, connect, text, small_parts, noprune=True)
    assert "removing unused layers" not in statuses(events)
    assert store.has_blob(Manifest.parse(raw_old).layers[0].digest)


def test_server_ignoring_range_is_read_as_one_stream(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    text, raw, weights = serve_model(fake, size=1_000_000)
    fake.faults.ignore_range = True
    pull(store, connect, text, small_parts)
    digest = Manifest.parse(raw).layers[0].digest
    assert store.blob_path(digest).read_bytes() == weights


def test_a_cdn_redirect_is_followed(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    cdn = FakeRegistry().start()
    try:
        text, raw, weights = serve_model(fake, size=500_000)
        cdn.blobs.update(fake.blobs)
        fake.faults.redirect_to = f"{cdn.url}/v2/cdn/x/blobs"
        pull(store, connect, text, small_parts)
        assert store.blob_path(Manifest.parse(raw).layers[0].digest).read_bytes() == weights
        assert sum(h.sent for h in cdn.blob_hits()) >= len(weights)
    finally:
        cdn.stop()


def test_stalled_parts_restart_and_finish(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    text, raw, weights = serve_model(fake, size=400_000)
    fake.faults.stall_after = 32 << 10  # every response goes silent after 32 KiB
    options = dataclasses.replace(small_parts, stall_timeout=0.2)
    pull(store, connect, text, options)
    assert store.blob_path(Manifest.parse(raw).layers[0].digest).read_bytes() == weights


def test_cancelled_pull_resumes_with_the_remaining_bytes(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    size = 2 << 20
    text, raw, weights = serve_model(fake, size=size)
    fake.faults.throttle = 0.005
    name, client = connect(text)
    digest = Manifest.parse(raw).layers[0].digest
    events = registry_pull(store, name, client, small_parts)
    done_at_close = 0
    for event in events:
        if event.digest == str(digest) and (event.completed or 0) >= size // 3:
            done_at_close = event.completed or 0
            break
    events.close()
    first = _wait_settled(fake)
    assert not store.has_blob(digest)
    assert any(p.name.endswith("-partial-0") for p in store.blobs_dir().iterdir())
    fake.faults.throttle = 0
    fake.reset_log()
    pull(store, connect, text, small_parts)
    second = sum(h.sent for h in fake.blob_hits(str(digest)))
    assert store.blob_path(digest).read_bytes() == weights
    # Only the missing bytes came again (plus what was in flight when the pull was stopped).
    assert second <= size - done_at_close + 4 * (16 << 10) + 1
    # Waste: per worker, what sat in socket and read buffers (64 KiB reads) when it stopped.
    assert first + second <= size + 4 * (80 << 10) + 2


def _wait_settled(fake: FakeRegistry) -> int:
    """Blob bytes the fake has sent, once that number stops moving."""
    last = -1
    while fake.blob_bytes_sent != last:
        last = fake.blob_bytes_sent
        time.sleep(0.2)
    return last


CHILD = """
import sys
from pathlib import Path
import httpx
from pollama.names import ModelName
from pollama.pull import pull_from
from pollama.registry import DownloadOptions, RegistryClient, RegistrySource
from pollama.store import Store

store, name = Store(Path(sys.argv[1])), ModelName.parse(sys.argv[2])
options = DownloadOptions(
    min_part_size=512 << 10, max_part_size=512 << 10, read_chunk=16 << 10, save_interval=0.05
)
with httpx.Client(trust_env=False) as http:
    client = RegistryClient(http, name, insecure=True)
    source = RegistrySource(lambda _name, _insecure: client, options)
    for event in pull_from(store, name, [source], insecure=True):
        print(event.to_json(), flush=True)
"""


def test_killed_pull_resumes_losing_at_most_one_part(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    """A pull killed with SIGKILL midway re-downloads at most one part's worth of bytes."""
    # Per worker, a kill loses the bytes since its last save (1/16 part) and what sat in read
    # buffers (up to 64 KiB); with 4 workers that stays under one 512 KiB part.
    size, part = 8 << 20, 512 << 10
    text, raw, weights = serve_model(fake, size=size)
    digest = Manifest.parse(raw).layers[0].digest
    fake.faults.throttle = 0.01
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store.root), text],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while fake.blob_bytes_sent < size // 2:
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.005)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
        if child.stderr:
            child.stderr.close()
    first = _wait_settled(fake)
    saved = sum(
        json.loads(p.read_bytes())["Completed"]
        for p in store.blobs_dir().glob(f"{digest.filename}-partial-*")
        if p.name.rsplit("-", 1)[-1].isdigit()
    )
    assert size // 4 < saved < size
    fake.faults.throttle = 0
    fake.reset_log()
    pull(store, connect, text, DownloadOptions(min_part_size=part, max_part_size=part))
    second = sum(h.sent for h in fake.blob_hits(str(digest)))
    assert store.blob_path(digest).read_bytes() == weights
    assert second <= size - saved + 1  # exactly the unsaved bytes (+1: the redirect probe)
    assert first + second - size <= part  # what the kill cost: at most one part


def test_two_pulls_of_one_blob_share_the_work(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    text, raw, weights = serve_model(fake, size=1_000_000)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            pull(store, connect, text, small_parts)
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    digest = Manifest.parse(raw).layers[0].digest
    assert store.blob_path(digest).read_bytes() == weights
    assert sum(h.sent for h in fake.blob_hits(str(digest))) <= len(weights) + 2


def test_registry_source_fits_pollama_pull(
    fake: FakeRegistry, http: httpx.Client, store: Store, small_parts: DownloadOptions
) -> None:
    text, raw, _ = serve_model(fake)
    source = RegistrySource(
        lambda n, insecure: RegistryClient(http, n, insecure=insecure), small_parts
    )
    events = list(pull_from(store, ModelName.parse(text), [source], insecure=True))
    assert statuses(events)[0] == "pulling manifest" and statuses(events)[-1] == "success"
    assert store.read_manifest(ModelName.parse(text)).raw == raw
    assert Digest.of_bytes(raw) == store.read_manifest(ModelName.parse(text)).digest


def test_partial_files_use_ollama_names(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    text, raw, _ = serve_model(fake, size=1_000_000)
    fake.faults.throttle = 0.01
    name, client = connect(text)
    digest = Manifest.parse(raw).layers[0].digest
    events = registry_pull(store, name, client, small_parts)
    for event in events:
        if event.digest == str(digest) and (event.completed or 0) > 0:
            break
    events.close()
    _wait_settled(fake)
    names = {p.name for p in store.blobs_dir().iterdir()}
    assert f"{digest.filename}-partial" in names
    state = json.loads((store.blobs_dir() / f"{digest.filename}-partial-0").read_bytes())
    assert set(state) == {"N", "Offset", "Size", "Completed"}
    assert (store.blobs_dir() / f"{digest.filename}-partial").stat().st_size == 1_000_000
