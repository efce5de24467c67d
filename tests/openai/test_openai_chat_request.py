"""Chat completion requests as native /api/chat bodies (spec §3.15)."""

from __future__ import annotations

from typing import Any

import pytest

from pollama.errors import BadRequest
from pollama.openai import ChatCompletionRequest, native_chat_request

HI = [{"role": "user", "content": "hi"}]
DEFAULT_OPTIONS = {"temperature": 1.0, "top_p": 1.0}


def translate(**fields: Any) -> dict[str, Any]:
    return native_chat_request(
        ChatCompletionRequest.model_validate({"model": "m", "messages": HI, **fields})
    )


def test_minimal_request() -> None:
    assert translate() == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": False,
        "options": DEFAULT_OPTIONS,
    }


@pytest.mark.parametrize(
    ("fields", "options"),
    [
        ({"temperature": 0, "top_p": 0.5}, {"temperature": 0, "top_p": 0.5}),
        ({"top_p": 0}, {"temperature": 1.0, "top_p": 0}),
        ({"max_tokens": 5}, {**DEFAULT_OPTIONS, "num_predict": 5}),
        ({"max_completion_tokens": 7, "max_tokens": 5}, {**DEFAULT_OPTIONS, "num_predict": 7}),
        ({"seed": 42}, {**DEFAULT_OPTIONS, "seed": 42}),
        ({"stop": "x"}, {**DEFAULT_OPTIONS, "stop": ["x"]}),
        ({"stop": ["x", "y"]}, {**DEFAULT_OPTIONS, "stop": ["x", "y"]}),
        ({"stop": []}, DEFAULT_OPTIONS),
        (
            {"frequency_penalty": 0.5, "presence_penalty": -0.5},
            {**DEFAULT_OPTIONS, "frequency_penalty": 0.5, "presence_penalty": -0.5},
        ),
        ({"n": 3, "user": "u", "logit_bias": {"1": 2}}, DEFAULT_OPTIONS),
    ],
    ids=[
        "sampling",
        "top-p-zero-kept",
        "max-tokens",
        "max-completion-tokens-wins",
        "seed",
        "stop-string",
        "stop-list",
        "stop-empty",
        "penalties",
        "ignored",
    ],
)
def test_options(fields: dict[str, Any], options: dict[str, Any]) -> None:
    assert translate(**fields)["options"] == options


@pytest.mark.parametrize(
    ("response_format", "native"),
    [
        ({"type": "text"}, None),
        ({"type": "json_object"}, "json"),
        (
            {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
            {"type": "object"},
        ),
        ({"type": "json_schema", "json_schema": {"name": "x"}}, "json"),
    ],
    ids=["text", "json-object", "json-schema", "json-schema-without-schema"],
)
def test_response_format(response_format: dict[str, Any], native: object) -> None:
    assert translate(response_format=response_format).get("format") == native


@pytest.mark.parametrize(
    ("fields", "think"),
    [
        ({}, None),
        ({"reasoning_effort": "none"}, False),
        ({"reasoning_effort": "minimal"}, "low"),
        ({"reasoning_effort": "low"}, "low"),
        ({"reasoning_effort": "medium"}, "medium"),
        ({"reasoning_effort": "high"}, "high"),
        ({"reasoning_effort": "max"}, "max"),
        ({"reasoning_effort": "xhigh"}, "max"),
        ({"reasoning_effort": "ultra"}, "max"),
        ({"reasoning": {"effort": "high"}}, "high"),
        ({"reasoning_effort": "low", "reasoning": {"effort": "high"}}, "low"),
    ],
)
def test_reasoning_effort_is_think(fields: dict[str, Any], think: object) -> None:
    assert translate(**fields).get("think") == think


def test_tools_pass_through_unless_choice_is_none() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    assert translate(tools=tools)["tools"] == tools
    assert translate(tools=tools, tool_choice="auto")["tools"] == tools
    assert "tools" not in translate(tools=tools, tool_choice="none")
    assert "tools" not in translate(tools=[])


def test_stream_and_logprobs() -> None:
    body = translate(stream=True, logprobs=True, top_logprobs=3)
    assert body["stream"] is True and body["logprobs"] is True and body["top_logprobs"] == 3
    assert "logprobs" not in translate(logprobs=False, top_logprobs=3)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"messages": []}, "[] is too short - 'messages'"),
        ({"reasoning_effort": "huge"}, 'invalid reasoning value: "huge"'),
        ({"stop": [1]}, "invalid type for 'stop' field: number"),
        ({"stop": {"a": 1}}, "invalid type for 'stop' field: object"),
        ({"response_format": {"type": "yaml"}}, "invalid response_format type: 'yaml'"),
        ({"response_format": "json"}, "invalid type for 'response_format' field: string"),
    ],
)
def test_bad_requests(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequest) as err:
        translate(**fields)
    assert str(err.value).startswith(message)
