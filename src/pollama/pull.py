"""Pulling a model: ask each model source in turn, then write its manifest (spec §3.13, §7.2).

:func:`pull_model` is a generator of :class:`~pollama.progress.Progress` events and knows nothing
about HTTP. The events, in order::

    pulling manifest
    pulling <hex12>            digest, total, completed: per layer, then the config blob
    verifying sha256 digest
    writing manifest
    removing unused layers     only when layers of the replaced manifest became unused
    success

Sources implement :class:`ModelSource`. A server asks the registry first
(:class:`pollama.registry.RegistrySource`) and falls back to the catalog of model packs
(:class:`pollama.sources.CatalogSource`) only when the registry cannot be reached or lacks the
model: a registry that answers badly (wrong bytes, a refused login) fails the pull.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Protocol

from pollama.errors import InvalidName, ModelNotFound, PollamaError
from pollama.gguf import read_gguf
from pollama.names import ModelName
from pollama.progress import Progress
from pollama.registry.errors import RegistryUnreachable
from pollama.sources import MANIFEST_NOT_FOUND, Catalog, CatalogSource, PackFetcher
from pollama.sources.importer import GGUFReader
from pollama.store import Manifest, Store


class ModelSource(Protocol):
    """Somewhere models come from: a registry, or the catalog of bundled packs."""

    def pull(
        self, store: Store, name: ModelName, *, insecure: bool = False
    ) -> Generator[Progress, None, Manifest]:
        """Put every blob of ``name`` into ``store``, yielding ``pulling <hex12>`` progress per
        layer and then ``verifying sha256 digest``; return the manifest, which the caller writes.

        Raises ModelNotFound when this source has no such model, RegistryError when it cannot be
        reached, and other PollamaErrors (DigestMismatch, ...) when the pull fails.
        """
        ...


def pull_model(
    store: Store,
    name: ModelName,
    *,
    catalog: Catalog,
    fetcher: PackFetcher,
    insecure: bool = False,
    noprune: bool = False,
    read_gguf: GGUFReader = read_gguf,
) -> Generator[Progress, None, None]:
    """Pull ``name`` into ``store`` from the catalog's packs, yielding progress.

    Raises InvalidName (``invalid model name``) before any event, ModelNotFound (``pull model
    manifest: file does not exist``) for a model no source has, and other PollamaErrors when
    fetching fails; a failed pull writes no manifest and leaves no unverified blob.
    """
    sources = (CatalogSource(catalog, fetcher, read_gguf),)
    yield from pull_from(store, name, sources, insecure=insecure, noprune=noprune)


def pull_from(
    store: Store,
    name: ModelName,
    sources: Sequence[ModelSource],
    *,
    insecure: bool = False,
    noprune: bool = False,
) -> Generator[Progress, None, None]:
    """Pull ``name`` from the first of ``sources`` that has it (see :func:`pull_model`)."""
    if not name.is_valid():
        raise InvalidName("invalid model name")
    old = _existing_manifest(store, name)
    yield Progress("pulling manifest")
    manifest = yield from _pull_first(store, name, sources, insecure)
    yield Progress("writing manifest")
    store.write_manifest(name, manifest)
    unused = old.all_digests() - manifest.all_digests() if old is not None else set()
    if unused and not noprune:
        yield Progress("removing unused layers")
        store.remove_unreferenced(unused)
    yield Progress("success")


def _pull_first(
    store: Store, name: ModelName, sources: Sequence[ModelSource], insecure: bool
) -> Generator[Progress, None, Manifest]:
    errors: list[PollamaError] = []
    for source in sources:
        try:
            return (yield from source.pull(store, name, insecure=insecure))
        except (ModelNotFound, RegistryUnreachable) as err:
            errors.append(err)
    # A source that failed says more than one that merely lacks the model.
    failure = next((e for e in errors if not isinstance(e, ModelNotFound)), None)
    raise failure or (errors[0] if errors else ModelNotFound(MANIFEST_NOT_FOUND))


def _existing_manifest(store: Store, name: ModelName) -> Manifest | None:
    try:
        return store.read_manifest(name)
    except (PollamaError, OSError):  # missing or unreadable: simply replaced, and nothing to prune
        return None


__all__ = ["ModelSource", "pull_from", "pull_model"]
