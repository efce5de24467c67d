"""The create pipeline on a real store and a real GGUF file, without a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pollama.create import CreateSpec, create_model
from pollama.digest import Digest
from pollama.errors import BadRequest, ModelNotFound, TemplateError
from pollama.gguf import read_gguf
from pollama.model import load_model
from pollama.names import ModelName
from pollama.store import MediaType, Store
from tests.support.tiny_model import build_tiny_llama


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory, smollm2_path: Path) -> Path:
    return build_tiny_llama(smollm2_path, tmp_path_factory.mktemp("tiny") / "tiny.gguf")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "models")


def upload(store: Store, path: Path) -> Digest:
    with path.open("rb") as f:
        return store.write_blob(iter(lambda: f.read(1 << 20), b""))


def create(store: Store, name: str, **kw: object) -> list[str]:
    spec = CreateSpec(name=ModelName.parse(name), **kw)  # type: ignore[arg-type]
    return [p.status for p in create_model(store, spec, read_gguf)]


def media_types(store: Store, name: str) -> list[str]:
    manifest = store.read_manifest(ModelName.parse(name))
    return [layer.media_type.rsplit(".", 1)[-1] for layer in manifest.layers]


def test_create_from_gguf_detects_template_and_writes_config(store: Store, tiny_gguf: Path) -> None:
    digest = upload(store, tiny_gguf)
    statuses = create(store, "tiny", files={"tiny.gguf": digest})
    assert statuses[:2] == ["parsing GGUF", "using autodetected template chatml"]
    assert statuses[2] == f"using existing layer {digest}"
    assert statuses[-2:] == ["writing manifest", "success"]
    assert media_types(store, "tiny") == ["model", "template", "params"]
    model = load_model(store, ModelName.parse("tiny"))
    assert model.config.model_family == "llama" and model.config.file_type == "F32"
    assert model.params == {"stop": ["<|im_start|>", "<|im_end|>"]}
    config = store.blob_path(model.manifest.config.digest).read_bytes()
    assert config.startswith(
        b'{"model_format":"gguf","model_family":"llama","model_families":["llama"]'
    )
    assert config.endswith(b'"architecture":"amd64","os":"linux"}\n')


def test_from_model_merges_parameters_and_replaces_layers(store: Store, tiny_gguf: Path) -> None:
    create(
        store,
        "base",
        files={"m.gguf": upload(store, tiny_gguf)},
        parameters={"temperature": 1, "top_k": 10},
    )
    statuses = create(
        store,
        "kid",
        from_model="base",
        parameters={"temperature": 0.6, "top_p": 0.7},
        system="Be a kid.",
    )
    assert all(
        s.startswith(("using existing", "creating new", "writing", "success")) for s in statuses
    )
    kid = load_model(store, ModelName.parse("kid"))
    assert kid.params == {
        "stop": ["<|im_start|>", "<|im_end|>"],
        "temperature": 0.6,
        "top_k": 10,
        "top_p": 0.7,
    }
    assert kid.system == "Be a kid."
    assert kid.parent_model == "base:latest"
    assert media_types(store, "kid") == ["model", "template", "system", "params"]
    assert all(layer.from_ == "base:latest" for layer in kid.manifest.layers[:2])


def test_recreate_drops_unused_layers(store: Store, tiny_gguf: Path) -> None:
    digest = upload(store, tiny_gguf)
    create(store, "m", files={"m.gguf": digest}, system="first")
    first_system = Digest.of_bytes(b"first")
    assert store.has_blob(first_system)
    create(store, "m", files={"m.gguf": digest}, system="second")
    assert not store.has_blob(first_system)
    assert load_model(store, ModelName.parse("m")).system == "second"


def test_template_messages_and_license(store: Store, tiny_gguf: Path) -> None:
    digest = upload(store, tiny_gguf)
    create(
        store,
        "m",
        files={"m.gguf": digest},
        template="{{ .Prompt }}",
        licenses=("MIT", "Apache"),
        messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
    )
    model = load_model(store, ModelName.parse("m"))
    assert model.template == "{{ .Prompt }}"
    assert model.licenses == ["MIT", "Apache"]
    assert model.messages == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
    ]
    assert media_types(store, "m") == ["model", "template", "license", "license", "messages"]


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({}, BadRequest),
        ({"from_model": "nosuch"}, ModelNotFound),
        ({"from_model": "bad/name/x/y"}, BadRequest),
        ({"files": {"m.gguf": Digest("0" * 64)}}, BadRequest),
        ({"template": "{{ if }}"}, TemplateError),
    ],
    ids=["nothing", "missing-base", "bad-base", "missing-blob", "bad-template"],
)
def test_errors_write_no_manifest(
    store: Store, tiny_gguf: Path, kw: dict[str, object], error: type
) -> None:
    if "template" in kw:
        kw = {**kw, "files": {"m.gguf": upload(store, tiny_gguf)}}
    with pytest.raises(error):
        create(store, "broken", **kw)
    assert store.list_models() == []


def test_manifest_layers_carry_exact_sizes(store: Store, tiny_gguf: Path) -> None:
    create(store, "m", files={"m.gguf": upload(store, tiny_gguf)})
    manifest = store.read_manifest(ModelName.parse("m"))
    for layer in manifest.layers:
        assert store.blob_size(layer.digest) == layer.size
    raw = json.loads(manifest.raw)
    assert raw["layers"][0]["mediaType"] == MediaType.MODEL
