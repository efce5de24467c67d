"""Issue acceptance for structured outputs, tool calls and thinking on the native API: the real
engine behind a real server, driven by the official ``ollama`` package.

SmolLM2-135M neither calls tools nor thinks by itself; the models created here give it a
Modelfile template that does what such models' templates do: list the tools in the system prompt
and prime the assistant turn with ``<tool_call>``, or open a ``<think>`` block when thinking is on
(with a one-shot example in the system prompt).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import ollama
import openai
import pytest
from pydantic import BaseModel

from pollama.store import Store
from tests.conftest import ServerProcess
from tests.support.models import create_from_gguf

pytestmark = pytest.mark.engine

TOOLS_TEMPLATE = r"""<|im_start|>system
{{ .System }}
{{- if .Tools }}
Tools:
{{ range .Tools }}{{ . }}
{{ end }}To use a tool, write <tool_call>{"name": "<tool name>", "arguments": {<arguments>}}</tool_call>.
{{- end }}<|im_end|>
{{ range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "user" }}<|im_start|>user
{{ .Content }}<|im_end|>
{{ else if eq .Role "assistant" }}<|im_start|>assistant
{{ if .ToolCalls }}<tool_call>
{{ range .ToolCalls }}{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}
{{ end }}</tool_call>{{ else }}{{ .Content }}{{ end }}<|im_end|>
{{ else if eq .Role "tool" }}<|im_start|>user
The {{ .ToolName }} tool says: {{ .Content }}<|im_end|>
{{ end }}
{{- if and $last (ne .Role "assistant") }}<|im_start|>assistant
{{ if and $.Tools (eq .Role "user") }}<tool_call>
{{ end }}{{ end }}
{{- end }}"""

# A one-shot example of the call format, as a MESSAGE history of the model.
TOOLS_EXAMPLE = [
    {"role": "user", "content": "What is the weather in London?"},
    {
        "role": "assistant",
        "content": '<tool_call>\n{"name": "get_weather", "arguments": {"city": "London"}}\n'
        "</tool_call>",
    },
    {"role": "user", "content": "The get_weather tool says: It is 12 degrees and rainy in London."},
    {"role": "assistant", "content": "It is 12 degrees and rainy in London."},
]

THINK_TEMPLATE = r"""<|im_start|>system
{{ .System }}
{{- if .Think }} Think before you answer, like this:
user: What is the capital of Italy?
assistant: <think>
The user asks about Italy. The capital of Italy is Rome.
</think>
The capital of Italy is Rome.{{ end }}<|im_end|>
{{ range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "user" }}<|im_start|>user
{{ .Content }}<|im_end|>
{{ else if eq .Role "assistant" }}<|im_start|>assistant
{{ if .Thinking }}<think>{{ .Thinking }}</think>
{{ end }}{{ .Content }}<|im_end|>
{{ end }}
{{- if and $last (ne .Role "assistant") }}<|im_start|>assistant
{{ if $.Think }}<think>
{{ end }}{{ end }}
{{- end }}"""

FRANCE = [{"role": "user", "content": "What is the capital of France?"}]
WEATHER = [{"role": "user", "content": "What is the weather in Paris?"}]
GREEDY = {"temperature": 0, "num_predict": 100}


class Pet(BaseModel):
    name: str
    animal: str
    age: int
    is_friendly: bool


class Country(BaseModel):
    name: str
    capital: str


def get_weather(city: str) -> str:
    """Get the current weather in a city.

    Args:
        city: The name of the city

    Returns:
        The weather report
    """
    return f"It is 18 degrees and sunny in {city}."


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory, smollm2_path: Path) -> Path:
    root = tmp_path_factory.mktemp("outputs") / "models"
    create_from_gguf(Store(root), "smollm2:135m", smollm2_path)
    return root


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess], store_dir: Path) -> ServerProcess:
    """A server with smollm2:135m and the two models built on it (see the module docstring)."""
    server = server_factory(store_dir)
    with ollama.Client(host=server.url) as client:
        _create_models(client)
    return server


def _create_models(client: ollama.Client) -> None:
    stop = {"stop": ["<|im_end|>"]}
    system = "You are a helpful assistant."
    client.create(
        model="smol-tools",
        from_="smollm2:135m",
        template=TOOLS_TEMPLATE,
        system=system,
        parameters=stop,
        messages=TOOLS_EXAMPLE,
    )
    client.create(
        model="smol-think", from_="smollm2:135m", template=THINK_TEMPLATE, system=system,
        parameters=stop,
    )  # fmt: skip


@pytest.fixture
def client(server: ServerProcess) -> Iterator[ollama.Client]:
    with ollama.Client(host=server.url) as client:
        yield client


def post(server: ServerProcess, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=120)


# -- structured outputs -------------------------------------------------------------------------


def test_schema_format_ten_in_a_row(client: ollama.Client) -> None:
    messages = [{"role": "user", "content": "Tell me about your pet."}]
    for _ in range(10):
        reply = client.chat(
            model="smollm2:135m",
            messages=messages,
            format=Pet.model_json_schema(),
            options={"temperature": 1},
        )
        Pet.model_validate_json(reply.message.content or "")
    streamed = "".join(
        part.message.content or ""
        for part in client.chat(
            model="smollm2:135m",
            messages=messages,
            format=Pet.model_json_schema(),
            options={"temperature": 1},
            stream=True,
        )
    )
    Pet.model_validate_json(streamed)


def test_json_format_chat_and_generate(client: ollama.Client) -> None:
    reply = client.chat(
        model="smollm2:135m",
        messages=[{"role": "user", "content": "Give me a JSON object with a name and an age."}],
        format="json",
        options={"temperature": 0, "num_predict": 200},
    )
    assert isinstance(json.loads(reply.message.content or ""), dict)
    pieces = client.generate(
        model="smollm2:135m",
        prompt="Give me a JSON object with a name and an age.",
        format="json",
        options={"temperature": 0, "num_predict": 200},
        stream=True,
    )
    assert isinstance(json.loads("".join(p.response for p in pieces)), dict)


@pytest.mark.parametrize(
    ("fmt", "error"),
    [
        ("xml", 'invalid format: "\\"xml\\""; expected "json" or a valid JSON Schema object'),
        ({"type": "object", "properties": {"a": {"type": "text"}}}, "invalid JSON schema"),
        ({"$ref": "#/$defs/Missing"}, "does not resolve"),
    ],
)
def test_bad_format_is_400(server: ServerProcess, fmt: object, error: str) -> None:
    for path, body in (("/api/chat", {"messages": FRANCE}), ("/api/generate", {"prompt": "hi"})):
        response = post(server, path, {"model": "smollm2:135m", "format": fmt, **body})
        assert response.status_code == 400 and error in response.json()["error"]


# -- tool calls ---------------------------------------------------------------------------------


def test_tool_call_round_trip(client: ollama.Client) -> None:
    assert "tools" in (client.show("smol-tools").capabilities or [])
    reply = client.chat(
        model="smol-tools", messages=WEATHER, tools=[get_weather], options={"temperature": 0}
    )
    calls = reply.message.tool_calls or []
    assert [call.function.name for call in calls] == ["get_weather"]
    assert "tool_call" not in (reply.message.content or "")
    answer = get_weather(**calls[0].function.arguments)
    history = [
        *WEATHER,
        reply.message,
        {"role": "tool", "tool_name": "get_weather", "content": answer},
    ]
    final = client.chat(model="smol-tools", messages=history, tools=[get_weather], options=GREEDY)
    assert not final.message.tool_calls
    assert "18" in (final.message.content or "")  # the tool's answer reached the model


def test_tool_call_streamed_and_wire_shape(server: ServerProcess, client: ollama.Client) -> None:
    parts = list(
        client.chat(
            model="smol-tools",
            messages=WEATHER,
            tools=[get_weather],
            options={"temperature": 0},
            stream=True,
        )
    )
    assert [c.function.name for p in parts for c in p.message.tool_calls or []] == ["get_weather"]
    assert not any("tool_call" in (p.message.content or "") for p in parts)
    assert parts[-1].done
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    body = {
        "model": "smol-tools",
        "messages": WEATHER,
        "tools": [tool],
        "stream": False,
        "options": {"temperature": 0},
    }
    (call,) = post(server, "/api/chat", body).json()["message"]["tool_calls"]
    assert call["id"].startswith("call_") and len(call["id"]) == 13
    assert call["function"]["index"] == 0 and call["function"]["name"] == "get_weather"
    assert isinstance(call["function"]["arguments"], dict)


def test_without_tools_the_model_just_answers(client: ollama.Client) -> None:
    reply = client.chat(model="smol-tools", messages=FRANCE, options=GREEDY)
    assert "Paris" in (reply.message.content or "") and not reply.message.tool_calls


# -- thinking -----------------------------------------------------------------------------------


def test_thinking_apart_from_the_answer(client: ollama.Client) -> None:
    assert "thinking" in (client.show("smol-think").capabilities or [])
    for think in (True, "high", None):  # unset: thinking models think by default
        reply = client.chat(model="smol-think", messages=FRANCE, think=think, options=GREEDY)
        assert reply.message.thinking and "Paris" in (reply.message.content or "")
        assert "think>" not in reply.message.thinking + (reply.message.content or "")
    plain = client.chat(model="smol-think", messages=FRANCE, think=False, options=GREEDY)
    assert not plain.message.thinking and "Paris" in (plain.message.content or "")
    assert "think>" not in (plain.message.content or "")


def test_thinking_streamed_before_the_answer(client: ollama.Client) -> None:
    parts = list(
        client.chat(model="smol-think", messages=FRANCE, think=True, options=GREEDY, stream=True)
    )
    kinds = [
        "thinking" if p.message.thinking else "content"
        for p in parts
        if p.message.thinking or p.message.content
    ]
    assert kinds[0] == "thinking" and "content" in kinds
    assert kinds == sorted(kinds, key=lambda k: k == "content")  # no thinking after the answer
    generated = client.generate(
        model="smol-think", prompt="What is the capital of France?", think=True, options=GREEDY
    )
    assert generated.thinking and "Paris" in generated.response
    streamed = list(
        client.generate(
            model="smol-think", prompt="What is the capital of France?", think=True,
            options=GREEDY, stream=True,
        )
    )  # fmt: skip
    assert "".join(p.thinking or "" for p in streamed) == generated.thinking


def test_format_applies_after_thinking(client: ollama.Client) -> None:
    reply = client.chat(
        model="smol-think",
        messages=FRANCE,
        think=True,
        format=Country.model_json_schema(),
        options=GREEDY,
    )
    assert reply.message.thinking
    country = Country.model_validate_json(reply.message.content or "")
    assert country.capital == "Paris"


def test_thinking_refused_without_the_capability(client: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as err:
        client.chat(model="smollm2:135m", messages=FRANCE, think="low")
    assert err.value.status_code == 400
    assert err.value.error == '"smollm2:135m" does not support thinking'
    reply = client.chat(model="smollm2:135m", messages=FRANCE, think=False, options=GREEDY)
    assert not reply.message.thinking


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "The name of the city"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture
def openai_client(server: ServerProcess) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused") as client:
        yield client


def test_openai_tool_call_round_trip(openai_client: openai.OpenAI) -> None:
    first = openai_client.chat.completions.create(
        model="smol-tools",
        messages=WEATHER,
        tools=[WEATHER_TOOL],
        temperature=0,
    )
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.type == "function" and call.function.name == "get_weather" and call.id
    arguments = json.loads(call.function.arguments)  # OpenAI sends arguments as a JSON string
    answer = get_weather(**arguments)
    history = [
        *WEATHER,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": answer},
    ]
    final = openai_client.chat.completions.create(
        model="smol-tools",
        messages=history,
        tools=[WEATHER_TOOL],
        temperature=0,
        max_tokens=100,
    )
    assert final.choices[0].finish_reason == "stop"
    assert not final.choices[0].message.tool_calls
    assert "18" in (final.choices[0].message.content or "")


def test_openai_tool_call_streamed(openai_client: openai.OpenAI) -> None:
    stream = openai_client.chat.completions.create(
        model="smol-tools",
        messages=WEATHER,
        tools=[WEATHER_TOOL],
        temperature=0,
        stream=True,
    )
    calls, reasons = [], []
    for chunk in stream:
        for choice in chunk.choices:
            calls += choice.delta.tool_calls or []
            if choice.finish_reason:
                reasons.append(choice.finish_reason)
            assert "<tool_call>" not in (choice.delta.content or "")
    assert [c.function.name for c in calls if c.function] == ["get_weather"]
    assert reasons == ["tool_calls"]


def test_openai_reasoning_apart_from_the_answer(openai_client: openai.OpenAI) -> None:
    reply = openai_client.chat.completions.create(
        model="smol-think",
        messages=FRANCE,
        temperature=0,
        max_tokens=100,
        reasoning_effort="high",
    )
    message = reply.choices[0].message
    reasoning = (message.model_extra or {}).get("reasoning_content")
    assert reasoning and "think>" not in reasoning
    assert "Paris" in (message.content or "") and "think>" not in (message.content or "")
