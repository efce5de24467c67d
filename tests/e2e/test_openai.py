"""The official `openai` package against a real server on the real engine (spec §3.15)."""

from __future__ import annotations

import json
import math
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from pollama.store import Store
from tests.conftest import ServerProcess, start_server
from tests.support.models import create_from_gguf

pytestmark = pytest.mark.engine

MODEL = "smollm2:135m"
PARIS: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "What is the capital of France?"}
]


@pytest.fixture(scope="module")
def openai_server(
    tmp_path_factory: pytest.TempPathFactory, smollm2_path: Path
) -> Iterator[ServerProcess]:
    """One server for the module, its store holding smollm2:135m."""
    root = tmp_path_factory.mktemp("openai")
    create_from_gguf(Store(root / "models"), MODEL, smollm2_path)
    (root / "home").mkdir()
    server = start_server(root / "models", root / "server.log", {"HOME": str(root / "home")})
    yield server
    server.stop()


@pytest.fixture
def client(openai_server: ServerProcess) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{openai_server.url}/v1", api_key="ignored", max_retries=0, timeout=120
    ) as client:
        yield client


def test_chat_answers_paris(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=MODEL, messages=PARIS, temperature=0)
    assert reply.object == "chat.completion" and reply.id.startswith("chatcmpl-")
    assert reply.model == MODEL and reply.system_fingerprint == "fp_ollama"
    choice = reply.choices[0]
    assert choice.message.role == "assistant" and "Paris" in (choice.message.content or "")
    assert choice.finish_reason == "stop"
    usage = reply.usage
    assert usage is not None and usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_chat_streams_with_usage(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=PARIS,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert len(chunks) > 3
    assert {c.id for c in chunks} == {chunks[0].id} and {c.created for c in chunks} == {
        chunks[0].created
    }
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.choices[0].delta.role is None for c in chunks[1:-1])
    text = "".join(c.choices[0].delta.content or "" for c in chunks[:-1])
    assert "Paris" in text
    finish, final = chunks[-2], chunks[-1]
    assert finish.choices[0].finish_reason == "stop" and finish.choices[0].delta.content is None
    assert all(c.choices[0].finish_reason is None for c in chunks[:-2])
    assert final.choices == [] and final.usage is not None
    assert final.usage.completion_tokens > 0 and final.usage.prompt_tokens > 0


def test_chat_stream_is_incremental(openai_server: ServerProcess) -> None:
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Count from one to thirty."}],
        "max_tokens": 60,
        "temperature": 0,
        "stream": True,
    }
    arrivals: list[float] = []
    lines: list[str] = []
    url = f"{openai_server.url}/v1/chat/completions"
    with httpx.stream("POST", url, json=body, timeout=120) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line:
                arrivals.append(time.perf_counter())
                lines.append(line)
    assert all(line.startswith("data: ") for line in lines) and lines[-1] == "data: [DONE]"
    assert len(lines) > 20 and arrivals[-1] - arrivals[0] > 0.2
    finish = json.loads(lines[-2].removeprefix("data: "))
    assert finish["choices"] == [{"index": 0, "delta": {}, "finish_reason": "length"}]


def test_chat_options_map_to_native(client: openai.OpenAI) -> None:
    def story(temperature: float, seed: int | None = None, stop: list[str] | None = None) -> str:
        reply = client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "Tell me a story."}],
            max_tokens=12,
            temperature=temperature,
            seed=seed,
            stop=stop,
        )
        assert reply.usage is not None and reply.usage.completion_tokens <= 12
        return reply.choices[0].message.content or ""

    limited = client.chat.completions.create(model=MODEL, messages=PARIS, max_completion_tokens=3)
    assert limited.choices[0].finish_reason == "length"
    assert limited.usage is not None and limited.usage.completion_tokens == 3
    assert story(1.5, seed=7) == story(1.5, seed=7)
    full = story(0)
    word = full.split()[2]
    assert story(0, stop=[word]) == full[: full.index(word)]


def test_json_schema_answer_parses(client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"country": {"type": "string"}, "capital": {"type": "string"}},
        "required": ["country", "capital"],
        "additionalProperties": False,
    }
    reply = client.chat.completions.create(
        model=MODEL,
        messages=PARIS,
        temperature=0,
        max_tokens=100,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "capital", "schema": schema},
        },
    )
    answer = json.loads(reply.choices[0].message.content or "")
    assert set(answer) == {"country", "capital"}
    assert isinstance(answer["capital"], str)


def test_json_object_answer_parses(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "user", "content": 'What is the capital of France? Answer as {"capital": ...}'}
        ],
        temperature=0,
        max_tokens=100,
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(reply.choices[0].message.content or ""), dict)


