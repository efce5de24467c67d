"""Request bodies of the OpenAI-compatible endpoints (spec §3.15).

Only the fields pollama translates are declared; unknown fields (``n``, ``user``, ``logit_bias``,
...) are ignored, as OpenAI's SDKs send many of them. Fields whose accepted JSON types are wider
than one Python type (``content``, ``stop``, ``prompt``, ``input``, ``response_format``) are kept
loose here and checked by the translation functions, which raise BadRequest with Ollama's
messages.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pollama.api.types import Request


class StreamOptions(Request):
    include_usage: bool = False


class FunctionCall(Request):
    name: str = ""
    arguments: Any = None  # a JSON string on the wire


class ToolCall(Request):
    id: str = ""
    type: str = "function"
    function: FunctionCall = Field(default_factory=FunctionCall)


class ChatMessage(Request):
    role: str
    content: str | list[Any] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    reasoning: str | None = None
    reasoning_content: str | None = None


class Reasoning(Request):
    effort: str | None = None


class ChatCompletionRequest(Request):
    model: str = ""
    messages: list[ChatMessage] = Field(default_factory=list)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    seed: int | None = None
    stop: Any = None
    temperature: float | None = None
    top_p: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    response_format: Any = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    reasoning_effort: str | None = None
    reasoning: Reasoning | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None

    @property
    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage


class CompletionRequest(Request):
    model: str = ""
    prompt: Any = None
    suffix: str | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = None
    seed: int | None = None
    stop: Any = None
    temperature: float | None = None
    top_p: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    logprobs: int | None = None
    echo: bool = False

    @property
    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage


class EmbeddingRequest(Request):
    model: str = ""
    input: Any = None
    dimensions: int | None = None
    encoding_format: str | None = None


__all__ = [
    "ChatCompletionRequest",
    "ChatMessage",
    "CompletionRequest",
    "EmbeddingRequest",
    "FunctionCall",
    "Reasoning",
    "StreamOptions",
    "ToolCall",
]
