"""Thinking: the ``think`` request field (spec §3.2) and reading a reasoning trace out of the
model's output (spec §5.5).

:func:`parse_think` validates the field, :func:`check_think` applies the model's default and
capability; :class:`ThinkingParser` splits streamed output into ``thinking`` and ``content`` at
the template's tags; :func:`strip_old_thinking` drops ``<think>`` blocks from earlier assistant
turns for the model families that expect it (spec §3.5 step 6).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pollama.errors import BadRequest
from pollama.template import Message

LEVELS = ("high", "medium", "low", "max")


@dataclass(frozen=True, slots=True)
class Think:
    """A request's thinking choice; ``enabled`` None means the request did not say.

    Templates see ``.IsThinkSet`` true whenever ``enabled`` is not None, including the default
    that :func:`check_think` fills in for thinking models (upstream sets it before rendering too).
    """

    enabled: bool | None = None
    level: str = ""

    @property
    def is_set(self) -> bool:
        """The template's ``.IsThinkSet``."""
        return self.enabled is not None


def parse_think(value: object) -> Think:
    """Validate a request's ``think``; raises BadRequest with Ollama's messages."""
    if value is None:
        return Think()
    if isinstance(value, bool):
        return Think(enabled=value, level="medium" if value else "")
    if isinstance(value, str):
        if value in LEVELS:
            return Think(enabled=True, level=value)
        if value in ("true", "false"):
            return Think(enabled=value == "true", level="medium" if value == "true" else "")
        choices = '"high", "medium", "low", "max", true, or false'
        raise BadRequest(f'invalid think value: "{value}" (must be {choices})')
    raise BadRequest(
        'think must be a boolean or string ("high", "medium", "low", "max", true, or false)'
    )


def check_think(think: Think, capabilities: tuple[str, ...], model: str) -> Think:
    """Apply the model default (thinking models think unless told not to) and refuse thinking on
    models that cannot."""
    if "thinking" in capabilities:
        return think if think.enabled is not None else Think(enabled=True, level="medium")
    if think.enabled:
        raise BadRequest(f'"{model}" does not support thinking')
    return think


class ThinkingParser:
    """Splits streamed model output into (thinking, content) at ``opening``/``closing`` tags.

    The trace is recognised only at the very start of the output (after whitespace), or from the
    first character when ``inside`` is true (the prompt already ends with the opening tag).
    Whitespace right after either tag is dropped, as is whitespace right before the closing tag;
    text that might still turn out to be a tag is held back until it is decided. Feed text with
    :meth:`feed`, then call :meth:`finish` once for whatever was held back.
    """

    _LOOKING, _OPENED, _THINKING, _CLOSED, _CONTENT = range(5)

    def __init__(self, opening: str, closing: str, *, inside: bool = False) -> None:
        self.opening = opening
        self.closing = closing
        self._state = self._OPENED if inside else self._LOOKING
        self._buffer = ""
        self._closed = False

    @property
    def thinking_done(self) -> bool:
        """Whether everything from now on is content (the trace closed, or there was none)."""
        return self._state in (self._CLOSED, self._CONTENT)

    @property
    def closed(self) -> bool:
        """Whether a closing tag ended a trace (as opposed to output that never opened one)."""
        return self._closed

    def feed(self, text: str) -> tuple[str, str]:
        """Add output text; returns the (thinking, content) that is now certain."""
        self._buffer += text
        thinking: list[str] = []
        content: list[str] = []
        while self._step(thinking, content):
            pass
        return "".join(thinking), "".join(content)

    def finish(self) -> tuple[str, str]:
        """End of output: the held-back text, as (thinking, content)."""
        held, self._buffer = self._buffer, ""
        if self._state in (self._OPENED, self._THINKING):
            return held, ""
        if self._state == self._LOOKING:
            return "", held
        return "", ""  # after the closing tag only dropped whitespace is ever held

    def _step(self, thinking: list[str], content: list[str]) -> bool:
        """Advance the state machine once; False when more input is needed."""
        if self._state == self._LOOKING:
            return self._look_for_opening()
        if self._state in (self._OPENED, self._CLOSED):
            self._buffer = self._buffer.lstrip()
            if not self._buffer:
                return False
            self._state = self._THINKING if self._state == self._OPENED else self._CONTENT
            return True
        if self._state == self._THINKING:
            return self._think(thinking)
        content.append(self._buffer)
        self._buffer = ""
        return False

    def _look_for_opening(self) -> bool:
        stripped = self._buffer.lstrip()
        if stripped.startswith(self.opening):
            self._buffer = stripped[len(self.opening) :]
            self._state = self._OPENED
            return True
        if self.opening.startswith(stripped):
            return False  # only whitespace or part of the tag so far
        self._state = self._CONTENT
        return True

    def _think(self, thinking: list[str]) -> bool:
        end = self._buffer.find(self.closing)
        if end >= 0:
            thinking.append(self._buffer[:end].rstrip())
            self._buffer = self._buffer[end + len(self.closing) :]
            self._state, self._closed = self._CLOSED, True
            return True
        # Hold back a possible start of the closing tag and the whitespace before it.
        keep = _overlap(self._buffer, self.closing)
        body = self._buffer[: len(self._buffer) - keep]
        certain = body.rstrip()
        thinking.append(certain)
        self._buffer = self._buffer[len(certain) :]
        return False


def _overlap(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for size in range(min(len(text), len(tag) - 1), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


_THINK_BLOCK = re.compile(r"<think>.*?</think>\s*", re.DOTALL)


def strips_old_thinking(family: str, model_name: str) -> bool:
    """Whether earlier turns' ``<think>`` blocks are removed for this model (qwen3 family models
    and deepseek-r1, as upstream decides)."""
    return family == "qwen3" or model_name == "deepseek-r1"


def strip_old_thinking(messages: Sequence[Message]) -> list[Message]:
    """``messages`` with ``<think>...</think>`` removed from the content of every assistant
    message that comes before the last user message."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    return [
        replace(m, content=_THINK_BLOCK.sub("", m.content))
        if i < last_user and m.role == "assistant"
        else m
        for i, m in enumerate(messages)
    ]


__all__ = [
    "LEVELS",
    "Think",
    "ThinkingParser",
    "check_think",
    "parse_think",
    "strip_old_thinking",
    "strips_old_thinking",
]
