"""``/v1/completions`` (OpenAI's legacy completions) to and from native ``/api/generate``
(spec §3.15).

Requests: ``prompt`` is a string (or an array holding exactly one); ``suffix`` asks for
fill-in-the-middle; ``logprobs: N`` asks for the top N alternatives of each token; the penalties
are always sent (0 when omitted) and ``top_p`` 0 means 1.0, as Ollama does. ``echo`` puts the
prompt in front of the answer's text. Answers are ``text_completion`` objects; a stream with
``include_usage`` gives every chunk a zero usage and ends with a chunk with no choices that
carries the real one. ``best_of`` and ``n`` are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pollama.errors import BadRequest
from pollama.openai.common import Envelope, finish_reason, usage
from pollama.openai.logprobs import completion_logprobs
from pollama.openai.options import json_type, native_options
from pollama.openai.types import CompletionRequest

TEXT_COMPLETION = "text_completion"
_ZERO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def prompt_text(prompt: object) -> str:
    """The prompt as one string; raises BadRequest for token arrays and several prompts."""
    if isinstance(prompt, list) and len(prompt) == 1:
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise BadRequest(f"invalid type for 'prompt' field: {json_type(prompt)}")
    return prompt


def native_generate_request(req: CompletionRequest) -> dict[str, Any]:
    """The native ``/api/generate`` body for ``req``; raises BadRequest."""
    body: dict[str, Any] = {
        "model": req.model,
        "prompt": prompt_text(req.prompt),
        "stream": req.stream,
        "options": native_options(
            temperature=req.temperature,
            top_p=req.top_p or None,
            max_tokens=req.max_tokens,
            seed=req.seed,
            stop=req.stop,
            frequency_penalty=req.frequency_penalty or 0.0,
            presence_penalty=req.presence_penalty or 0.0,
        ),
    }
    if req.suffix:
        body["suffix"] = req.suffix
    if req.logprobs:
        body["logprobs"] = True
        body["top_logprobs"] = req.logprobs
    return body


def _choice(text: str, finish: str | None, logprobs: Any, offset: int) -> dict[str, Any]:
    return {
        "text": text,
        "index": 0,
        "logprobs": completion_logprobs(logprobs, offset) if logprobs else None,
        "finish_reason": finish,
    }


def text_completion(
    native: Mapping[str, Any], envelope: Envelope, echo: str = ""
) -> dict[str, Any]:
    """The ``text_completion`` for a collapsed native generate answer (``echo``: the prompt to
    put in front, or "")."""
    text = echo + (native.get("response") or "")
    choice = _choice(text, finish_reason(native), native.get("logprobs"), len(echo))
    return envelope.wrap(TEXT_COMPLETION, choices=[choice], usage=usage(native))


class CompletionStream:
    """Re-encodes one native generate stream as ``text_completion`` chunks (see the module
    docstring); :meth:`feed` takes the native chunks in order."""

    def __init__(self, envelope: Envelope, *, include_usage: bool = False, echo: str = "") -> None:
        self._envelope = envelope
        self._include_usage = include_usage
        self._echo = echo
        self._offset = 0  # characters of text sent so far, for logprobs' text_offset

    def feed(self, native: Mapping[str, Any]) -> list[dict[str, Any]]:
        text, logprobs, done = (
            native.get("response") or "",
            native.get("logprobs"),
            native.get("done"),
        )
        if not (text or logprobs or done or self._echo):
            return []  # e.g. a chunk of thinking, which completions have no field for
        offset = self._offset + len(self._echo)
        text, self._echo = self._echo + text, ""
        finish = finish_reason(native) if done else None
        extra = {"usage": dict(_ZERO_USAGE)} if self._include_usage else {}
        out = [self._wrap(choices=[_choice(text, finish, logprobs, offset)], **extra)]
        self._offset += len(text)
        if done and self._include_usage:
            out.append(self._wrap(choices=[], usage=usage(native)))
        return out

    def _wrap(self, **fields: Any) -> dict[str, Any]:
        return self._envelope.wrap(TEXT_COMPLETION, **fields)


__all__ = [
    "TEXT_COMPLETION",
    "CompletionStream",
    "native_generate_request",
    "prompt_text",
    "text_completion",
]
