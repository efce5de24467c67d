"""Native ``/api/chat`` answers as ``chat.completion`` objects and ``chat.completion.chunk``
streams (spec §3.15).

The native ``thinking`` is sent as ``reasoning`` (Ollama's name) and as ``reasoning_content``
(the name DeepSeek-style clients and several SDK wrappers read). Native tool calls become
OpenAI's, arguments as JSON text; ``finish_reason`` is ``tool_calls`` when the model called a
tool and otherwise stopped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pollama.openai.common import Envelope, finish_reason, usage
from pollama.openai.logprobs import chat_logprobs
from pollama.openai.tool_calls import openai_tool_call

CHUNK = "chat.completion.chunk"


def reasoning_fields(thinking: str) -> dict[str, str]:
    return {"reasoning": thinking, "reasoning_content": thinking}


def chat_completion(native: Mapping[str, Any], envelope: Envelope) -> dict[str, Any]:
    """The ``chat.completion`` for a collapsed (``stream: false``) native chat answer."""
    message = native.get("message") or {}
    calls = [openai_tool_call(c, i) for i, c in enumerate(message.get("tool_calls") or ())]
    out: dict[str, Any] = {"role": "assistant", "content": message.get("content") or ""}
    if thinking := message.get("thinking"):
        out.update(reasoning_fields(thinking))
    if calls:
        out["tool_calls"] = calls
    choice: dict[str, Any] = {
        "index": 0,
        "message": out,
        "finish_reason": finish_reason(native, bool(calls)),
    }
    if logprobs := native.get("logprobs"):
        choice["logprobs"] = chat_logprobs(logprobs)
    return envelope.wrap("chat.completion", choices=[choice], usage=usage(native))


class ChatStream:
    """Re-encodes one native chat stream as ``chat.completion.chunk`` objects.

    :meth:`feed` takes the native chunks in order and returns the chunks to send for each:
    thinking and content (with tool calls) as separate chunks, reasoning first; only the first
    chunk's delta names the role. The final native chunk adds a chunk with an empty delta and
    the ``finish_reason``, then, with ``include_usage``, one with no choices and the usage.
    """

    def __init__(self, envelope: Envelope, *, include_usage: bool = False) -> None:
        self._envelope = envelope
        self._include_usage = include_usage
        self._role_sent = False
        self._calls = 0

    def feed(self, native: Mapping[str, Any]) -> list[dict[str, Any]]:
        message = native.get("message") or {}
        out = []
        if thinking := message.get("thinking"):
            out.append(self._delta(reasoning_fields(thinking)))
        native_calls = message.get("tool_calls") or ()
        calls = [openai_tool_call(c, self._calls + i) for i, c in enumerate(native_calls)]
        self._calls += len(calls)
        content, logprobs = message.get("content") or "", native.get("logprobs")
        if content or calls or logprobs:
            delta: dict[str, Any] = {"content": content}
            if calls:
                delta["tool_calls"] = calls
            out.append(self._delta(delta, logprobs))
        if native.get("done"):
            finish = finish_reason(native, self._calls > 0)
            choice = {"index": 0, "delta": {}, "finish_reason": finish}
            out.append(self._envelope.wrap(CHUNK, choices=[choice]))
            if self._include_usage:
                out.append(self._envelope.wrap(CHUNK, choices=[], usage=usage(native)))
        return out

    def _delta(self, delta: dict[str, Any], logprobs: Any = None) -> dict[str, Any]:
        if not self._role_sent:
            delta = {"role": "assistant", **delta}
            self._role_sent = True
        choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": None}
        if logprobs:
            choice["logprobs"] = chat_logprobs(logprobs)
        return self._envelope.wrap(CHUNK, choices=[choice])


__all__ = ["CHUNK", "ChatStream", "chat_completion", "reasoning_fields"]
