"""Pulling a model's blobs from a registry (spec §7.2, progress lines of §3.13).

:class:`RegistrySource` is the registry as a :class:`pollama.pull.ModelSource`;
:func:`pollama.pull.pull_from` adds the ``pulling manifest``, ``writing manifest``, ``removing
unused layers`` and ``success`` events around the ones yielded here::

    pulling <hex12>            digest, total, completed: per layer in manifest order, then config
    verifying sha256 digest

The manifest is checked (``check_pullable``: at least one layer, sizes above zero, no duplicate
digests; every digest is a valid sha256; sizes at most ``max_blob_size``) before any path is built
from it. A blob already in the store gives one event with ``completed == total`` and is not hashed
again. Every other blob is downloaded (:mod:`pollama.registry.download`; the small ones all at
once in the background from the start, :mod:`pollama.registry.prefetch`, each reported with one
event when its turn comes), then all are verified and published; the manifest bytes are written
exactly as the registry sent them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator

from pollama.errors import ModelNotFound, NotFound, PollamaError, RegistryError
from pollama.names import ModelName
from pollama.progress import Progress
from pollama.registry.client import RegistryClient
from pollama.registry.download import BlobDownload, DownloadOptions, publish_blob
from pollama.registry.errors import MANIFEST_NOT_FOUND, RegistryUnreachable
from pollama.registry.prefetch import SMALL_BLOB, Prefetch
from pollama.store import MANIFEST_MEDIA_TYPE, Layer, Manifest, Store
from pollama.store.manifest import OCI_MANIFEST_MEDIA_TYPE, check_pullable

_MANIFEST_TYPES = (MANIFEST_MEDIA_TYPE, OCI_MANIFEST_MEDIA_TYPE)

ClientFactory = Callable[[ModelName, bool], RegistryClient]
"""Makes the client for a model name and its ``insecure`` flag."""


def fetch_manifest(
    client: RegistryClient, name: ModelName, options: DownloadOptions | None = None
) -> Manifest:
    """The checked manifest of ``name`` from its registry.

    Raises ModelNotFound ``pull model manifest: file does not exist``, RegistryUnreachable, or
    RegistryError ``pull model manifest: <why>`` (error answers and manifests that are malformed,
    of another media type, or describe no pullable model).
    """
    limit = (options or DownloadOptions()).max_blob_size
    try:
        raw = client.manifest(name.tag)
    except NotFound:
        raise ModelNotFound(MANIFEST_NOT_FOUND) from None
    except RegistryUnreachable as err:
        raise RegistryUnreachable(f"pull model manifest: {err}") from err
    except RegistryError as err:
        raise RegistryError(f"pull model manifest: {err}") from err
    try:
        manifest = Manifest.parse(raw)
        _check_media_type(raw)
        check_pullable(manifest)
    except PollamaError as err:
        raise RegistryError(f"pull model manifest: invalid manifest: {err}") from err
    for layer in (*manifest.layers, manifest.config):
        if not 0 < layer.size <= limit:
            raise RegistryError(f"pull model manifest: blob {layer.digest} has size {layer.size}")
    return manifest


def _check_media_type(raw: bytes) -> None:
    media_type = json.loads(raw).get("mediaType")
    if media_type is not None and media_type not in _MANIFEST_TYPES:
        raise RegistryError(f"unsupported manifest media type {str(media_type)[:100]!r}")


def pull_layers(
    store: Store,
    name: ModelName,
    client: RegistryClient,
    options: DownloadOptions | None = None,
) -> Generator[Progress, None, Manifest]:
    """Fetch the manifest and every blob it names into ``store``; return the manifest unwritten.

    Yields ``pulling <hex12>`` events and finally ``verifying sha256 digest``; the shape of a
    ``pollama.pull.ModelSource``. Raises as :func:`fetch_manifest`, then DigestMismatch,
    NotFound, RegistryError or OSError for a blob; nothing unverified is ever published.
    """
    manifest = fetch_manifest(client, name, options)
    layers = list({layer.digest: layer for layer in (*manifest.layers, manifest.config)}.values())
    missing = {layer.digest for layer in layers if not store.has_blob(layer.digest)}
    prefetch = Prefetch(
        BlobDownload(store, client, layer, options)
        for layer in layers
        if layer.digest in missing and layer.size <= SMALL_BLOB
    )
    prefetch.start()
    fetched: list[BlobDownload] = []
    try:
        for layer in layers:
            if layer.digest in prefetch:
                fetched.append(prefetch.wait(layer.digest))
                yield _event(layer, layer.size)
            elif layer.digest not in missing:
                yield _event(layer, layer.size)
            else:
                download = BlobDownload(store, client, layer, options)
                for completed in download.run():
                    prefetch.check()  # a small blob that failed fails the pull now
                    yield _event(layer, completed)
                fetched.append(download)
    finally:
        prefetch.cancel()  # a no-op for those that finished
    yield Progress("verifying sha256 digest")
    for download in fetched:
        publish_blob(store, download.layer, digest_seen=download.digest_seen)
    return manifest


class RegistrySource:
    """The registry as a ``pollama.pull.ModelSource``; ``connect`` makes a client for a name.

    ``connect(name, insecure)`` is where the caller injects its ``httpx.Client``, auth and retry
    policy, e.g. ``lambda n, i: RegistryClient(http, n, insecure=i, auth=auth)``.
    """

    def __init__(
        self,
        connect: ClientFactory,
        options: DownloadOptions | None = None,
    ) -> None:
        self._connect = connect
        self._options = options

    def pull(
        self, store: Store, name: ModelName, *, insecure: bool = False
    ) -> Generator[Progress, None, Manifest]:
        """As :func:`pull_layers`, for a client made by ``connect``."""
        client = self._connect(name, insecure)
        return (yield from pull_layers(store, name, client, self._options))


def _event(layer: Layer, completed: int) -> Progress:
    return Progress(f"pulling {layer.digest.short}", str(layer.digest), layer.size, completed)


__all__ = [
    "ClientFactory",
    "RegistrySource",
    "fetch_manifest",
    "pull_layers",
]