def test_completions(client: openai.OpenAI) -> None:
    reply = client.completions.create(
        model=MODEL, prompt="What is the capital of France?", temperature=0, max_tokens=30
    )
    assert reply.object == "text_completion" and reply.id.startswith("cmpl-")
    assert "Paris" in reply.choices[0].text
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert reply.usage is not None and reply.usage.completion_tokens > 0

    chunks = list(
        client.completions.create(
            model=MODEL,
            prompt="What is the capital of France?",
            temperature=0,
            max_tokens=30,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].text for c in chunks if c.choices) == reply.choices[0].text
    assert chunks[-2].choices[0].finish_reason == reply.choices[0].finish_reason
    final = chunks[-1]
    assert final.choices == [] and final.usage is not None
    assert final.usage.completion_tokens == reply.usage.completion_tokens

    echoed = client.completions.create(
        model=MODEL, prompt="Tell me a story.", temperature=0, max_tokens=3, echo=True
    )
    assert echoed.choices[0].text.startswith("Tell me a story.")
    assert echoed.choices[0].finish_reason == "length"


def test_models_list_and_retrieve(client: openai.OpenAI) -> None:
    listed = client.models.list().data
    assert [m.id for m in listed] == [MODEL]
    assert listed[0].object == "model" and listed[0].owned_by == "library"
    assert abs(listed[0].created - time.time()) < 3600
    model = client.models.retrieve(MODEL)
    assert (model.id, model.owned_by, model.created) == (MODEL, "library", listed[0].created)
    with pytest.raises(openai.NotFoundError) as err:
        client.models.retrieve("nosuch:latest")
    assert err.value.status_code == 404 and "nosuch" in err.value.message


def test_unknown_model_is_not_found(client: openai.OpenAI, openai_server: ServerProcess) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nosuch", messages=PARIS)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nosuch", messages=PARIS, stream=True)
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model="nosuch", prompt="hi")
    response = httpx.post(
        f"{openai_server.url}/v1/chat/completions",
        json={"model": "nosuch", "messages": PARIS},
        timeout=60,
    )
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "message": "model 'nosuch' not found",
            "type": "not_found_error",
            "param": None,
            "code": None,
        }
    }


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("/v1/chat/completions", {"messages": []}, "[] is too short - 'messages'"),
        ("/v1/chat/completions", {"messages": "hi"}, "invalid value for messages"),
        ("/v1/chat/completions", {"model": "", "messages": PARIS}, "model is required"),
        (
            "/v1/chat/completions",
            {"messages": PARIS, "reasoning_effort": "high"},
            '"smollm2:135m" does not support thinking',
        ),
        (
            "/v1/chat/completions",
            {"messages": PARIS, "reasoning_effort": "huge"},
            "invalid reasoning value",
        ),
        (
            "/v1/chat/completions",
            {
                "messages": PARIS,
                "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
            },
            "does not support tools",
        ),
        (
            "/v1/chat/completions",
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}],
                    }
                ]
            },
            "image URLs are not currently supported",
        ),
        ("/v1/completions", {"prompt": "hi", "stop": [1]}, "invalid type for 'stop' field"),
        ("/v1/completions", {"prompt": "hi", "max_tokens": "many"}, "invalid value for max_tokens"),
        ("/v1/embeddings", {"input": []}, "invalid input"),
        (
            "/v1/embeddings",
            {"input": "hi", "encoding_format": "hex"},
            "Invalid value for 'encoding_format' = hex",
        ),
        ("/v1/embeddings", {"input": "hi"}, "does not support embeddings"),
    ],
)
def test_bad_requests(
    openai_server: ServerProcess, path: str, body: dict[str, object], error: str
) -> None:
    response = httpx.post(f"{openai_server.url}{path}", json={"model": MODEL, **body}, timeout=60)
    assert response.status_code == 400, response.text
    detail = response.json()["error"]
    assert detail["type"] == "invalid_request_error" and error in detail["message"]
    assert detail["param"] is None and detail["code"] is None


def test_invalid_json_and_sdk_errors(client: openai.OpenAI, openai_server: ServerProcess) -> None:
    response = httpx.post(f"{openai_server.url}/v1/chat/completions", content=b"{nope", timeout=60)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("invalid JSON")
    empty = httpx.post(f"{openai_server.url}/v1/completions", content=b"", timeout=60)
    assert empty.status_code == 400
    assert empty.json()["error"]["message"] == "missing request body"
    with pytest.raises(openai.BadRequestError, match="does not support thinking"):
        client.chat.completions.create(model=MODEL, messages=PARIS, reasoning_effort="low")


# An answer that runs to max_tokens: finishing it would take far longer than any bound below.
ENDLESS = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "Count from 1 to 10000, one number per line."}],
    "temperature": 0,
    "max_tokens": 4000,
}


