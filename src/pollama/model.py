"""A stored model, resolved from its manifest into the pieces that serve it (spec §6.3)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pollama import gojson
from pollama.names import ModelName
from pollama.store import Manifest, MediaType, Store


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """The config blob of a manifest (``application/vnd.docker.container.image.v1+json``)."""

    model_format: str = "gguf"
    model_family: str = ""
    model_families: tuple[str, ...] | None = None
    model_type: str = ""
    file_type: str = ""
    renderer: str = ""
    parser: str = ""
    requires: str = ""

    def to_json(self) -> dict[str, Any]:
        """The blob's JSON object, fields in Ollama's order so that digests match its own."""
        out: dict[str, Any] = {
            "model_format": self.model_format,
            "model_family": self.model_family,
            "model_families": list(self.model_families) if self.model_families else None,
            "model_type": self.model_type,
            "file_type": self.file_type,
        }
        for key in ("renderer", "parser", "requires"):
            if value := getattr(self, key):
                out[key] = value
        out["architecture"] = "amd64"
        out["os"] = "linux"
        return out

    def encode(self) -> bytes:
        return gojson.encode(self.to_json())

    @classmethod
    def decode(cls, raw: bytes) -> ModelConfig:
        """Parse a config blob leniently: unknown keys and wrong types are ignored."""
        try:
            obj = json.loads(raw)
        except ValueError:
            return cls()
        if not isinstance(obj, dict):
            return cls()

        def text(key: str) -> str:
            value = obj.get(key)
            return value if isinstance(value, str) else ""

        families = obj.get("model_families")
        return cls(
            model_format=text("model_format") or "gguf",
            model_family=text("model_family"),
            model_families=tuple(f for f in families if isinstance(f, str))
            if isinstance(families, list)
            else None,
            model_type=text("model_type"),
            file_type=text("file_type"),
            renderer=text("renderer"),
            parser=text("parser"),
            requires=text("requires"),
        )


@dataclass(frozen=True, slots=True)
class Model:
    """Everything the store holds about one model."""

    name: ModelName
    manifest: Manifest
    config: ModelConfig
    model_path: Path | None = None
    parent_model: str = ""
    adapters: tuple[Path, ...] = ()
    projectors: tuple[Path, ...] = ()
    template: str | None = None
    system: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    licenses: list[str] = field(default_factory=list)

    @property
    def short_name(self) -> str:
        return self.name.short()


def load_model(store: Store, name: ModelName) -> Model:
    """Read the manifest of ``name`` and the small layers it lists; raises ModelNotFound."""
    stored = store.resolve(name)
    manifest = store.read_manifest(stored)
    config = ModelConfig()
    if store.has_blob(manifest.config.digest):
        config = ModelConfig.decode(store.blob_path(manifest.config.digest).read_bytes())
    parts: dict[str, Any] = {
        "adapters": [],
        "projectors": [],
        "params": {},
        "messages": [],
        "licenses": [],
    }
    for layer in manifest.layers:
        path = store.blob_path(layer.digest)
        match layer.media_type:
            case MediaType.MODEL:
                parts["model_path"] = path
                parts["parent_model"] = layer.from_
            case MediaType.ADAPTER:
                parts["adapters"].append(path)
            case MediaType.PROJECTOR:
                parts["projectors"].append(path)
            case MediaType.TEMPLATE | MediaType.PROMPT:
                parts["template"] = store.read_blob_text(layer.digest)
            case MediaType.SYSTEM:
                parts["system"] = store.read_blob_text(layer.digest)
            case MediaType.PARAMS:
                parts["params"] = _json_object(store.read_blob_text(layer.digest))
            case MediaType.MESSAGES:
                parts["messages"] = _json_list(store.read_blob_text(layer.digest))
            case MediaType.LICENSE:
                parts["licenses"].append(store.read_blob_text(layer.digest))
    parts["adapters"] = tuple(parts["adapters"])
    parts["projectors"] = tuple(parts["projectors"])
    return Model(name=stored, manifest=manifest, config=config, **parts)


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _json_list(text: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [m for m in value if isinstance(m, dict)] if isinstance(value, list) else []


__all__ = ["Model", "ModelConfig", "load_model"]
