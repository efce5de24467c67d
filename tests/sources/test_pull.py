"""Pulling catalog models with an injected fetcher: Ollama's progress lines and an ordinary model."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Generator
from pathlib import Path

import gguf
import numpy as np
import pytest

from pollama.errors import DigestMismatch, InvalidName, ModelNotFound, RegistryError
from pollama.model import load_model
from pollama.names import ModelName
from pollama.progress import Progress
from pollama.pull import pull_from, pull_model
from pollama.registry.errors import RegistryUnreachable
from pollama.sources import Catalog, CatalogSource, ModelPack, PackFile
from pollama.store import Manifest, MediaType, Store

NAME = ModelName.parse("tiny:1m")
LICENSE = b"The full license\n"


@pytest.fixture(scope="module")
def gguf_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small but real GGUF file: llama architecture, 32 parameters, F16 file type."""
    path = tmp_path_factory.mktemp("gguf") / "tiny.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_file_type(1)
    writer.add_tensor("token_embd.weight", np.ones((8, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


def make_pack(data: bytes, **changes: object) -> ModelPack:
    pack = ModelPack(
        name="tiny:1m",
        description="a tiny test model",
        requirements=("tiny==1.0",),
        model=PackFile(("tiny/model.gguf",), hashlib.sha256(data).hexdigest(), len(data)),
        download_size=len(data),
        template="{{ .System }} {{ .Prompt }}",
        params={"stop": ("<end>",), "temperature": 0.5},
        system="Be tiny.",
        license="The full license\n",
    )
    return dataclasses.replace(pack, **changes)  # type: ignore[arg-type]


class FakeFetcher:
    """Publishes the pack's model bytes in two steps."""

    def __init__(
        self,
        data: bytes,
        *,
        error: Exception | None = None,
        publish: bool = True,
    ) -> None:
        self.data = data
        self.error = error
        self.publish = publish
        self.calls = 0

    def fetch(self, pack: ModelPack, store: Store) -> Generator[Progress, None, None]:
        self.calls += 1
        status, digest, size = (
            f"pulling {pack.model.digest.short}",
            str(pack.model.digest),
            len(self.data),
        )
        yield Progress(status, digest, size, 0)
        if self.error is not None:
            raise self.error
        yield Progress(status, digest, size, size // 2)
        if self.publish:
            store.write_blob([self.data], pack.model.digest)
        yield Progress(status, digest, size, size)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "models")


def pull(
    store: Store, pack: ModelPack, fetcher: FakeFetcher, noprune: bool = False
) -> list[Progress]:
    return list(pull_model(store, NAME, catalog=Catalog([pack]), fetcher=fetcher, noprune=noprune))


def statuses(events: list[Progress]) -> list[str]:
    return [e.status for e in events]


def test_pull_yields_ollamas_progress_and_writes_an_ordinary_model(
    store: Store, gguf_bytes: bytes
) -> None:
    pack = make_pack(gguf_bytes)
    events = pull(store, pack, FakeFetcher(gguf_bytes))
    model = load_model(store, NAME)
    layers = model.manifest.layers
    assert [lyr.media_type for lyr in layers] == [
        MediaType.MODEL,
        MediaType.TEMPLATE,
        MediaType.SYSTEM,
        MediaType.LICENSE,
        MediaType.PARAMS,
    ]
    short = pack.model.digest.short
    expected = ["pulling manifest", *[f"pulling {short}"] * 3]
    expected += [f"pulling {d.short}" for d in [lyr.digest for lyr in layers[1:]]]
    expected += [f"pulling {model.manifest.config.digest.short}"]
    expected += ["verifying sha256 digest", "writing manifest", "success"]
    assert statuses(events) == expected
    for event in events[4:-3]:  # layers written locally are complete at once
        assert event.digest and event.total == event.completed and (event.total or 0) > 0
    assert model.template == pack.template and model.system == "Be tiny."
    assert model.params == {"stop": ["<end>"], "temperature": 0.5}
    assert model.licenses == ["The full license\n"]
    assert (
        store.read_blob_text(layers[4].digest)
        == '{"stop":["\\u003cend\\u003e"],"temperature":0.5}\n'
    )
    config = json.loads(store.blob_path(model.manifest.config.digest).read_bytes())
    assert config == {
        "model_format": "gguf",
        "model_family": "llama",
        "model_families": ["llama"],
        "model_type": "32",
        "file_type": "F16",
        "architecture": "amd64",
        "os": "linux",
    }
    assert layers[0].size == len(gguf_bytes)


def test_a_pack_without_license_gets_no_license_layer(store: Store, gguf_bytes: bytes) -> None:
    pull(store, make_pack(gguf_bytes, license=""), FakeFetcher(gguf_bytes))
    assert load_model(store, NAME).licenses == []


def test_a_pack_without_template_or_system_gets_no_such_layers(
    store: Store, gguf_bytes: bytes
) -> None:
    pack = make_pack(gguf_bytes, template="", system="", params={"num_ctx": 8192})
    pull(store, pack, FakeFetcher(gguf_bytes))
    model = load_model(store, NAME)
    kinds = [layer.media_type for layer in model.manifest.layers]
    assert kinds == [MediaType.MODEL, MediaType.LICENSE, MediaType.PARAMS]
    assert model.template is None and model.params == {"num_ctx": 8192}


def test_pulling_again_trusts_the_blob_and_changes_nothing(store: Store, gguf_bytes: bytes) -> None:
    pack = make_pack(gguf_bytes)
    pull(store, pack, FakeFetcher(gguf_bytes))
    before = store.read_manifest(NAME).raw
    again = FakeFetcher(gguf_bytes)
    events = pull(store, pack, again)
    assert again.calls == 0
    model_events = [e for e in events if e.digest == str(pack.model.digest)]
    assert len(model_events) == 1 and model_events[0].completed == len(gguf_bytes)
    assert "removing unused layers" not in statuses(events)
    assert store.read_manifest(NAME).raw == before


@pytest.mark.parametrize("noprune", [False, True], ids=["prune", "noprune"])
def test_replacing_a_model_removes_layers_that_became_unused(
    store: Store, gguf_bytes: bytes, noprune: bool
) -> None:
    pull(store, make_pack(gguf_bytes), FakeFetcher(gguf_bytes))
    old_template = store.read_manifest(NAME).layers_of(MediaType.TEMPLATE)[0].digest
    events = pull(
        store,
        make_pack(gguf_bytes, template="{{ .Prompt }}"),
        FakeFetcher(gguf_bytes),
        noprune=noprune,
    )
    assert ("removing unused layers" in statuses(events)) is not noprune
    assert statuses(events)[-1] == "success"
    assert store.has_blob(old_template) is noprune
    assert load_model(store, NAME).template == "{{ .Prompt }}"


def test_an_unknown_model_is_ollamas_not_found(store: Store, gguf_bytes: bytes) -> None:
    events = pull_model(
        store,
        ModelName.parse("nosuchmodel"),
        catalog=Catalog([make_pack(gguf_bytes)]),
        fetcher=FakeFetcher(gguf_bytes),
    )
    assert next(events).status == "pulling manifest"
    with pytest.raises(ModelNotFound, match="^pull model manifest: file does not exist$"):
        next(events)
    assert store.list_models() == []


def test_an_invalid_name_fails_before_any_event(store: Store, gguf_bytes: bytes) -> None:
    events = pull_model(
        store,
        ModelName.parse("bad name!"),
        catalog=Catalog([make_pack(gguf_bytes)]),
        fetcher=FakeFetcher(gguf_bytes),
    )
    with pytest.raises(InvalidName, match="^invalid model name$"):
        next(events)


def test_a_failed_fetch_writes_no_manifest(store: Store, gguf_bytes: bytes) -> None:
    fetcher = FakeFetcher(gguf_bytes, error=DigestMismatch("digest mismatch"))
    with pytest.raises(DigestMismatch):
        pull(store, make_pack(gguf_bytes), fetcher)
    assert store.list_models() == []
    with pytest.raises(RegistryError, match="could not be fetched"):
        pull(store, make_pack(gguf_bytes), FakeFetcher(gguf_bytes, publish=False))


class Unreachable:
    """A source that cannot be reached or lacks the model, like a registry offline."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def pull(
        self, store: Store, name: ModelName, *, insecure: bool = False
    ) -> Generator[Progress, None, Manifest]:
        raise self.error
        yield Progress("")


def test_sources_are_tried_in_order(store: Store, gguf_bytes: bytes) -> None:
    catalog = CatalogSource(Catalog([make_pack(gguf_bytes)]), FakeFetcher(gguf_bytes))
    for first in (
        ModelNotFound("pull model manifest: file does not exist"),
        RegistryUnreachable("down"),
    ):
        events = list(pull_from(store, NAME, [Unreachable(first), catalog]))
        assert statuses(events)[-1] == "success"
    # A real failure says more than "not found", whichever source reported it.
    sources = [Unreachable(RegistryUnreachable("registry down")), Unreachable(ModelNotFound("x"))]
    with pytest.raises(RegistryError, match="registry down"):
        list(pull_from(store, ModelName.parse("other:1"), sources))


@pytest.mark.parametrize(
    "failure", [RegistryError("401: unauthorized"), DigestMismatch("digest mismatch")]
)
def test_a_registry_that_answers_badly_is_not_papered_over(
    store: Store, gguf_bytes: bytes, failure: Exception
) -> None:
    catalog = CatalogSource(Catalog([make_pack(gguf_bytes)]), FakeFetcher(gguf_bytes))
    with pytest.raises(type(failure), match=str(failure)):
        list(pull_from(store, NAME, [Unreachable(failure), catalog]))
    assert store.list_models() == []
