"""``/v1/chat/completions`` requests as native ``/api/chat`` bodies (spec §3.15).

* ``max_completion_tokens`` (or the older ``max_tokens``), ``seed``, ``stop``, ``temperature``,
  ``top_p`` and the penalties become ``options`` (see :mod:`pollama.openai.options`).
* ``response_format``: ``json_object`` is format ``"json"``; ``json_schema`` is its ``schema``
  (``"json"`` when it has none); ``text`` is no constraint.
* ``tools`` pass through unchanged (OpenAI's and Ollama's tool shapes are the same);
  ``tool_choice: "none"`` leaves them out, which is the one choice a prompt can honour. Other
  choices are ignored, as Ollama ignores them.
* ``reasoning_effort`` or ``reasoning.effort``: ``none`` is think false, ``minimal`` is ``low``,
  ``xhigh``/``ultra`` are ``max``, ``low``/``medium``/``high``/``max`` stay.
"""

from __future__ import annotations

from typing import Any

from pollama.errors import BadRequest
from pollama.openai.messages import native_messages
from pollama.openai.options import json_type, native_options
from pollama.openai.types import ChatCompletionRequest

_THINK_BY_EFFORT: dict[str, bool | str] = {
    "none": False,
    "minimal": "low",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "max": "max",
    "xhigh": "max",
    "ultra": "max",
}


def native_chat_request(req: ChatCompletionRequest) -> dict[str, Any]:
    """The native ``/api/chat`` body for ``req``; raises BadRequest with Ollama's messages."""
    if not req.messages:
        raise BadRequest("[] is too short - 'messages'")
    body: dict[str, Any] = {
        "model": req.model,
        "messages": native_messages(req.messages),
        "stream": req.stream,
        "options": native_options(
            temperature=req.temperature,
            top_p=req.top_p,
            max_tokens=req.max_completion_tokens
            if req.max_completion_tokens is not None
            else req.max_tokens,
            seed=req.seed,
            stop=req.stop,
            frequency_penalty=req.frequency_penalty,
            presence_penalty=req.presence_penalty,
        ),
    }
    if (fmt := native_format(req.response_format)) is not None:
        body["format"] = fmt
    if req.tools and req.tool_choice != "none":
        body["tools"] = req.tools
    if (think := native_think(req)) is not None:
        body["think"] = think
    if req.logprobs:
        body["logprobs"] = True
        if req.top_logprobs is not None:
            body["top_logprobs"] = req.top_logprobs
    return body


def native_format(response_format: object) -> str | dict[str, Any] | None:
    """The native ``format`` for a ``response_format``; raises BadRequest for unknown types."""
    if response_format is None:
        return None
    if not isinstance(response_format, dict):
        raise BadRequest(f"invalid type for 'response_format' field: {json_type(response_format)}")
    kind = response_format.get("type")
    if kind in (None, "text"):
        return None
    if kind == "json_object":
        return "json"
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else "json"
    raise BadRequest(f"invalid response_format type: {kind!r}")


def native_think(req: ChatCompletionRequest) -> bool | str | None:
    """The native ``think`` for the request's reasoning effort; None when it names none."""
    effort = req.reasoning_effort
    if effort is None and req.reasoning is not None:
        effort = req.reasoning.effort
    if effort is None:
        return None
    if effort not in _THINK_BY_EFFORT:
        choices = ", ".join(f'"{e}"' for e in _THINK_BY_EFFORT)
        raise BadRequest(f'invalid reasoning value: "{effort}" (must be one of {choices})')
    return _THINK_BY_EFFORT[effort]


__all__ = ["native_chat_request", "native_format", "native_think"]
