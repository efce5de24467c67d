"""Manifests: the Docker image manifest v2 JSON that lists a model's layers (spec §6.2).

A :class:`Manifest` keeps the exact bytes it was read from, because a model's ID is the sha256 of
those bytes and manifests pulled from a registry are stored byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pollama import gojson
from pollama.digest import Digest
from pollama.errors import BadRequest, PollamaError

MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
MAX_MANIFEST_BYTES = 4 << 20
MAX_LAYERS = 1024


class MediaType(StrEnum):
    """The layer media types of Ollama models."""

    MODEL = "application/vnd.ollama.image.model"
    PROJECTOR = "application/vnd.ollama.image.projector"
    ADAPTER = "application/vnd.ollama.image.adapter"
    TEMPLATE = "application/vnd.ollama.image.template"
    PROMPT = "application/vnd.ollama.image.prompt"  # legacy name of TEMPLATE
    SYSTEM = "application/vnd.ollama.image.system"
    PARAMS = "application/vnd.ollama.image.params"
    MESSAGES = "application/vnd.ollama.image.messages"
    LICENSE = "application/vnd.ollama.image.license"
    DRAFT = "application/vnd.ollama.image.draft"
    EMBED = "application/vnd.ollama.image.embed"


class ManifestError(PollamaError):
    """A manifest that is not valid JSON of the expected shape."""


@dataclass(frozen=True, slots=True)
class Layer:
    """One blob a manifest refers to."""

    media_type: str
    digest: Digest
    size: int
    from_: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": str(self.digest)}
        out["size"] = self.size
        if self.from_:
            out["from"] = self.from_
        return out

    @classmethod
    def from_json(cls, obj: object) -> Layer:
        if not isinstance(obj, dict):
            raise ManifestError("manifest layer is not an object")
        media_type, digest, size = obj.get("mediaType"), obj.get("digest"), obj.get("size")
        if not isinstance(media_type, str) or not isinstance(digest, str):
            raise ManifestError("manifest layer lacks mediaType or digest")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ManifestError("manifest layer has an invalid size")
        from_ = obj.get("from", "")
        return cls(media_type, Digest.parse(digest), size, from_ if isinstance(from_, str) else "")


@dataclass(frozen=True, slots=True)
class Manifest:
    """A parsed manifest and the raw bytes it came from."""

    config: Layer
    layers: tuple[Layer, ...]
    raw: bytes = field(repr=False)

    @property
    def digest(self) -> Digest:
        """The model's ID: the sha256 of the manifest bytes."""
        return Digest.of_bytes(self.raw)

    @property
    def size(self) -> int:
        """Config size plus the size of every layer, as ``/api/tags`` reports it."""
        return self.config.size + sum(layer.size for layer in self.layers)

    def all_digests(self) -> set[Digest]:
        return {self.config.digest, *(layer.digest for layer in self.layers)}

    def layers_of(self, *media_types: str) -> list[Layer]:
        return [layer for layer in self.layers if layer.media_type in media_types]

    @classmethod
    def build(cls, config: Layer, layers: list[Layer]) -> Manifest:
        """A new manifest, serialised the way Ollama writes its own."""
        obj = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": config.to_json(),
            "layers": [layer.to_json() for layer in layers],
        }
        return cls(config, tuple(layers), gojson.encode(obj))

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        """Parse manifest bytes; raises :class:`ManifestError` (or InvalidDigest) when malformed."""
        if len(raw) > MAX_MANIFEST_BYTES:
            raise ManifestError("manifest is too large")
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError) as err:
            raise ManifestError(f"manifest is not valid JSON: {err}") from None
        if not isinstance(obj, dict):
            raise ManifestError("manifest is not a JSON object")
        layers = obj.get("layers")
        if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
            raise ManifestError("manifest has no valid layer list")
        return cls(Layer.from_json(obj.get("config")), tuple(map(Layer.from_json, layers)), raw)


def check_pullable(manifest: Manifest) -> None:
    """Refuse registry manifests that could not describe a real model (security.md)."""
    if not manifest.layers:
        raise BadRequest("manifest has no layers")
    seen: set[Digest] = set()
    for layer in manifest.layers:
        if layer.size <= 0:
            raise BadRequest(f"layer {layer.digest} has an invalid size")
        if layer.digest in seen:
            raise BadRequest(f"layer {layer.digest} appears twice")
        seen.add(layer.digest)


__all__ = [
    "CONFIG_MEDIA_TYPE",
    "MANIFEST_MEDIA_TYPE",
    "Layer",
    "Manifest",
    "ManifestError",
    "MediaType",
    "check_pullable",
]
