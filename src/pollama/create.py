"""Creating a model: a create request becomes layers, a config blob and a manifest (spec §9.1).

:func:`create_model` is a generator of :class:`~pollama.progress.Progress` events and knows nothing
about HTTP. It reads only blobs already in the store (uploaded through ``/api/blobs``), never a path
a client named.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pollama import gojson
from pollama.digest import Digest
from pollama.errors import BadRequest, InvalidName, TemplateError
from pollama.gguf import GGUFInfo, has_gguf_magic
from pollama.humanize import human_number
from pollama.model import ModelConfig, load_model
from pollama.names import ModelName
from pollama.options import coerce_options
from pollama.progress import Progress
from pollama.store import CONFIG_MEDIA_TYPE, Layer, Manifest, MediaType, Store
from pollama.template import Template
from pollama.template.autodetect import BundledTemplate, detect

GGUFReader = Callable[[Path], GGUFInfo]


@dataclass(frozen=True, slots=True)
class CreateSpec:
    """A validated create request."""

    name: ModelName
    from_model: str = ""
    files: dict[str, Digest] = field(default_factory=dict)
    adapters: dict[str, Digest] = field(default_factory=dict)
    template: str | None = None
    system: str | None = None
    licenses: tuple[str, ...] = ()
    parameters: dict[str, Any] | None = None
    messages: list[dict[str, Any]] | None = None
    renderer: str = ""
    parser: str = ""
    requires: str = ""


@dataclass(slots=True)
class _Draft:
    """The manifest under construction."""

    config: ModelConfig
    layers: list[Layer] = field(default_factory=list)
    created: set[Digest] = field(default_factory=set)

    def replace(self, layer: Layer) -> None:
        """Drop every layer of ``layer``'s media type and append ``layer`` at the end."""
        same = (
            (MediaType.TEMPLATE, MediaType.PROMPT)
            if layer.media_type == MediaType.TEMPLATE
            else (layer.media_type,)
        )
        self.layers = [lyr for lyr in self.layers if lyr.media_type not in same]
        self.layers.append(layer)


def create_model(
    store: Store, spec: CreateSpec, read_gguf: GGUFReader
) -> Generator[Progress, None, None]:
    """Build and write the model ``spec`` describes, yielding progress; raises PollamaError."""
    if not spec.name.is_valid():
        raise InvalidName("invalid model name")
    old = _existing_manifest(store, spec.name)
    if spec.from_model:
        draft = _from_model(store, spec)
    elif spec.files:
        yield Progress("parsing GGUF")
        draft, info = _from_files(store, spec.files, read_gguf)
        if spec.template is None and info.chat_template:
            detected = detect(info.chat_template)
            if detected is not None:
                yield Progress(f"using autodetected template {detected.name}")
                _add_bundled_template(store, draft, detected)
    else:
        raise BadRequest("neither 'from' or 'files' was specified")
    for digest in spec.adapters.values():
        _require_gguf(store, digest, read_gguf, "adapter")
        draft.layers.append(Layer(MediaType.ADAPTER, digest, store.blob_size(digest)))
    _apply_overrides(store, spec, draft)
    yield from _write(store, spec.name, draft)
    if old is not None:
        store.remove_unreferenced(old.all_digests())
    yield Progress("success")


def _existing_manifest(store: Store, name: ModelName) -> Manifest | None:
    try:
        return store.read_manifest(name)
    except Exception:  # a missing or unreadable manifest is simply replaced
        return None


def _from_model(store: Store, spec: CreateSpec) -> _Draft:
    base_name = ModelName.parse(spec.from_model)
    if not base_name.is_valid():
        raise InvalidName(f"invalid model name: {spec.from_model}")
    base = load_model(store, base_name)
    short = base.name.short()
    draft = _Draft(config=base.config)
    for layer in base.manifest.layers:
        draft.layers.append(Layer(layer.media_type, layer.digest, layer.size, short))
    return draft


