"""Native chat answers as chat.completion objects and chunk streams (spec §3.15)."""

from __future__ import annotations

import json
import re
from typing import Any

from pollama.openai import ChatStream, Envelope, chat_completion

ENVELOPE = Envelope(model="m", id="chatcmpl-7", created=1700000000)
HEAD = {
    "id": "chatcmpl-7",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "m",
    "system_fingerprint": "fp_ollama",
}
FINAL = {"done": True, "done_reason": "stop", "prompt_eval_count": 10, "eval_count": 4}
USAGE = {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}


def answer(message: dict[str, Any], **final: Any) -> dict[str, Any]:
    return chat_completion({**FINAL, "message": message, **final}, ENVELOPE)


def test_plain_answer() -> None:
    assert answer({"role": "assistant", "content": "Paris."}) == {
        **HEAD,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Paris."},
                "finish_reason": "stop",
            }
        ],
        "usage": USAGE,
    }


def test_thinking_and_length() -> None:
    out = answer({"role": "assistant", "content": "Par", "thinking": "hmm"}, done_reason="length")
    choice = out["choices"][0]
    assert choice["finish_reason"] == "length"
    assert choice["message"] == {
        "role": "assistant",
        "content": "Par",
        "reasoning": "hmm",
        "reasoning_content": "hmm",
    }


def test_tool_calls() -> None:
    calls = [
        {
            "id": "call_x",
            "function": {"index": 0, "name": "weather", "arguments": {"city": "東京"}},
        },
        {"function": {"index": 1, "name": "time", "arguments": {}}},
    ]
    choice = answer({"role": "assistant", "content": "", "tool_calls": calls})["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    first, second = choice["message"]["tool_calls"]
    assert first == {
        "id": "call_x",
        "index": 0,
        "type": "function",
        "function": {"name": "weather", "arguments": '{"city":"東京"}'},
    }
    assert re.fullmatch(r"call_[a-z0-9]{8}", second["id"]) and second["index"] == 1
    assert json.loads(second["function"]["arguments"]) == {}
    # A call cut off by the token limit still reports the limit.
    cut = answer({"role": "assistant", "content": "", "tool_calls": calls}, done_reason="length")
    assert cut["choices"][0]["finish_reason"] == "length"


def test_logprobs() -> None:
    logprobs = [
        {
            "token": "Par",
            "logprob": -0.1,
            "bytes": [80, 97, 114],
            "top_logprobs": [{"token": "Par", "logprob": -0.1}],
        }
    ]
    choice = answer({"role": "assistant", "content": "Par"}, logprobs=logprobs)["choices"][0]
    assert choice["logprobs"] == {
        "content": [
            {
                "token": "Par",
                "logprob": -0.1,
                "bytes": [80, 97, 114],
                "top_logprobs": [{"token": "Par", "logprob": -0.1, "bytes": None}],
            }
        ]
    }


def chunk(**message: Any) -> dict[str, Any]:
    return {"done": False, "message": {"role": "assistant", **message}}


def deltas(stream: ChatStream, *native: dict[str, Any]) -> list[tuple[Any, Any]]:
    out = [c for n in native for c in stream.feed(n)]
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == "chatcmpl-7" for c in out)
    return [
        (c["choices"][0]["delta"], c["choices"][0]["finish_reason"])
        if c["choices"]
        else ((), c["usage"])
        for c in out
    ]


def test_stream_content_then_finish() -> None:
    stream = ChatStream(ENVELOPE)
    assert deltas(
        stream,
        chunk(content="Par"),
        chunk(content=""),
        chunk(content="is"),
        {**FINAL, "message": {"role": "assistant", "content": ""}},
    ) == [
        ({"role": "assistant", "content": "Par"}, None),
        ({"content": "is"}, None),
        ({}, "stop"),
    ]


def test_stream_thinking_is_split_off_and_usage_comes_last() -> None:
    stream = ChatStream(ENVELOPE, include_usage=True)
    assert deltas(
        stream,
        chunk(content="", thinking="Let me"),
        chunk(content="Paris", thinking=" think"),
        {**FINAL, "done_reason": "length", "message": {"role": "assistant", "content": ""}},
    ) == [
        ({"role": "assistant", "reasoning": "Let me", "reasoning_content": "Let me"}, None),
        ({"reasoning": " think", "reasoning_content": " think"}, None),
        ({"content": "Paris"}, None),
        ({}, "length"),
        ((), USAGE),
    ]


def test_stream_tool_calls_and_leftovers_in_the_final_chunk() -> None:
    stream = ChatStream(ENVELOPE)
    call = {"id": "call_a", "function": {"index": 0, "name": "f", "arguments": {"x": 1}}}
    later = {"id": "call_b", "function": {"name": "g", "arguments": {}}}
    out = deltas(
        stream,
        chunk(content="", tool_calls=[call]),
        {**FINAL, "message": {"role": "assistant", "content": "", "tool_calls": [later]}},
    )
    assert out == [
        (
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": "call_a",
                        "index": 0,
                        "type": "function",
                        "function": {"name": "f", "arguments": '{"x":1}'},
                    }
                ],
            },
            None,
        ),
        (
            {
                "content": "",
                "tool_calls": [
                    {
                        "id": "call_b",
                        "index": 1,
                        "type": "function",
                        "function": {"name": "g", "arguments": "{}"},
                    }
                ],
            },
            None,
        ),
        ({}, "tool_calls"),
    ]


def test_stream_chunks_share_created() -> None:
    stream = ChatStream(Envelope.new("chatcmpl", "m"), include_usage=True)
    out = stream.feed(chunk(content="a")) + stream.feed({**FINAL, "message": {}})
    assert len({c["created"] for c in out}) == 1 and len({c["id"] for c in out}) == 1
    assert re.fullmatch(r"chatcmpl-\d{1,3}", out[0]["id"])
