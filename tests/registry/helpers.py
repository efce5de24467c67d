"""Small helpers shared by the registry tests (not fixtures)."""

from __future__ import annotations

import random
import socket
import ssl
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx

from pollama.names import ModelName
from pollama.progress import Progress
from pollama.pull import pull_from
from pollama.registry import DownloadOptions, RegistryClient, RegistrySource
from pollama.store import CONFIG_MEDIA_TYPE, Layer, Manifest, MediaType, Store
from tests.support.fake_registry import FakeRegistry


class LoopbackOnly(httpx.BaseTransport):
    """Sends requests to 127.0.0.1 only; records every host it was asked to reach.

    The network guard of these tests: nothing here may resolve or reach any other host.
    """

    def __init__(self, verify: ssl.SSLContext | bool = True) -> None:
        self.inner = httpx.HTTPTransport(verify=verify)
        self.hosts: list[str] = []
        self.requests: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        self.requests.append((request.method, str(request.url)))
        if request.url.host != "127.0.0.1":
            raise AssertionError(f"test tried to reach {request.url.host}")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class Sleeps:
    """An injected sleep that records instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


MODEL = "application/vnd.ollama.image.model"
TEMPLATE = "application/vnd.ollama.image.template"


def random_bytes(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def serve_model(
    fake: FakeRegistry, repository: str = "ns/m", tag: str = "t", size: int = 300_000, seed: int = 0
) -> tuple[str, bytes, bytes]:
    """Put a model (random weights, a template, a config) on ``fake``.

    Returns the model name, the manifest bytes and the weights.
    """
    weights = random_bytes(size, seed)
    raw = fake.add_model(
        repository,
        tag,
        [(MODEL, weights), (TEMPLATE, f"{{{{ .Prompt }}}} {seed}".encode())],
        config=b'{"model_format":"gguf","model_family":"llama"}',
    )
    return f"{fake.host}/{repository}:{tag}", raw, weights


def make_model(store: Store, name: ModelName, size: int = 300_000, seed: int = 0) -> Manifest:
    """A model in ``store``: random weights, a template and a config."""
    weights, template = random_bytes(size, seed), b"{{ .Prompt }}"
    config = b'{"model_format":"gguf","model_family":"llama"}'
    layers = [
        Layer(MediaType.MODEL, store.write_blob_bytes(weights), len(weights)),
        Layer(MediaType.TEMPLATE, store.write_blob_bytes(template), len(template)),
    ]
    manifest = Manifest.build(
        Layer(CONFIG_MEDIA_TYPE, store.write_blob_bytes(config), len(config)), layers
    )
    store.write_manifest(name, manifest)
    return manifest


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def files_outside(root: Path, store_root: Path) -> set[Path]:
    """Every file under ``root`` that is not inside ``store_root``."""
    return {p for p in root.rglob("*") if p.is_file() and not p.is_relative_to(store_root)}


def statuses(events: Iterable[Progress]) -> list[str]:
    """The status lines with runs of one status collapsed, in order."""
    out: list[str] = []
    for event in events:
        if not out or out[-1] != event.status:
            out.append(event.status)
    return out


def registry_pull(
    store: Store,
    name: ModelName,
    client: RegistryClient,
    options: DownloadOptions | None = None,
    **kw: bool,
) -> Iterator[Progress]:
    """A server's pull (:func:`pollama.pull.pull_from`) with ``client``'s registry as its only
    source."""
    source = RegistrySource(lambda _name, _insecure: client, options)
    return pull_from(store, name, [source], insecure=True, **kw)