def _from_files(
    store: Store, files: dict[str, Digest], read_gguf: GGUFReader
) -> tuple[_Draft, GGUFInfo]:
    """Layers for uploaded GGUF files, and the header of the main model file."""
    draft, model_info = _Draft(config=ModelConfig()), None
    for filename, digest in files.items():
        info = _require_gguf(store, digest, read_gguf, filename)
        media_type = {"adapter": MediaType.ADAPTER, "projector": MediaType.PROJECTOR}.get(
            info.kind, MediaType.MODEL
        )
        if media_type == MediaType.MODEL:
            if any(lyr.media_type == MediaType.MODEL for lyr in draft.layers):
                raise BadRequest("only one model file is supported")
            model_info = info
            draft.config = ModelConfig(
                model_format="gguf",
                model_family=info.architecture,
                model_families=(info.architecture,) if info.architecture else None,
                model_type=human_number(info.parameter_count),
                file_type=info.file_type,
            )
        draft.layers.append(Layer(media_type, digest, store.blob_size(digest)))
    if model_info is None:
        raise BadRequest("no model file was supplied")
    return draft, model_info


def _add_bundled_template(store: Store, draft: _Draft, bundled: BundledTemplate) -> None:
    draft.layers.append(_text_layer(store, draft, MediaType.TEMPLATE, bundled.template.encode()))
    if bundled.parameters:
        params = gojson.encode(bundled.parameters)
        draft.layers.append(_text_layer(store, draft, MediaType.PARAMS, params))


def _require_gguf(store: Store, digest: Digest, read_gguf: GGUFReader, label: str) -> GGUFInfo:
    if not store.has_blob(digest):
        raise BadRequest(f"blob {digest} not found; upload it through /api/blobs first")
    path = store.blob_path(digest)
    with path.open("rb") as f:
        if not has_gguf_magic(f.read(4)):
            raise BadRequest(f"supplied file was not in GGUF format: {label}")
    return read_gguf(path)


def _apply_overrides(store: Store, spec: CreateSpec, draft: _Draft) -> None:
    if spec.renderer or spec.parser or spec.requires:
        draft.config = dataclasses.replace(
            draft.config,
            renderer=spec.renderer or draft.config.renderer,
            parser=spec.parser or draft.config.parser,
            requires=spec.requires or draft.config.requires,
        )
    if spec.template is not None:
        try:
            Template.parse(spec.template)
        except TemplateError as err:
            raise TemplateError(f"template error: {err}") from None
        draft.replace(_text_layer(store, draft, MediaType.TEMPLATE, spec.template.encode()))
    if spec.system:
        draft.replace(_text_layer(store, draft, MediaType.SYSTEM, spec.system.encode()))
    for text in spec.licenses:
        draft.layers.append(_text_layer(store, draft, MediaType.LICENSE, text.encode()))
    if spec.parameters:
        merged = {**_inherited_params(store, draft), **_typed_parameters(spec.parameters)}
        draft.replace(_text_layer(store, draft, MediaType.PARAMS, gojson.encode(merged)))
    if spec.messages:
        draft.replace(_text_layer(store, draft, MediaType.MESSAGES, gojson.encode(spec.messages)))


def _typed_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    typed, _ignored = coerce_options(parameters)
    return typed


def _inherited_params(store: Store, draft: _Draft) -> dict[str, Any]:
    for layer in draft.layers:
        if layer.media_type == MediaType.PARAMS:
            try:
                value = json.loads(store.read_blob_text(layer.digest))
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}
    return {}


def _text_layer(store: Store, draft: _Draft, media_type: str, data: bytes) -> Layer:
    digest = Digest.of_bytes(data)
    if not store.has_blob(digest):
        store.write_blob([data], digest)
        draft.created.add(digest)
    return Layer(media_type, digest, len(data))


def _write(store: Store, name: ModelName, draft: _Draft) -> Iterator[Progress]:
    config_bytes = draft.config.encode()
    config_layer = _text_layer(store, draft, CONFIG_MEDIA_TYPE, config_bytes)
    for layer in draft.layers:
        verb = "creating new" if layer.digest in draft.created else "using existing"
        yield Progress(f"{verb} layer {layer.digest}")
    yield Progress("writing manifest")
    store.write_manifest(name, Manifest.build(config_layer, draft.layers))


__all__ = ["CreateSpec", "create_model"]
