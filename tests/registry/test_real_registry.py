"""Push and pull against a real registry (Debian's docker-registry) on loopback."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pollama.errors import ModelNotFound
from pollama.names import ModelName
from pollama.registry import (
    DownloadOptions,
    RegistryClient,
    RetryPolicy,
    UploadOptions,
    push_to_registry,
)
from pollama.store import CONFIG_MEDIA_TYPE, Layer, Manifest, MediaType, Store
from tests.registry.helpers import LoopbackOnly, make_model, registry_pull, statuses
from tests.support.real_registry import RealRegistry


def client_for(http: httpx.Client, name: ModelName, retry: RetryPolicy) -> RegistryClient:
    return RegistryClient(http, name, insecure=True, retry=retry)


def test_push_delete_pull_gives_identical_model(
    real_registry: RealRegistry,
    http: httpx.Client,
    retry: RetryPolicy,
    store: Store,
    small_parts: DownloadOptions,
    upload_parts: UploadOptions,
) -> None:
    name = ModelName.parse(f"{real_registry.host}/ns/roundtrip:v1")
    manifest = make_model(store, name, size=700_000, seed=7)
    client = client_for(http, name, retry)
    blobs = {d: store.blob_path(d).read_bytes() for d in manifest.all_digests()}
    pushed = list(push_to_registry(store, name, client, options=upload_parts))
    assert statuses(pushed)[0] == "retrieving manifest"
    assert statuses(pushed)[-2:] == ["pushing manifest", "success"]

    store.delete_model(name)
    assert not any(store.has_blob(d) for d in blobs)
    pulled = list(registry_pull(store, name, client, small_parts))
    assert statuses(pulled)[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    again = store.read_manifest(name)
    assert again.raw == manifest.raw and again.digest == manifest.digest
    assert {d: store.blob_path(d).read_bytes() for d in again.all_digests()} == blobs

    # Pushing what the registry has sends no blob again.
    repushed = list(push_to_registry(store, name, client, options=upload_parts))
    assert all(e.completed == e.total for e in repushed if e.digest)


def test_pull_into_a_fresh_store_and_unknown_tags(
    real_registry: RealRegistry,
    http: httpx.Client,
    retry: RetryPolicy,
    tmp_path: Path,
    small_parts: DownloadOptions,
    upload_parts: UploadOptions,
) -> None:
    source, target = Store(tmp_path / "a"), Store(tmp_path / "b")
    name = ModelName.parse(f"{real_registry.host}/ns/fresh:latest")
    manifest = make_model(source, name, size=250_000, seed=3)
    client = client_for(http, name, retry)
    list(push_to_registry(source, name, client, options=upload_parts))
    list(registry_pull(target, name, client, small_parts))
    assert target.read_manifest(name).raw == manifest.raw
    missing = name.with_tag("nope")
    with pytest.raises(ModelNotFound, match="^pull model manifest: file does not exist$"):
        list(registry_pull(target, missing, client_for(http, missing, retry), small_parts))


def test_cross_repository_mount(
    real_registry: RealRegistry,
    http: httpx.Client,
    transport: LoopbackOnly,
    retry: RetryPolicy,
    tmp_path: Path,
    small_parts: DownloadOptions,
    upload_parts: UploadOptions,
) -> None:
    store = Store(tmp_path / "s")
    base = ModelName.parse(f"{real_registry.host}/ns/base:v1")
    manifest = make_model(store, base, size=200_000, seed=5)
    list(push_to_registry(store, base, client_for(http, base, retry), options=upload_parts))
    derived = ModelName.parse(f"{real_registry.host}/other/derived:v1")
    weights = manifest.layers[0]
    layer = Layer(weights.media_type, weights.digest, weights.size, str(base))
    store.write_manifest(derived, Manifest.build(manifest.config, [layer]))
    client = client_for(http, derived, retry)
    transport.requests.clear()
    list(push_to_registry(store, derived, client, options=upload_parts))
    mounts = [url for method, url in transport.requests if method == "POST" and "mount=" in url]
    assert len(mounts) == 1 and "from=ns%2Fbase" in mounts[0]
    finished = [url for method, url in transport.requests if method == "PUT" and "digest=" in url]
    assert len(finished) == 1 and weights.digest.hex not in finished[0]  # only the config went up
    fresh = Store(tmp_path / "fresh")
    list(registry_pull(fresh, derived, client, small_parts))
    assert (
        fresh.blob_path(weights.digest).read_bytes() == store.blob_path(weights.digest).read_bytes()
    )


@pytest.mark.slow
def test_smollm2_round_trip(
    real_registry: RealRegistry,
    http: httpx.Client,
    retry: RetryPolicy,
    tmp_path: Path,
    smollm2_path: Path,
) -> None:
    """The real SmolLM2 GGUF goes up and comes back bit for bit (parts of 8 to 16 MiB)."""
    store = Store(tmp_path / "s")
    name = ModelName.parse(f"{real_registry.host}/library/smollm2:135m")
    with smollm2_path.open("rb") as f:
        digest = store.write_blob(iter(lambda: f.read(1 << 20), b""))
    size = store.blob_size(digest)
    config = store.write_blob_bytes(b'{"model_format":"gguf","model_family":"llama"}')
    manifest = Manifest.build(
        Layer(CONFIG_MEDIA_TYPE, config, store.blob_size(config)),
        [Layer(MediaType.MODEL, digest, size)],
    )
    store.write_manifest(name, manifest)
    client = client_for(http, name, retry)
    upload = UploadOptions(min_part_size=16 << 20, max_part_size=32 << 20)
    list(push_to_registry(store, name, client, options=upload))
    store.delete_model(name)
    download = DownloadOptions(min_part_size=8 << 20, max_part_size=16 << 20)
    list(registry_pull(store, name, client, download))
    assert store.read_manifest(name).raw == manifest.raw
    assert store.blob_size(digest) == size == smollm2_path.stat().st_size
