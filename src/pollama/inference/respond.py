"""One model response, read the way the request asked: thinking apart, tool calls parsed, output
constrained to a format (spec §3.4 step 10, §3.5 steps 8-10, §5.5).

The layer above :func:`pollama.inference.completion.complete`: :func:`respond` yields
:class:`Chunk` values (content, thinking, tool calls and the tokens they came from) and ends with
the :class:`~pollama.inference.completion.Done` of the completion. :class:`OutputRules` says what
to do with the output; :func:`output_rules` derives it from the template and the request.

With a format *and* thinking, the model first thinks unconstrained; once its trace closes the
completion is stopped and restarted on the prompt plus the trace, with the constraint, so that
only the answer is held to the format (what Ollama does).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import Any

from pollama.inference.completion import Done, Piece, complete
from pollama.inference.think import Think, ThinkingParser
from pollama.inference.tools import ToolCallParser, prompt_opens_tool_call
from pollama.runner import RunnerHandle
from pollama.template import Tool, ToolCall


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of parsed output; any field may be empty."""

    content: str = ""
    thinking: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tokens: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether there is nothing to show (tokens alone do not count)."""
        return not (self.content or self.thinking or self.tool_calls)


@dataclass(frozen=True, slots=True)
class OutputRules:
    """How to read one response.

    ``thinking_tags`` is set only when thinking is on and the template has tags; ``tool_tag`` and
    ``tools`` only when the request offers tools; ``constraint`` holds the llama.cpp fields of the
    request's format (:func:`pollama.inference.structured.format_constraint`).
    """

    thinking_tags: tuple[str, str] | None = None
    tool_tag: str | None = None
    tools: tuple[Tool, ...] = ()
    constraint: Mapping[str, Any] = field(default_factory=dict)

    def preserved_tokens(self) -> list[str]:
        """Tag words that llama.cpp must print even when they are special tokens (Mistral's
        ``[TOOL_CALLS]`` is one); words that are not a single token are ignored by llama.cpp."""
        words = list(self.thinking_tags or ())
        if self.tool_tag is not None:
            words += self.tool_tag.split()
        return [w for w in words if w not in ("{", "[")]


def output_rules(
    thinking_tags: tuple[str, str] | None,
    tool_tag: str | None,
    think: Think,
    tools: Sequence[Tool] = (),
    constraint: Mapping[str, Any] | None = None,
) -> OutputRules:
    """The rules for a template with these tags (None when it has none) and a request with
    ``think``, ``tools`` and a format ``constraint``. Thinking is read only when it is on; a
    template without a tool-call tag gets the bare ``{``."""
    return OutputRules(
        thinking_tags=thinking_tags if think.enabled else None,
        tool_tag=(tool_tag or "{") if tools else None,
        tools=tuple(tools),
        constraint=dict(constraint or {}),
    )


class OutputParser:
    """Thinking first, then tool calls in what is left, for one response to ``prompt``."""

    def __init__(self, rules: OutputRules, prompt: str) -> None:
        self.thinking: ThinkingParser | None = None
        self.tools: ToolCallParser | None = None
        if rules.thinking_tags is not None:
            opening, closing = rules.thinking_tags
            inside = prompt.rstrip().endswith(opening)
            self.thinking = ThinkingParser(opening, closing, inside=inside)
        if rules.tool_tag is not None:
            inside = self.thinking is None and prompt_opens_tool_call(prompt, rules.tool_tag)
            self.tools = ToolCallParser(rules.tool_tag, rules.tools, inside=inside)

    def feed(self, text: str, tokens: tuple[int, ...] = ()) -> Chunk:
        thinking, content = self.thinking.feed(text) if self.thinking else ("", text)
        calls, content = self.tools.feed(content) if self.tools else ([], content)
        return Chunk(content, thinking, tuple(calls), tokens)

    def finish(self) -> Chunk:
        """Everything held back, at the end of the output."""
        thinking, content = self.thinking.finish() if self.thinking else ("", "")
        calls: list[ToolCall] = []
        if self.tools is not None:
            calls, content = self.tools.feed(content)
            more, rest = self.tools.finish()
            calls, content = calls + more, content + rest
        return Chunk(content, thinking, tuple(calls))


@dataclass(frozen=True, slots=True)
class _Restart:
    """The trace closed: continue from ``prefix`` (the raw output so far) with the constraint."""

    prefix: str
    eval_count: int
    eval_duration: int


async def respond(
    runner: RunnerHandle, body: dict[str, Any], rules: OutputRules
) -> AsyncIterator[Chunk | Done]:
    """Run ``body`` (a ``/completion`` request with ``prompt``) and read its output by ``rules``.

    Yields chunks (possibly empty ones, which still carry tokens), then exactly one Done. Errors
    of the runner propagate as EngineError.
    """
    parser = OutputParser(rules, _prompt_text(body["prompt"]))
    preserved = rules.preserved_tokens()
    if preserved:
        body = {**body, "preserved_tokens": preserved}
    restart = _Restart("", 0, 0)
    if rules.constraint and parser.thinking is not None:
        async for item in _think_first(runner, body, parser.thinking):
            if isinstance(item, _Restart):
                restart = item
                break
            yield item
            if isinstance(item, Done):
                return
    body = {**body, **rules.constraint, "prompt": _extend_prompt(body["prompt"], restart.prefix)}
    async with aclosing(complete(runner, body)) as items:
        async for piece in items:
            if isinstance(piece, Piece):
                yield parser.feed(piece.text, piece.tokens)
                continue
            yield parser.finish()
            yield replace(
                piece,
                eval_count=piece.eval_count + restart.eval_count,
                eval_duration=piece.eval_duration + restart.eval_duration,
            )


def _prompt_text(prompt: Any) -> str:
    """The text of a ``/completion`` prompt: a string, or a multimodal ``prompt_string``."""
    return str(prompt["prompt_string"]) if isinstance(prompt, dict) else str(prompt)


def _extend_prompt(prompt: Any, suffix: str) -> Any:
    """``prompt`` with ``suffix`` appended to its text, images kept."""
    if isinstance(prompt, dict):
        return {**prompt, "prompt_string": str(prompt["prompt_string"]) + suffix}
    return prompt + suffix


async def _think_first(
    runner: RunnerHandle, body: dict[str, Any], thinking: ThinkingParser
) -> AsyncIterator[Chunk | Done | _Restart]:
    """The unconstrained thinking pass; ends with a :class:`_Restart` once the trace is over, or
    with the Done of a completion that ended while still thinking."""
    started = time.perf_counter()
    raw, count = "", 0
    async with aclosing(complete(runner, body)) as items:
        async for piece in items:
            if isinstance(piece, Done):
                yield Chunk(thinking=thinking.finish()[0])
                yield piece
                return
            raw += piece.text
            count += len(piece.tokens)
            # Content after the closing tag is dropped: the constrained pass writes it again.
            yield Chunk(thinking=thinking.feed(piece.text)[0], tokens=piece.tokens)
            if thinking.thinking_done:
                cut = raw.find(thinking.closing) + len(thinking.closing) if thinking.closed else 0
                elapsed = int((time.perf_counter() - started) * 1e9)
                yield _Restart(raw[:cut], count, elapsed)
                return


__all__ = ["Chunk", "OutputParser", "OutputRules", "output_rules", "respond"]