def answer_time(url: str) -> float:
    """Seconds for a two-token answer on the one slot (OLLAMA_NUM_PARALLEL=1)."""
    started = time.perf_counter()
    response = httpx.post(url, json={**ENDLESS, "max_tokens": 2}, timeout=120)
    assert response.status_code == 200
    return time.perf_counter() - started


def slot_is_free(url: str, baseline: float) -> bool:
    # Relative to the same request on an idle slot, so that a busy machine does not fail it.
    return answer_time(url) < 3 * baseline + 2.0


def test_stream_disconnect_frees_the_slot(openai_server: ServerProcess) -> None:
    url = f"{openai_server.url}/v1/chat/completions"
    baseline = min(answer_time(url), answer_time(url))  # the first may load the model
    with httpx.stream("POST", url, json={**ENDLESS, "stream": True}, timeout=60) as response:
        lines = response.iter_lines()
        for _ in range(6):  # three events and the blank lines between them
            next(lines)
    assert slot_is_free(url, baseline)


def test_non_streaming_disconnect_frees_the_slot(openai_server: ServerProcess) -> None:
    url = f"{openai_server.url}/v1/chat/completions"
    baseline = min(answer_time(url), answer_time(url))  # the first may load the model
    with pytest.raises(httpx.TimeoutException):
        httpx.post(url, json=ENDLESS, timeout=baseline + 0.5)
    assert slot_is_free(url, baseline)


def runner_pids(server: ServerProcess) -> list[int]:
    """Process ids of the server's runner children."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == server.process.pid and b"pollama.runner" in cmdline:
            pids.append(int(entry.name))
    return pids


def test_runner_crash_mid_stream_is_an_error_event(
    client: openai.OpenAI, openai_server: ServerProcess
) -> None:
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Write a long story."}],
        max_tokens=1000,
        stream=True,
    )
    received = 0
    with pytest.raises(openai.APIError, match="unexpectedly stopped"):
        for _ in stream:
            received += 1
            if received == 3:
                for pid in runner_pids(openai_server):
                    os.kill(pid, signal.SIGKILL)
    assert received >= 3
    # The next request starts a new runner.
    reply = client.chat.completions.create(model=MODEL, messages=PARIS, temperature=0)
    assert "Paris" in (reply.choices[0].message.content or "")


EMBEDDER = "nomic-embed-text:latest"
SENTENCES = ["The cat sat on the mat.", "A cat is sitting on a mat.", "Stock markets fell today."]


@pytest.fixture(scope="module")
def embedding_client(
    tmp_path_factory: pytest.TempPathFactory, nomic_path: Path
) -> Iterator[openai.OpenAI]:
    """The openai client of a server whose store holds nomic-embed-text."""
    root = tmp_path_factory.mktemp("openai-embed")
    create_from_gguf(Store(root / "models"), EMBEDDER, nomic_path)
    (root / "home").mkdir()
    server = start_server(root / "models", root / "server.log", {"HOME": str(root / "home")})
    try:
        with openai.OpenAI(
            base_url=f"{server.url}/v1", api_key="ignored", max_retries=0, timeout=120
        ) as client:
            yield client
    finally:
        server.stop()


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def test_embeddings(embedding_client: openai.OpenAI) -> None:
    # Without encoding_format the SDK asks for base64 and decodes it itself.
    decoded = embedding_client.embeddings.create(model=EMBEDDER, input=SENTENCES)
    assert decoded.object == "list" and decoded.model == EMBEDDER
    assert [(d.object, d.index) for d in decoded.data] == [("embedding", i) for i in range(3)]
    cat, kitty, stocks = (d.embedding for d in decoded.data)
    assert len(cat) == 768 and abs(math.fsum(x * x for x in cat) - 1) < 1e-3
    assert cosine(cat, kitty) > cosine(cat, stocks) + 0.1
    assert decoded.usage.prompt_tokens > 10
    assert decoded.usage.total_tokens == decoded.usage.prompt_tokens

    floats = embedding_client.embeddings.create(
        model=EMBEDDER, input=SENTENCES[0], encoding_format="float"
    )
    assert floats.data[0].embedding == pytest.approx(cat, abs=1e-6)
    short = embedding_client.embeddings.create(model=EMBEDDER, input="", dimensions=64)
    assert len(short.data) == 1 and len(short.data[0].embedding) == 64


def test_embedding_errors(embedding_client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        embedding_client.embeddings.create(model="nosuch", input="hi")
    with pytest.raises(openai.BadRequestError, match="invalid input"):
        embedding_client.embeddings.create(model=EMBEDDER, input=[])
    with pytest.raises(openai.BadRequestError, match="does not support chat"):
        embedding_client.chat.completions.create(model=EMBEDDER, messages=PARIS)
