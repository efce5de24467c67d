"""Every misbehaviour of the fake registry: a clear error, nothing under a final blob name that
was not verified, no manifest, and not one file written outside the store."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pollama.errors import DigestMismatch, ModelNotFound, NotFound, PollamaError, RegistryError
from pollama.names import ModelName
from pollama.registry import DownloadOptions, RegistryClient
from pollama.store import Manifest, Store
from tests.registry.helpers import (
    MODEL,
    LoopbackOnly,
    Sleeps,
    files_outside,
    registry_pull,
    serve_model,
)
from tests.support.fake_registry import MANIFEST_TYPE, FakeRegistry

Connect = Callable[[str], tuple[ModelName, RegistryClient]]
Setup = Callable[[FakeRegistry, Manifest], None]


@dataclass(frozen=True)
class Fault:
    id: str
    setup: Setup
    error: type[PollamaError]
    message: str
    touches_store: bool = True  # False: refused before any path was built


def _manifest_with_layers(fake: FakeRegistry, layers: list[dict[str, object]]) -> None:
    config = fake.add_blob(b"{}")
    doc = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "digest": config,
            "size": 2,
        },
        "layers": layers,
    }
    fake.manifests[("ns/m", "t")] = json.dumps(doc).encode()


def _layer(digest: str, size: int = 5) -> dict[str, object]:
    return {"mediaType": MODEL, "digest": digest, "size": size}


def _weights(manifest: Manifest) -> str:
    return str(manifest.layers[0].digest)


def _set(**faults: object) -> Setup:
    def setup(fake: FakeRegistry, manifest: Manifest) -> None:
        for key, value in faults.items():
            setattr(fake.faults, key, value)

    return setup


def _wrong_bytes(fake: FakeRegistry, manifest: Manifest) -> None:
    fake.faults.wrong_bytes = {_weights(manifest)}


def _missing_blob(fake: FakeRegistry, manifest: Manifest) -> None:
    del fake.blobs[_weights(manifest)]


def _no_manifest(fake: FakeRegistry, manifest: Manifest) -> None:
    fake.manifests.clear()


def _crafted(
    layers: list[dict[str, object]] | Callable[[FakeRegistry], list[dict[str, object]]],
) -> Setup:
    def setup(fake: FakeRegistry, manifest: Manifest) -> None:
        _manifest_with_layers(fake, layers(fake) if callable(layers) else layers)

    return setup


def _raw_manifest(raw: bytes) -> Setup:
    def setup(fake: FakeRegistry, manifest: Manifest) -> None:
        fake.manifests[("ns/m", "t")] = raw

    return setup


HEX = "a" * 64
BAD_MANIFEST = "pull model manifest: invalid manifest: "

FAULTS = [
    Fault(
        "wrong-bytes",
        _wrong_bytes,
        DigestMismatch,
        r"^digest mismatch, file must be downloaded again: want sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}$",
    ),
    Fault(
        "traversal-digest",
        _crafted([_layer("sha256:../../x")]),
        RegistryError,
        BAD_MANIFEST + "invalid digest format",
        False,
    ),
    Fault(
        "slash-digest",
        _crafted([_layer("sha256:" + "a" * 30 + "/../" + "b" * 30)]),
        RegistryError,
        BAD_MANIFEST + "invalid digest format",
        False,
    ),
    Fault(
        "empty-digest",
        _crafted([_layer("")]),
        RegistryError,
        BAD_MANIFEST + "invalid digest format",
        False,
    ),
    Fault("no-layers", _crafted([]), RegistryError, BAD_MANIFEST + "manifest has no layers", False),
    Fault(
        "zero-size",
        _crafted([_layer("sha256:" + HEX, 0)]),
        RegistryError,
        BAD_MANIFEST + ".*invalid size",
        False,
    ),
    Fault(
        "duplicate",
        _crafted([_layer("sha256:" + HEX), _layer("sha256:" + HEX)]),
        RegistryError,
        BAD_MANIFEST + ".*appears twice",
        False,
    ),
    Fault(
        "huge-size",
        _crafted([_layer("sha256:" + HEX, 1 << 50)]),
        RegistryError,
        "has size 1125899906842624",
        False,
    ),
    Fault(
        "not-json",
        _raw_manifest(b"<html>"),
        RegistryError,
        BAD_MANIFEST + "manifest is not valid JSON",
        False,
    ),
    Fault(
        "manifest-list",
        _raw_manifest(
            json.dumps(
                {
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "config": _layer("sha256:" + HEX),
                    "layers": [_layer("sha256:" + HEX)],
                }
            ).encode()
        ),
        RegistryError,
        "unsupported manifest media type",
        False,
    ),
    Fault(
        "no-such-model",
        _no_manifest,
        ModelNotFound,
        r"^pull model manifest: file does not exist$",
        False,
    ),
    Fault(
        "gzip-bomb",
        _set(gzip_bomb=True),
        RegistryError,
        "larger than 4194304 bytes after decompression",
        False,
    ),
    Fault(
        "foreign-realm",
        _set(auth_realm="https://evil.invalid/token"),
        RegistryError,
        r'realm host "evil.invalid" does not match original host "127\.0\.0\.1:\d+"',
        False,
    ),
    Fault(
        "persistent-500",
        _set(errors_first=1000),
        RegistryError,
        "^pull model manifest: 500: injected failure$",
        False,
    ),
    Fault("missing-blob", _missing_blob, NotFound, "^file does not exist$"),
    Fault(
        "truncated-to-nothing",
        _set(truncate_at=0),
        RegistryError,
        "downloading part \\d+ of sha256:.* failed: "
        "(peer closed connection|the registry closed the connection)",
    ),
    Fault(
        "endless-body", _set(endless=True), RegistryError, "registry sent more bytes than asked for"
    ),
    Fault(
        "stalled-from-start",
        _set(stall_after=0),
        RegistryError,
        "downloading part \\d+ of sha256:.* failed: .*timed out",
    ),
    Fault(
        "compressed-blob",
        _set(compressed_blob=True),
        RegistryError,
        "Content-Encoding 'gzip'; refusing it",
    ),
    Fault(
        "size-disagrees",
        _set(head_size_delta=7),
        RegistryError,
        r"is \d+ bytes but the manifest says \d+",
    ),
    Fault(
        "redirect-to-metadata",
        _set(redirect_to="http://169.254.169.254/latest"),
        RegistryError,
        'refusing redirect to "http://169.254.169.254/latest/sha256:',
    ),
    Fault(
        "redirect-to-plain-http-host",
        _set(redirect_to="http://cdn.invalid/x"),
        RegistryError,
        "a different host must use https",
    ),
]


@pytest.fixture(params=[True, False], ids=["direct", "httpx"])
def direct_bodies(request: pytest.FixtureRequest) -> bool:
    """Every fault against both ways of reading a blob body."""
    return bool(request.param)


@pytest.fixture
def fault_options(small_parts: DownloadOptions) -> DownloadOptions:
    return dataclasses.replace(small_parts, stall_timeout=0.2)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_fault_fails_cleanly(
    fault: Fault,
    fake: FakeRegistry,
    connect: Connect,
    store: Store,
    fault_options: DownloadOptions,
    tmp_path: Path,
    transport: LoopbackOnly,
) -> None:
    text, raw, _ = serve_model(fake, size=200_000)
    manifest = Manifest.parse(raw)
    fault.setup(fake, manifest)
    before = files_outside(tmp_path, store.root)
    name, client = connect(text)
    with pytest.raises(fault.error, match=fault.message):
        list(registry_pull(store, name, client, fault_options))
    assert files_outside(tmp_path, store.root) == before
    assert set(transport.hosts) == {"127.0.0.1"}
    with pytest.raises(ModelNotFound):
        store.read_manifest(name)
    if not fault.touches_store:
        assert not store.blobs_dir().exists()
        assert fake.blob_hits() == []
        return
    assert not store.has_blob(manifest.layers[0].digest)


def test_mismatch_deletes_every_partial_file(
    fake: FakeRegistry, connect: Connect, store: Store, fault_options: DownloadOptions
) -> None:
    text, raw, _ = serve_model(fake, size=200_000)
    manifest = Manifest.parse(raw)
    _wrong_bytes(fake, manifest)
    name, client = connect(text)
    with pytest.raises(DigestMismatch):
        list(registry_pull(store, name, client, fault_options))
    left = [p.name for p in store.blobs_dir().iterdir()]
    assert not any(n.startswith(manifest.layers[0].digest.filename) for n in left)


TRANSIENT = [
    ("500s-then-success", {"errors_first": 2}),
    ("429-retry-after", {"errors_first": 1, "error_status": 429, "retry_after": "7"}),
    ("truncated-bodies", {"truncate_at": 20_000}),
    ("slow-drip", {"stall_after": 16 << 10}),
    ("200-instead-of-206", {"ignore_range": True}),
]


@pytest.mark.parametrize(
    ("faults", "sleeps_expected"),
    [(f, i == 1) for i, (_, f) in enumerate(TRANSIENT)],
    ids=[t[0] for t in TRANSIENT],
)
def test_transient_faults_are_survived(
    faults: dict[str, object],
    sleeps_expected: bool,
    fake: FakeRegistry,
    connect: Connect,
    store: Store,
    fault_options: DownloadOptions,
    sleeps: Sleeps,
) -> None:
    text, raw, weights = serve_model(fake, size=200_000)
    for key, value in faults.items():
        setattr(fake.faults, key, value)
    name, client = connect(text)
    list(registry_pull(store, name, client, fault_options))
    assert store.blob_path(Manifest.parse(raw).layers[0].digest).read_bytes() == weights
    assert store.read_manifest(name).raw == raw
    if sleeps_expected:
        assert 7.0 in sleeps.calls
