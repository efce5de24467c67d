"""OpenAI chat messages as native messages (spec §3.15, "Message content")."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from pollama.errors import BadRequest
from pollama.openai.messages import image_data, native_messages
from pollama.openai.types import ChatMessage

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


def native(*messages: dict[str, Any]) -> list[dict[str, Any]]:
    return native_messages([ChatMessage.model_validate(m) for m in messages])


def test_plain_messages_and_roles() -> None:
    assert native(
        {"role": "developer", "content": "be brief"},
        {"role": "User", "content": "hi"},
        {"role": "assistant", "content": "hello", "reasoning": "greet back"},
        {"role": "assistant", "content": "again", "reasoning_content": "once more"},
    ) == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello", "thinking": "greet back"},
        {"role": "assistant", "content": "again", "thinking": "once more"},
    ]


def test_content_parts_become_one_message() -> None:
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "text", "text": "Be brief."},
        {"type": "image_url", "image_url": f"data:;base64,{PNG}"},
        {"type": "input_audio", "input_audio": {"data": PNG, "format": "wav"}},
    ]
    assert native({"role": "user", "content": parts}) == [
        {"role": "user", "content": "What is this?\n\nBe brief.", "images": [PNG, PNG, PNG]}
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://example.com/cat.png", "image URLs are not currently supported"),
        ({"url": "http://example.com/cat.png"}, "image URLs are not currently supported"),
        ("data:image/gif;base64," + PNG, "invalid image input"),
        ("data:image/png;base64,not base64!", "invalid image input"),
        ("cat.png", "invalid image input"),
        (None, "invalid image input"),
    ],
    ids=["https", "http-object", "gif", "bad-base64", "path", "missing"],
)
def test_bad_images(value: object, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        image_data(value)


@pytest.mark.parametrize("mime", ["image/jpeg", "image/jpg", "image/png", "image/webp", ""])
def test_accepted_image_types(mime: str) -> None:
    assert image_data(f"data:{mime};base64,{PNG}") == PNG


def test_tool_calls_and_results() -> None:
    assert native(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city": "Tokyo"}'},
                },
                {"id": "call_2", "type": "function", "function": {"name": "time", "arguments": ""}},
            ],
        },
        {"role": "tool", "tool_call_id": "call_2", "content": "noon"},
        {"role": "tool", "tool_call_id": "call_1", "name": "forecast", "content": "rain"},
    ) == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "function": {"index": 0, "name": "weather", "arguments": {"city": "Tokyo"}},
                },
                {"id": "call_2", "function": {"index": 1, "name": "time", "arguments": {}}},
            ],
        },
        {"role": "tool", "content": "noon", "tool_name": "time", "tool_call_id": "call_2"},
        {"role": "tool", "content": "rain", "tool_name": "forecast", "tool_call_id": "call_1"},
    ]


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"role": "user", "content": None}, "invalid message content type: null"),
        ({"role": "user", "content": [{"type": "video"}]}, "invalid message part type: 'video'"),
        ({"role": "user", "content": ["text"]}, "invalid message format"),
        (
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "f", "arguments": "{nope"}}],
            },
            "invalid tool call arguments",
        ),
        (
            {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "[1]"}}]},
            "invalid tool call arguments",
        ),
    ],
    ids=[
        "null-content",
        "unknown-part",
        "part-not-object",
        "bad-json-arguments",
        "array-arguments",
    ],
)
def test_bad_messages(message: dict[str, Any], error: str) -> None:
    with pytest.raises(BadRequest) as err:
        native(message)
    assert str(err.value) == error
