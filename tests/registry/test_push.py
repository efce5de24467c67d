"""Pushing to the fake registry: events, chunked uploads, etag, redirects, auth, retries."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from pollama.digest import Digest
from pollama.errors import ModelNotFound, RegistryError
from pollama.names import ModelName
from pollama.progress import Progress
from pollama.registry import RegistryClient, UploadOptions, push_to_registry
from pollama.registry.upload import mount_source
from pollama.store import Layer, Manifest, MediaType, Store
from tests.registry.helpers import Sleeps, make_model, statuses
from tests.support.fake_registry import TOKEN, FakeRegistry

Connect = Callable[[str], tuple[ModelName, RegistryClient]]


def push(
    store: Store, client: RegistryClient, name: ModelName, options: UploadOptions
) -> list[Progress]:
    return list(push_to_registry(store, name, client, options=options))


def test_push_events_chunks_and_etag(
    fake: FakeRegistry, connect: Connect, store: Store, upload_parts: UploadOptions
) -> None:
    name, client = connect(f"{fake.host}/ns/m:t")
    manifest = make_model(store, name)
    events = push(store, client, name, upload_parts)
    shorts = [f"pushing {layer.digest.short}" for layer in (*manifest.layers, manifest.config)]
    assert statuses(events) == ["retrieving manifest", *shorts, "pushing manifest", "success"]
    for layer in (*manifest.layers, manifest.config):
        mine = [e for e in events if e.digest == str(layer.digest)]
        assert mine[-1].completed == mine[-1].total == layer.size
        assert fake.blobs[str(layer.digest)] == store.blob_path(layer.digest).read_bytes()
    assert fake.manifests[("ns/m", "t")] == manifest.raw
    patches = [h for h in fake.hits if h.method == "PATCH"]
    weights = store.blob_path(manifest.layers[0].digest).read_bytes()
    parts = -(-len(weights) // 65536)
    ranges = [h.headers["content-range"] for h in patches][:parts]
    assert ranges == [
        f"{o}-{min(o + 65536, len(weights)) - 1}" for o in range(0, len(weights), 65536)
    ]
    assert all(h.headers["x-redirect-uploads"] == "1" for h in patches)
    finish = next(
        h
        for h in fake.hits
        if h.method == "PUT"
        and "digest=" in h.path
        and str(manifest.layers[0].digest) in h.path.replace("%3A", ":")
    )
    query = parse_qs(urlsplit(finish.path).query)
    sums = b"".join(
        hashlib.md5(weights[o : o + 65536]).digest() for o in range(0, len(weights), 65536)
    )
    assert query["etag"] == [f"{hashlib.md5(sums).hexdigest()}-{parts}"]
    put_manifest = fake.hits[-1]
    assert (
        put_manifest.headers["content-type"]
        == "application/vnd.docker.distribution.manifest.v2+json"
    )


def test_blobs_the_registry_has_are_not_sent_again(
    fake: FakeRegistry, connect: Connect, store: Store, upload_parts: UploadOptions
) -> None:
    name, client = connect(f"{fake.host}/ns/m:t")
    make_model(store, name)
    push(store, client, name, upload_parts)
    fake.reset_log()
    events = push(store, client, name, upload_parts)
    assert {h.method for h in fake.hits} == {"HEAD", "PUT"}
    assert all(e.completed == e.total for e in events if e.digest)


def test_missing_local_model(
    fake: FakeRegistry, connect: Connect, store: Store, upload_parts: UploadOptions
) -> None:
    name, client = connect(f"{fake.host}/ns/none:t")
    events: list[Progress] = []
    with pytest.raises(ModelNotFound):
        for event in push_to_registry(store, name, client, options=upload_parts):
            events.append(event)
    assert [e.status for e in events] == ["retrieving manifest", "couldn't retrieve manifest"]
    assert fake.hits == []


def test_redirected_uploads_go_to_the_redirect_without_credentials(
    fake: FakeRegistry, connect: Connect, store: Store, upload_parts: UploadOptions
) -> None:
    cdn = FakeRegistry().start()
    try:
        cdn.uploads = fake.uploads
        fake.faults.redirect_uploads = cdn.url
        fake.faults.auth_realm = f"{fake.url}/token"
        name, client = connect(f"{fake.host}/ns/m:t")
        manifest = make_model(store, name)
        push(store, client, name, upload_parts)
        weights = manifest.layers[0].digest
        assert fake.blobs[str(weights)] == store.blob_path(weights).read_bytes()
        presigned = [h for h in cdn.hits if h.path.startswith("/presigned/")]
        assert presigned and all("authorization" not in h.headers for h in presigned)
        assert all(
            h.headers.get("authorization") == f"Bearer {TOKEN}"
            for h in fake.hits
            if h.method == "PATCH"
        )
    finally:
        cdn.stop()


def test_upload_failures_are_retried(
    fake: FakeRegistry, connect: Connect, store: Store, upload_parts: UploadOptions, sleeps: Sleeps
) -> None:
    name, client = connect(f"{fake.host}/ns/m:t")
    make_model(store, name)
    fake.faults.errors_first = 2
    push(store, client, name, upload_parts)
    assert len(sleeps.calls) == 2


def test_unauthorized_push(
    fake: FakeRegistry, connect: Connect, store: Store, upload_parts: UploadOptions
) -> None:
    fake.faults.auth_realm, fake.faults.reject_tokens = f"{fake.url}/token", True
    name, client = connect(f"{fake.host}/ns/m:t")
    make_model(store, name)
    with pytest.raises(RegistryError, match="^unauthorized: access denied$"):
        push(store, client, name, upload_parts)


def test_local_blob_of_the_wrong_size_is_not_pushed(
    fake: FakeRegistry, connect: Connect, store: Store, upload_parts: UploadOptions
) -> None:
    name, client = connect(f"{fake.host}/ns/m:t")
    manifest = make_model(store, name)
    lying = Manifest.build(manifest.config, [Layer(MediaType.MODEL, manifest.layers[0].digest, 5)])
    store.write_manifest(name, lying)
    with pytest.raises(RegistryError, match="bytes but the manifest says 5"):
        push(store, client, name, upload_parts)


@pytest.mark.parametrize(
    ("from_", "target", "expected"),
    [
        ("", "h:1/ns/m:t", None),
        ("h:1/other/model:latest", "h:1/ns/m:t", "other/model"),
        ("H:1/other/model:latest", "h:1/ns/m:t", "other/model"),
        ("h:1/ns/m:older", "h:1/ns/m:t", None),
        ("elsewhere/other/model:latest", "h:1/ns/m:t", None),
        ("not a name", "h:1/ns/m:t", None),
    ],
    ids=["none", "same-registry", "host-case", "same-repository", "other-registry", "invalid"],
)
def test_mount_source(from_: str, target: str, expected: str | None) -> None:
    layer = Layer(MediaType.MODEL, Digest("c" * 64), 1, from_)
    assert mount_source(layer, ModelName.parse(target)) == expected
