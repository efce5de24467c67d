from __future__ import annotations

from pathlib import Path

import pytest

from pollama.config import Settings
from pollama.digest import Digest
from pollama.errors import BadRequest
from pollama.gguf import read_gguf
from pollama.inference.memory import estimate_bytes, kv_cache_bytes
from pollama.inference.options import merge_options, num_ctx, runner_spec, sampling_body
from pollama.inference.think import Think, check_think, parse_think
from pollama.model import Model, ModelConfig
from pollama.names import ModelName
from pollama.store import Layer, Manifest, MediaType


def model(params: dict[str, object], path: Path | None = None) -> Model:
    layer = Layer(MediaType.MODEL, Digest("0" * 64), 1)
    manifest = Manifest.build(layer, [layer])
    return Model(ModelName.parse("m"), manifest, ModelConfig(), model_path=path, params=params)


def test_precedence_defaults_then_model_then_request() -> None:
    merged = merge_options(model({"temperature": 1.0, "top_k": 10}), {"temperature": 0.2})
    assert merged["temperature"] == 0.2 and merged["top_k"] == 10 and merged["top_p"] == 0.9


def test_bad_request_option_types() -> None:
    with pytest.raises(BadRequest):
        merge_options(model({}), {"temperature": "hot"})


def test_num_ctx_sources_and_clamp(smollm2_path: Path) -> None:
    info = read_gguf(smollm2_path)
    assert num_ctx({}, Settings(), info) == 4096
    assert num_ctx({}, Settings(context_length=2048), info) == 2048
    assert num_ctx({"num_ctx": 100_000}, Settings(), info) == 8192  # the model's trained context
    assert num_ctx({"num_ctx": 1}, Settings(), info) == 4


def test_runner_spec_multiplies_context_by_slots(smollm2_path: Path) -> None:
    spec = runner_spec(
        model({}, smollm2_path),
        merge_options(model({}), {"num_ctx": 1024}),
        Settings(num_parallel=4),
        None,
    )
    assert spec.n_ctx == 4096 and spec.n_parallel == 4 and spec.model == str(smollm2_path)
    embed = runner_spec(model({}, smollm2_path), {}, Settings(num_parallel=4), None, embedding=True)
    assert embed.n_parallel == 1 and embed.embedding


def test_sampling_body_maps_names_and_drops_random_seed() -> None:
    body = sampling_body(merge_options(model({"stop": ["<|im_end|>"]}), {"num_predict": 5}))
    assert body["n_predict"] == 5 and body["stop"] == ["<|im_end|>"] and body["n_keep"] == 4
    assert "seed" not in body
    assert sampling_body({"seed": 42})["seed"] == 42


def test_memory_estimate_counts_weights_and_kv_cache(smollm2_path: Path) -> None:
    info = read_gguf(smollm2_path)
    spec = runner_spec(model({}, smollm2_path), {}, Settings(), info)
    # 30 layers x 4096 tokens x 192-wide K and V (3 of 9 heads) x 2 bytes x 2 tensors
    assert kv_cache_bytes(spec, info) == 2 * 4096 * 30 * 192 * 2
    assert estimate_bytes(spec, info) > smollm2_path.stat().st_size + kv_cache_bytes(spec, info)


@pytest.mark.parametrize(
    ("value", "think"),
    [
        (None, Think()),
        (True, Think(True, "medium")),
        (False, Think(False, "")),
        ("high", Think(True, "high")),
    ],
)
def test_parse_think(value: object, think: Think) -> None:
    assert parse_think(value) == think


@pytest.mark.parametrize("value", ["loud", 1, [True]])
def test_parse_think_rejects(value: object) -> None:
    with pytest.raises(BadRequest):
        parse_think(value)


def test_check_think_defaults_and_refusals() -> None:
    assert check_think(Think(), ("completion", "thinking"), "m") == Think(True, "medium")
    assert check_think(Think(False, ""), ("completion",), "m") == Think(False, "")
    with pytest.raises(BadRequest, match='"m" does not support thinking'):
        check_think(Think(True, "medium"), ("completion",), "m")
