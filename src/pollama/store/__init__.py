"""The model store, byte-compatible with Ollama's ``$OLLAMA_MODELS``.

Layout::

    <root>/blobs/sha256-<64 hex>                      content-addressed, immutable, verified
    <root>/blobs/sha256-<64 hex>-partial[...]          downloads and uploads in progress
    <root>/manifests/<host>/<namespace>/<model>/<tag>  JSON manifests, replaced atomically

:class:`Store` is the only code that builds paths under the root.
"""

from pollama.store.manifest import (
    CONFIG_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    Layer,
    Manifest,
    MediaType,
)
from pollama.store.store import ModelEntry, Store

__all__ = [
    "CONFIG_MEDIA_TYPE",
    "MANIFEST_MEDIA_TYPE",
    "Layer",
    "Manifest",
    "MediaType",
    "ModelEntry",
    "Store",
]
