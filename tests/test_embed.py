"""Embeddings without the engine: vector shaping, input parsing, truncation, load options."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from pollama.config import Settings
from pollama.digest import Digest
from pollama.errors import BadRequest, EngineError
from pollama.inference.options import EMBEDDING_NUM_BATCH, merge_options, runner_spec
from pollama.inference.vectors import NOT_FINITE, cosine, normalize, shape
from pollama.model import Model, ModelConfig
from pollama.names import ModelName
from pollama.server.embed import NOTHING_LEFT, TOO_LONG, Embeddings, fit_input
from pollama.server.routes.embed import embed_inputs
from pollama.store import Layer, Manifest, MediaType


def norm(vector: Sequence[float]) -> float:
    return math.sqrt(sum(v * v for v in vector))


@pytest.mark.parametrize(
    "vector",
    [[3.0, 4.0], [1e-30, -2e-30], [-5.0], [0.25] * 768, [1e20, 1e20]],
    ids=["3-4-5", "tiny", "one", "long", "huge"],
)
def test_normalize_gives_unit_length_in_the_same_direction(vector: list[float]) -> None:
    unit = normalize(vector)
    assert norm(unit) == pytest.approx(1.0, abs=1e-12)
    assert cosine(unit, vector) == pytest.approx(1.0)


def test_a_zero_vector_stays_zero() -> None:
    assert normalize([0.0, 0.0]) == [0.0, 0.0]
    assert shape([0.0, 0.0, 0.0], 2) == [0.0, 0.0]


@pytest.mark.parametrize(
    ("dimensions", "length"),
    [(0, 4), (-1, 4), (2, 2), (1, 1), (3, 3), (4, 4), (10, 4)],
    ids=["unset", "negative", "two", "one", "three", "all", "more-than-all"],
)
def test_dimensions_cut_then_renormalise(dimensions: int, length: int) -> None:
    vector = [3.0, 4.0, 12.0, 84.0]
    out = shape(vector, dimensions)
    assert len(out) == length and norm(out) == pytest.approx(1.0)
    assert cosine(out, vector[:length]) == pytest.approx(1.0)


def test_legacy_vectors_are_not_normalised() -> None:
    assert shape([3.0, 4.0], unit=False) == [3.0, 4.0]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_nan_or_inf_is_an_engine_error(bad: float) -> None:
    with pytest.raises(EngineError, match=NOT_FINITE):
        shape([1.0, bad])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        ("", []),
        ("cat", ["cat"]),
        ([], []),
        (["cat", "kitten"], ["cat", "kitten"]),
        (["", "x"], ["", "x"]),
    ],
    ids=["absent", "empty-string", "string", "empty-list", "list", "list-with-empty"],
)
def test_inputs_are_a_string_or_a_list_of_strings(value: object, expected: list[str]) -> None:
    assert embed_inputs(value) == expected


@pytest.mark.parametrize(
    "value",
    [1, 1.5, True, {"text": "cat"}, ["cat", 1], [["cat"]], [None]],
    ids=["int", "float", "bool", "object", "mixed-list", "nested-list", "null-item"],
)
def test_other_inputs_are_an_invalid_input_type(value: object) -> None:
    with pytest.raises(BadRequest, match="^invalid input type$"):
        embed_inputs(value)


class WordRunner:
    """Tokenizes on spaces (one token per word) and detokenizes by joining words."""

    def __init__(self) -> None:
        self.words: dict[int, str] = {}

    async def tokenize(self, text: str, *, add_special: bool = False) -> list[int]:
        tokens = []
        for word in text.split():
            self.words[len(self.words)] = word
            tokens.append(len(self.words) - 1)
        return tokens

    async def detokenize(self, tokens: Sequence[int]) -> str:
        return " ".join(self.words[t] for t in tokens)


def fit(text: str, limit: int, truncate: bool) -> tuple[str, int]:
    return asyncio.run(fit_input(WordRunner(), text, limit, truncate))  # type: ignore[arg-type]


def test_inputs_that_fit_are_kept_whole() -> None:
    assert fit("a b c", 3, truncate=False) == ("a b c", 3)
    assert fit("", 0, truncate=False) == ("", 0)


def test_long_inputs_are_cut_to_the_limit_when_truncating() -> None:
    assert fit("a b c d e", 2, truncate=True) == ("a b", 2)


def test_long_inputs_are_refused_without_truncation() -> None:
    with pytest.raises(BadRequest, match=f"^{TOO_LONG}$"):
        fit("a b c d e", 4, truncate=False)


def test_a_window_with_no_room_refuses_any_text() -> None:
    with pytest.raises(BadRequest, match=f"^{NOTHING_LEFT}$"):
        fit("a", 0, truncate=True)


def test_the_api_embed_body_has_metrics_unless_empty() -> None:
    full = Embeddings("m", [[1.0]], prompt_eval_count=3, load_duration=5, total_duration=9)
    assert full.api_embed() == {
        "model": "m",
        "embeddings": [[1.0]],
        "total_duration": 9,
        "load_duration": 5,
        "prompt_eval_count": 3,
    }
    assert Embeddings("m", [], 0, 5, 9).api_embed() == {"model": "m", "embeddings": []}


def model(params: dict[str, object], path: Path | None = None) -> Model:
    layer = Layer(MediaType.MODEL, Digest("0" * 64), 1)
    manifest = Manifest.build(layer, [layer])
    return Model(ModelName.parse("m"), manifest, ModelConfig(), model_path=path, params=params)


def test_embedding_models_batch_a_whole_input_capped_at_the_context(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    assert merge_options(model({}), None)["num_batch"] == 512
    merged = merge_options(model({}), None, embedding=True)
    assert merged["num_batch"] == EMBEDDING_NUM_BATCH == 2048
    assert merge_options(model({"num_batch": 64}), None, embedding=True)["num_batch"] == 64
    big = runner_spec(
        model({}, path), {**merged, "num_ctx": 8192}, Settings(), None, embedding=True
    )
    assert (big.n_batch, big.n_ctx, big.n_parallel, big.embedding) == (2048, 8192, 1, True)
    small = runner_spec(
        model({}, path), {**merged, "num_ctx": 256}, Settings(), None, embedding=True
    )
    assert (small.n_batch, small.n_ctx) == (256, 256)
    chat = runner_spec(model({}, path), {"num_ctx": 256, "num_batch": 512}, Settings(), None)
    assert chat.n_batch == 512 and not chat.embedding  # a chat runner is never an embedding one
