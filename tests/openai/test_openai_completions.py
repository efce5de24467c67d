"""Legacy completions to and from native /api/generate (spec §3.15)."""

from __future__ import annotations

from typing import Any

import pytest

from pollama.errors import BadRequest
from pollama.openai import (
    CompletionRequest,
    CompletionStream,
    Envelope,
    native_generate_request,
    text_completion,
)

ENVELOPE = Envelope(model="m", id="cmpl-3", created=1700000000)
FINAL = {"done": True, "done_reason": "stop", "prompt_eval_count": 5, "eval_count": 2}
USAGE = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
ZERO = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def translate(**fields: Any) -> dict[str, Any]:
    return native_generate_request(
        CompletionRequest.model_validate({"model": "m", "prompt": "Once", **fields})
    )


def test_request_defaults() -> None:
    assert translate() == {
        "model": "m",
        "prompt": "Once",
        "stream": False,
        "options": {
            "temperature": 1.0,
            "top_p": 1.0,
            "frequency_penalty": 0.0,
            "presence_penalty": 0.0,
        },
    }


def test_request_fields() -> None:
    body = translate(
        prompt=["Once"],
        suffix="end",
        stream=True,
        max_tokens=9,
        seed=1,
        stop="\n",
        temperature=0,
        top_p=0,
        logprobs=2,
        best_of=3,
    )
    assert body == {
        "model": "m",
        "prompt": "Once",
        "suffix": "end",
        "stream": True,
        "logprobs": True,
        "top_logprobs": 2,
        "options": {
            "temperature": 0,
            "top_p": 1.0,
            "num_predict": 9,
            "seed": 1,
            "stop": ["\n"],
            "frequency_penalty": 0.0,
            "presence_penalty": 0.0,
        },
    }


@pytest.mark.parametrize(
    ("prompt", "error"),
    [
        (None, "invalid type for 'prompt' field: null"),
        ([1, 2, 3], "invalid type for 'prompt' field: array"),
        (["a", "b"], "invalid type for 'prompt' field: array"),
    ],
)
def test_bad_prompts(prompt: object, error: str) -> None:
    with pytest.raises(BadRequest) as err:
        translate(prompt=prompt)
    assert str(err.value) == error


def test_answer() -> None:
    out = text_completion({**FINAL, "response": " upon"}, ENVELOPE, echo="Once")
    assert out == {
        "id": "cmpl-3",
        "object": "text_completion",
        "created": 1700000000,
        "model": "m",
        "system_fingerprint": "fp_ollama",
        "choices": [{"text": "Once upon", "index": 0, "logprobs": None, "finish_reason": "stop"}],
        "usage": USAGE,
    }


def test_answer_logprobs_count_offsets_after_the_echo() -> None:
    logprobs = [
        {"token": " up", "logprob": -0.5, "top_logprobs": [{"token": " up", "logprob": -0.5}]},
        {"token": "on", "logprob": -0.1},
    ]
    out = text_completion({**FINAL, "response": " upon", "logprobs": logprobs}, ENVELOPE, "Once")
    assert out["choices"][0]["logprobs"] == {
        "tokens": [" up", "on"],
        "token_logprobs": [-0.5, -0.1],
        "top_logprobs": [{" up": -0.5}, {}],
        "text_offset": [4, 7],
    }


def texts(stream: CompletionStream, *native: dict[str, Any]) -> list[tuple[Any, ...]]:
    out = [c for n in native for c in stream.feed(n)]
    assert all(c["object"] == "text_completion" and c["id"] == "cmpl-3" for c in out)
    return [
        (c["choices"][0]["text"], c["choices"][0]["finish_reason"], c.get("usage"))
        if c["choices"]
        else ((), c["usage"])
        for c in out
    ]


def test_stream() -> None:
    stream = CompletionStream(ENVELOPE)
    assert texts(
        stream,
        {"response": " up", "done": False},
        {"response": "", "thinking": "hm", "done": False},
        {"response": "on", "done": False},
        {**FINAL, "response": "", "done_reason": "length"},
    ) == [(" up", None, None), ("on", None, None), ("", "length", None)]


def test_stream_with_usage_and_echo() -> None:
    stream = CompletionStream(ENVELOPE, include_usage=True, echo="Once")
    assert texts(stream, {"response": " upon", "done": False}, {**FINAL, "response": ""}) == [
        ("Once upon", None, ZERO),
        ("", "stop", ZERO),
        ((), USAGE),
    ]
    # The echo comes first even when the model says nothing at all.
    silent = CompletionStream(ENVELOPE, echo="Once")
    assert texts(silent, {**FINAL, "response": ""}) == [("Once", "stop", None)]
