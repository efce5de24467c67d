"""Pushing a model to a registry (spec §7.3, progress lines of §3.13).

Events, in order::

    retrieving manifest        (or "couldn't retrieve manifest", then ModelNotFound)
    pushing <hex12>            digest, total, completed: per layer in manifest order, then config
    pushing manifest
    success

The manifest goes up byte for byte as stored, with the media type it declares, so the model keeps
its digest on the registry.
"""

from __future__ import annotations

import json
from collections.abc import Generator

from pollama.errors import ModelNotFound
from pollama.names import ModelName
from pollama.progress import Progress
from pollama.registry.client import RegistryClient
from pollama.registry.upload import BlobUpload, UploadOptions
from pollama.store import MANIFEST_MEDIA_TYPE, Layer, Manifest, Store


def push_to_registry(
    store: Store,
    name: ModelName,
    client: RegistryClient,
    *,
    options: UploadOptions | None = None,
) -> Generator[Progress, None, None]:
    """Push ``name`` from ``store`` through ``client``, yielding progress.

    Raises ModelNotFound when the model is not in the store, RegistryError (``unauthorized:
    access denied`` when the registry refuses our credentials) or OSError otherwise.
    """
    yield Progress("retrieving manifest")
    try:
        manifest = store.read_manifest(name)
    except ModelNotFound:
        yield Progress("couldn't retrieve manifest")
        raise
    for layer in _unique_blobs(manifest):
        for completed in BlobUpload(store, client, layer, options).run():
            yield Progress(
                f"pushing {layer.digest.short}", str(layer.digest), layer.size, completed
            )
    yield Progress("pushing manifest")
    client.put_manifest(name.tag, manifest.raw, manifest_media_type(manifest.raw))
    yield Progress("success")


def _unique_blobs(manifest: Manifest) -> list[Layer]:
    seen, out = set(), []
    for layer in (*manifest.layers, manifest.config):
        if layer.digest not in seen:
            seen.add(layer.digest)
            out.append(layer)
    return out


def manifest_media_type(raw: bytes) -> str:
    """The ``mediaType`` a manifest declares, Docker's v2 type when it declares none."""
    media_type = json.loads(raw).get("mediaType")
    return media_type if isinstance(media_type, str) and media_type else MANIFEST_MEDIA_TYPE


__all__ = ["manifest_media_type", "push_to_registry"]
