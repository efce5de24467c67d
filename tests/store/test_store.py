from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pollama.digest import Digest
from pollama.errors import DigestMismatch, InvalidName, ModelNotFound
from pollama.names import ModelName
from pollama.store import CONFIG_MEDIA_TYPE, Layer, Manifest, MediaType, Store
from pollama.store.store import StorePathError


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "models")


def make_model(store: Store, name: str, *payloads: bytes) -> Manifest:
    layers = [Layer(MediaType.MODEL, store.write_blob_bytes(p), len(p)) for p in payloads]
    config = b'{"model_format":"gguf"}\n'
    manifest = Manifest.build(
        Layer(CONFIG_MEDIA_TYPE, store.write_blob_bytes(config), len(config)), layers
    )
    store.write_manifest(ModelName.parse(name), manifest)
    return manifest


def test_layout_is_ollamas(store: Store) -> None:
    manifest = make_model(store, "kid", b"weights")
    path = store.root / "manifests" / "registry.ollama.ai" / "library" / "kid" / "latest"
    assert path.read_bytes() == manifest.raw
    blob = store.root / "blobs" / f"sha256-{Digest.of_bytes(b'weights').hex}"
    assert blob.read_bytes() == b"weights"
    assert manifest.digest == Digest.of_bytes(path.read_bytes())


def test_manifest_json_shape(store: Store) -> None:
    manifest = make_model(store, "kid", b"w")
    assert manifest.raw.startswith(
        b'{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",'
        b'"config":{"mediaType":"application/vnd.docker.container.image.v1+json",'
    )
    assert manifest.raw.endswith(b"}]}\n")
    assert Manifest.parse(manifest.raw) == manifest


def test_blob_writer_refuses_wrong_bytes_and_leaves_nothing(store: Store) -> None:
    expected = Digest.of_bytes(b"right")
    with pytest.raises(DigestMismatch, match="digest mismatch"):
        store.write_blob([b"wrong"], expected)
    assert not store.has_blob(expected)
    assert list(store.blobs_dir().iterdir()) == []


def test_blob_writer_abort_on_exception(store: Store) -> None:
    with pytest.raises(RuntimeError), store.blob_writer() as writer:
        writer.write(b"partial")
        raise RuntimeError("interrupted")
    assert list(store.blobs_dir().iterdir()) == []


def test_case_insensitive_lookup_reuses_stored_casing(store: Store) -> None:
    make_model(store, "MyModel:Tag", b"x")
    assert store.read_manifest(ModelName.parse("mymodel:tag")).layers
    make_model(store, "MYMODEL:TAG", b"y")
    models = store.list_models()
    assert [m.name.short() for m in models] == ["MyModel:Tag"]


def test_list_orders_by_modification_time(store: Store) -> None:
    make_model(store, "old", b"1")
    make_model(store, "new", b"2")
    old = store.manifest_path(ModelName.parse("old"))
    os.utime(old, (time.time() - 100, time.time() - 100))
    assert [m.name.model for m in store.list_models()] == ["new", "old"]


def test_delete_keeps_shared_blobs(store: Store) -> None:
    make_model(store, "a", b"shared", b"only-a")
    make_model(store, "b", b"shared")
    store.delete_model(ModelName.parse("a"))
    assert store.has_blob(Digest.of_bytes(b"shared"))
    assert not store.has_blob(Digest.of_bytes(b"only-a"))
    assert not (store.root / "manifests" / "registry.ollama.ai" / "library" / "a").exists()
    with pytest.raises(ModelNotFound):
        store.delete_model(ModelName.parse("a"))


def test_invalid_names_never_become_paths(store: Store) -> None:
    for text in ["../../etc/passwd", "a/b/c/d", "x:../y", ""]:
        with pytest.raises(InvalidName):
            store.manifest_path(ModelName.parse(text))
    with pytest.raises(StorePathError):
        store.blob_path(Digest("../" + "a" * 61))


def test_prune_removes_old_unreferenced_blobs_only(store: Store) -> None:
    make_model(store, "keep", b"kept")
    stray = store.write_blob_bytes(b"stray")
    young = store.write_blob_bytes(b"young")
    partial = store.blobs_dir() / "sha256-abc-partial"
    partial.write_bytes(b"junk")
    old = time.time() - 7200
    for path in (store.blob_path(stray), partial):
        os.utime(path, (old, old))
    assert store.prune() == 2
    assert store.has_blob(Digest.of_bytes(b"kept")) and store.has_blob(young)
    assert not store.has_blob(stray) and not partial.exists()


def test_prune_keeps_a_resumable_download_for_a_week(store: Store) -> None:
    store.blobs_dir().mkdir(parents=True, exist_ok=True)
    name = f"sha256-{'ab' * 32}-partial"
    data, state, stale = (store.blobs_dir() / n for n in (name, f"{name}-0", f"{name}-1"))
    for path in (data, state, stale):
        path.write_bytes(b"part")
    day_old, month_old = time.time() - 86400, time.time() - 30 * 86400
    for path in (data, state):
        os.utime(path, (day_old, day_old))
    os.utime(stale, (month_old, month_old))
    assert store.prune() == 1
    assert data.exists() and state.exists() and not stale.exists()


def test_prune_skips_when_a_manifest_is_corrupt(store: Store) -> None:
    make_model(store, "good", b"g")
    stray = store.write_blob_bytes(b"stray")
    os.utime(store.blob_path(stray), (0, 0))
    store.manifest_path(ModelName.parse("bad")).parent.mkdir(parents=True)
    store.manifest_path(ModelName.parse("bad")).write_text("{not json")
    assert store.prune() == 0
    assert store.has_blob(stray)


def test_legacy_colon_blob_names_are_renamed(store: Store) -> None:
    store.blobs_dir().mkdir(parents=True)
    digest = Digest.of_bytes(b"legacy")
    (store.blobs_dir() / f"sha256:{digest.hex}").write_bytes(b"legacy")
    store.prune()
    assert store.has_blob(digest)


def test_write_manifest_is_atomic(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_model(store, "m", b"1")

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    layer = Layer(MediaType.MODEL, Digest.of_bytes(b"2"), 1)
    with pytest.raises(OSError):
        store.write_manifest(ModelName.parse("m"), Manifest.build(first.config, [layer]))
    path = store.manifest_path(ModelName.parse("m"))
    assert path.read_bytes() == first.raw
    assert [p.name for p in path.parent.iterdir()] == ["latest"]
