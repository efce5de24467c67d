"""Blob ranges over bare connections: when they are used, what they send, and when httpx is."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from pollama.digest import Digest
from pollama.errors import RegistryError
from pollama.names import ModelName
from pollama.registry import (
    BlobDownload,
    DownloadOptions,
    RegistryClient,
    RetryPolicy,
    UploadOptions,
    push_to_registry,
)
from pollama.registry.blobbody import DirectBody, HttpxBody, open_direct
from pollama.store import Layer, MediaType, Store
from tests.registry.helpers import (
    LoopbackOnly,
    make_model,
    random_bytes,
    registry_pull,
    serve_model,
    unused_port,
)
from tests.support.fake_registry import TOKEN, FakeRegistry
from tests.support.real_registry import RealRegistry, running_registry
from tests.support.tls import self_signed_certificate, trusting

Connect = Callable[[str], tuple[ModelName, RegistryClient]]
TIMEOUT = httpx.Timeout(5.0)


def _range_gets(requests: list[tuple[str, str]]) -> list[str]:
    return [url for method, url in requests if method == "GET" and "/blobs/sha256:" in url]


@pytest.mark.parametrize("direct_bodies", [True, False], ids=["direct", "httpx"])
def test_blob_ranges_take_their_own_connections_only_when_direct(
    direct_bodies: bool,
    fake: FakeRegistry,
    connect: Connect,
    store: Store,
    small_parts: DownloadOptions,
    transport: LoopbackOnly,
) -> None:
    text, _, weights = serve_model(fake, size=300_000)
    name, client = connect(text)
    list(registry_pull(store, name, client, small_parts))
    ranges = [h for h in fake.blob_hits() if h.headers.get("range", "") != "bytes=0-0"]
    assert len(ranges) >= 3  # 300 kB in parts of at most 128 KiB, plus small layers
    through_httpx = _range_gets(transport.requests)
    probes = [h for h in fake.blob_hits() if h.headers.get("range") == "bytes=0-0"]
    if direct_bodies:
        assert len(through_httpx) == len(probes)  # only the probes that resolve each blob
    else:
        assert len(through_httpx) == len(probes) + len(ranges)
    for hit in ranges:
        assert hit.headers["accept-encoding"] == "identity"
        assert hit.headers["user-agent"].startswith("ollama/")


def test_direct_ranges_carry_the_registrys_credentials(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    fake.faults.auth_realm = f"{fake.url}/token"
    text, raw, weights = serve_model(fake, size=200_000)
    name, client = connect(text)
    list(registry_pull(store, name, client, small_parts))
    ranges = [h for h in fake.blob_hits() if h.headers.get("range", "bytes=0-0") != "bytes=0-0"]
    assert ranges and all(h.headers["authorization"] == f"Bearer {TOKEN}" for h in ranges)
    assert all(h.status == 206 for h in ranges)
    assert store.read_manifest(name).raw == raw


def test_a_proxy_in_the_environment_keeps_blob_reads_on_httpx(
    fake: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = fake.add_blob(b"proxied bytes")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # httpx itself goes direct; bodies stay on httpx
    with httpx.Client(trust_env=True) as http:
        client = RegistryClient(http, ModelName.parse(f"{fake.host}/ns/m:t"), insecure=True)
        body = client.open_range(client.blob_url(Digest.parse(digest)), 0, 6, timeout=TIMEOUT)
        try:
            assert isinstance(body, HttpxBody)
            assert b"".join(body.chunks(memoryview(bytearray(64)))) == b"proxied"
        finally:
            body.close()
        monkeypatch.delenv("HTTP_PROXY")
        body = client.open_range(client.blob_url(Digest.parse(digest)), 0, 6, timeout=TIMEOUT)
        body.close()
        assert isinstance(body, DirectBody)


def _direct(url: str, context: ssl.SSLContext | None = None) -> DirectBody | None:
    return open_direct(
        httpx.URL(url),
        {"Range": "bytes=2-4"},
        ssl_context=context or ssl.create_default_context(),
        connect_timeout=2.0,
        read_timeout=2.0,
    )


def test_answers_other_than_a_plain_body_are_left_to_httpx(fake: FakeRegistry) -> None:
    digest = fake.add_blob(b"0123456789")

    body = _direct(f"{fake.url}/v2/ns/m/blobs/{digest}")
    assert body is not None and body.response.status_code == 206
    assert b"".join(bytes(c) for c in body.chunks(memoryview(bytearray(2)))) == b"234"
    body.close()
    assert _direct(f"{fake.url}/v2/ns/m/blobs/sha256:{'0' * 64}") is None  # 404
    fake.faults.endless = True  # no Content-Length
    assert _direct(f"{fake.url}/v2/ns/m/blobs/{digest}") is None
    fake.faults.endless = False
    fake.faults.redirect_to = f"{fake.url}/elsewhere"
    assert _direct(f"{fake.url}/v2/ns/m/blobs/{digest}") is None  # 307
    assert _direct(f"http://127.0.0.1:{unused_port()}/v2/ns/m/blobs/{digest}") is None


@pytest.fixture
def tls_registry(tmp_path: Path) -> Iterator[tuple[RealRegistry, Path]]:
    """A real registry serving https with a self-signed certificate, and that certificate."""
    cert, key = self_signed_certificate(tmp_path / "tls")
    with running_registry(tmp_path / "registry", tls=(cert, key)) as registry:
        yield registry, cert


def test_push_and_pull_over_https_read_blobs_directly(
    tls_registry: tuple[RealRegistry, Path],
    store: Store,
    tmp_path: Path,
    small_parts: DownloadOptions,
) -> None:
    registry, cert = tls_registry
    context = trusting(cert)
    transport = LoopbackOnly(verify=context)
    name = ModelName.parse(f"{registry.host}/ns/secure:v1")
    with httpx.Client(transport=transport, trust_env=False) as http:
        client = RegistryClient(http, name, ssl_context=context, retry=RetryPolicy(attempts=2))
        manifest = make_model(store, name, size=500_000, seed=3)
        blobs = {d: store.blob_path(d).read_bytes() for d in manifest.all_digests()}
        list(push_to_registry(store, name, client, options=UploadOptions()))
        fresh = Store(tmp_path / "fresh")
        transport.requests.clear()
        list(registry_pull(fresh, name, client, small_parts))
    assert {d: fresh.blob_path(d).read_bytes() for d in manifest.all_digests()} == blobs
    assert all(url.startswith("https://") for _, url in transport.requests)
    # Every blob GET through httpx is a one-byte probe: the parts came over their own TLS.
    weights = max(manifest.layers, key=lambda layer: layer.size)
    probes = [u for u in _range_gets(transport.requests) if str(weights.digest) in u]
    assert len(probes) == 1
    # A bare connection checks the certificate as httpx does: trusted, or no connection at all.
    blob_url = f"{registry.url}/v2/ns/secure/blobs/{weights.digest}"
    trusted = _direct(blob_url, context)
    assert trusted is not None and trusted.response.status_code == 206
    trusted.close()
    assert _direct(blob_url, ssl.create_default_context()) is None


def test_an_untrusted_certificate_fails_the_pull_clearly(
    tls_registry: tuple[RealRegistry, Path], store: Store, small_parts: DownloadOptions
) -> None:
    registry, _ = tls_registry
    name = ModelName.parse(f"{registry.host}/ns/untrusted:v1")
    with httpx.Client(trust_env=False) as http:
        client = RegistryClient(http, name, retry=RetryPolicy(attempts=1, connect_attempts=1))
        with pytest.raises(RegistryError, match="CERTIFICATE_VERIFY_FAILED"):
            list(registry_pull(store, name, client, small_parts))


def test_a_resumed_direct_download_hashes_the_bytes_already_there(
    fake: FakeRegistry, connect: Connect, store: Store, small_parts: DownloadOptions
) -> None:
    data = random_bytes(250_000, 5)
    layer = Layer(MediaType.MODEL, Digest.parse(fake.add_blob(data)), len(data))
    _, client = connect(f"{fake.host}/ns/m:t")
    fake.faults.byte_budget = 90_000  # the first run is cut off part-way
    with pytest.raises(RegistryError):
        list(BlobDownload(store, client, layer, small_parts).run())
    fake.faults.byte_budget = None
    resumed = BlobDownload(store, client, layer, small_parts)
    list(resumed.run())
    assert resumed.digest_seen == layer.digest
