"""Issue acceptance for embeddings: nomic-embed-text pulled from the model packs and served by
``/api/embed`` and ``/api/embeddings`` on the real engine, through the official ``ollama`` client.

One server serves the module. Its store gets nomic-embed-text the way a user gets it, by a pull
that imports the pack from the model cache (no index is reachable), and smollm2:135m as the chat
model that must refuse embeddings.
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import ollama
import pytest

from pollama.names import ModelName
from pollama.sources import default_catalog
from pollama.store import MediaType, Store
from tests.conftest import ServerProcess, start_server
from tests.support.models import create_from_gguf

pytestmark = pytest.mark.engine

NOMIC = next(pack for pack in default_catalog() if pack.name == "nomic-embed-text:latest")
MODEL = "nomic-embed-text"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, nomic_path: Path, smollm2_path: Path
) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("embed")
    create_from_gguf(Store(root / "models"), "smollm2:135m", smollm2_path)
    cache = root / "cache"
    cache.mkdir()
    (cache / f"{NOMIC.model.sha256}.gguf").symlink_to(nomic_path)
    (cache / f"{NOMIC.model.sha256}.verified").touch()
    env = {"POLLAMA_MODEL_CACHE": str(cache), "PIP_NO_INDEX": "1"}
    started = start_server(root / "models", root / "server.log", env)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[ollama.Client]:
    """The official client, after it pulled nomic-embed-text into the server's store."""
    with ollama.Client(server.url, timeout=120) as client:
        events = list(client.pull(MODEL, stream=True))
        assert events[-1].status == "success"
        yield client


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def norm(vector: Sequence[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


def post(server: ServerProcess, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(server.url + path, json=body, timeout=120)


def test_the_pull_gives_ollamas_layers_and_an_embedding_model(
    server: ServerProcess, client: ollama.Client
) -> None:
    manifest = Store(server.models).read_manifest(ModelName.parse(MODEL))
    kinds = [(layer.media_type, layer.digest.hex[:12]) for layer in manifest.layers]
    assert kinds == [
        (MediaType.MODEL, NOMIC.model.sha256[:12]),
        (MediaType.LICENSE, "c71d239df917"),  # Ollama's own license blob for this model
        (MediaType.PARAMS, "ce4a164fc046"),  # {"num_ctx":8192}
    ]
    show = client.show(MODEL)
    assert show.capabilities == ["embedding"]
    assert show.details.family == "nomic-bert"
    assert (show.modelinfo or {})["nomic-bert.embedding_length"] == 768
    assert (show.parameters or "").split() == ["num_ctx", "8192"]
    assert hashlib.sha256((show.license or "").encode()).hexdigest().startswith("c71d239df917")
    assert "completion" in (client.show("smollm2:135m").capabilities or [])


def test_acceptance_three_unit_vectors_that_rank_kitten_above_revenue(
    client: ollama.Client,
) -> None:
    for prefix in ("", "search_query: "):
        texts = [prefix + word for word in ("cat", "kitten", "revenue")]
        answer = client.embed(model=MODEL, input=texts)
        cat, kitten, revenue = answer.embeddings
        assert [len(v) for v in answer.embeddings] == [768, 768, 768]
        assert all(norm(v) == pytest.approx(1.0, abs=1e-6) for v in answer.embeddings)
        assert cosine(cat, kitten) > cosine(cat, revenue) + 0.2, prefix
        assert answer.model == MODEL and (answer.total_duration or 0) > 0
        # Each word is one token, plus [CLS] and [SEP]; "search_query: " adds four more.
        assert answer.prompt_eval_count == 3 * (3 + (4 if prefix else 0))


def test_one_string_with_dimensions_is_the_cut_vector_renormalised(client: ollama.Client) -> None:
    full = client.embed(model=MODEL, input="search_document: the cat sat").embeddings
    cut = client.embed(model=MODEL, input="search_document: the cat sat", dimensions=256)
    [vector] = cut.embeddings
    assert len(full) == 1 and len(vector) == 256
    assert norm(vector) == pytest.approx(1.0, abs=1e-6)
    assert cosine(vector, full[0][:256]) == pytest.approx(1.0, abs=1e-6)


def test_the_legacy_endpoint_returns_the_raw_vector(
    server: ServerProcess, client: ollama.Client
) -> None:
    legacy = client.embeddings(model=MODEL, prompt="cat").embedding
    [unit] = client.embed(model=MODEL, input="cat").embeddings
    assert len(legacy) == 768 and norm(legacy) > 2.0  # not normalised (spec §3.7)
    assert cosine(legacy, unit) == pytest.approx(1.0, abs=1e-6)
    empty = post(server, "/api/embeddings", {"model": MODEL, "prompt": ""})
    assert (empty.status_code, empty.json()) == (200, {"embedding": []})
    no_model = post(server, "/api/embeddings", {"prompt": "cat"})
    assert (no_model.status_code, no_model.json()) == (400, {"error": "model is required"})


def test_empty_input_loads_the_model_and_answers_no_vectors(server: ServerProcess) -> None:
    for value in ([], "", None):
        body = {"model": MODEL} if value is None else {"model": MODEL, "input": value}
        answer = post(server, "/api/embed", body)
        assert (answer.status_code, answer.json()) == (200, {"model": MODEL, "embeddings": []})
    loaded = httpx.get(server.url + "/api/ps", timeout=30).json()["models"]
    assert [m["name"] for m in loaded] == ["nomic-embed-text:latest"]
    assert loaded[0]["context_length"] == 2048  # num_ctx 8192, clamped to the trained context


def test_long_inputs_are_truncated_or_refused(client: ollama.Client) -> None:
    long_text = "word " * 3000
    with pytest.raises(ollama.ResponseError) as refused:
        client.embed(model=MODEL, input=["cat", long_text], truncate=False)
    assert (refused.value.status_code, refused.value.error) == (
        400,
        "the input length exceeds the context length",
    )
    # A small window (embedding 2048 tokens takes half a minute on two cores) cuts each input.
    cut = client.embed(model=MODEL, input=[long_text, "cat"], options={"num_ctx": 64})
    assert cut.prompt_eval_count == 64 + 3 and len(cut.embeddings) == 2
    # A tiny window keeps the head of the text: the first 6 words (8 tokens with [CLS] and [SEP]).
    words = "one two three four five six seven eight nine ten"
    small = client.embed(model=MODEL, input=words, options={"num_ctx": 8})
    head = client.embed(model=MODEL, input="one two three four five six", options={"num_ctx": 8})
    assert small.prompt_eval_count == head.prompt_eval_count == 8
    assert cosine(small.embeddings[0], head.embeddings[0]) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"input": 1}, 400, "invalid input type"),
        ({"input": ["cat", 1]}, 400, "invalid input type"),
        ({"input": {"text": "cat"}}, 400, "invalid input type"),
        ({"input": "cat", "dimensions": "many"}, 400, None),
        ({"input": "cat", "keep_alive": "300"}, 400, 'time: missing unit in duration "300"'),
        ({"input": "cat", "options": {"num_ctx": "big"}}, 400, None),
        ({"model": "", "input": "cat"}, 404, "model '' not found"),
        (
            {"model": "nosuch", "input": "cat"},
            404,
            'model "nosuch" not found, try pulling it first',
        ),
        (
            {"model": "smollm2:135m", "input": "cat"},
            400,
            '"smollm2:135m" does not support embeddings',
        ),
    ],
    ids=[
        "number",
        "mixed-list",
        "object",
        "bad-dimensions",
        "bad-keep-alive",
        "bad-option",
        "empty-model",
        "unknown-model",
        "chat-model",
    ],
)
def test_bad_requests_get_ollamas_errors(
    server: ServerProcess, client: ollama.Client, body: dict[str, object], status: int, error: str
) -> None:
    answer = post(server, "/api/embed", {"model": MODEL, **body})
    assert answer.status_code == status, answer.text
    if error is not None:
        assert answer.json() == {"error": error}
    else:
        assert answer.json()["error"]


def test_an_embedding_model_refuses_chat_and_generate(client: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as chat:
        client.chat(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert (chat.value.status_code, chat.value.error) == (400, f'"{MODEL}" does not support chat')
    with pytest.raises(ollama.ResponseError) as generate:
        client.generate(model=MODEL, prompt="hi")
    assert (generate.value.status_code, generate.value.error) == (
        400,
        f'"{MODEL}" does not support generate',
    )


def test_pollama_run_prints_the_embedding(server: ServerProcess, client: ollama.Client) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pollama", "run", MODEL, "search_query: cat"],
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    vector = json.loads(run.stdout)
    [expected] = client.embed(model=MODEL, input="search_query: cat").embeddings
    assert len(vector) == 768 and cosine(vector, expected) == pytest.approx(1.0, abs=1e-6)
