"""Stores holding real models for tests, made as ``pollama create`` makes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pollama.create import CreateSpec, create_model
from pollama.gguf import read_gguf
from pollama.names import ModelName
from pollama.store import Manifest, Store


def create_from_gguf(store: Store, name: str | ModelName, gguf: Path, **spec: Any) -> Manifest:
    """Copy ``gguf`` into ``store`` as a blob and create ``name`` from it (``spec`` adds
    ``CreateSpec`` fields such as ``parameters``); returns the written manifest."""
    with gguf.open("rb") as f:
        digest = store.write_blob(iter(lambda: f.read(1 << 20), b""))
    model = name if isinstance(name, ModelName) else ModelName.parse(name)
    list(
        create_model(store, CreateSpec(name=model, files={"model.gguf": digest}, **spec), read_gguf)
    )
    return store.read_manifest(model)


__all__ = ["create_from_gguf"]
