"""How a streamed model answer is laid out on the terminal (spec §1.6 "Word wrap", item 9).

* :class:`WordWrap` writes text as it arrives and, on a terminal, breaks lines between words.
* :class:`ResponseDisplay` shows one answer: thinking (``Thinking...`` / ``...done thinking.``),
  content and tool calls, collecting the full texts for the chat history.
* :class:`Waiting` is the spinner on stderr while the first token is awaited (terminals only).
* :func:`show_stream` drives a display from a stream of API chunks.

Only the standard library (and the progress module) is imported here.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from pollama.cli.format import display_width
from pollama.cli.progress import Progress

Write = Callable[[str], None]

DEFAULT_WIDTH = 80
MIN_WRAP_WIDTH = 10

GREY = "\033[90m"
BOLD = "\033[1m"
RESET = "\033[0m"


def is_tty(stream: TextIO | None) -> bool:
    """Whether ``stream`` is an open terminal (False for None, closed or fake streams)."""
    try:
        return stream is not None and bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def terminal_width(stream: TextIO) -> int:
    """Columns of the terminal behind ``stream``; 80 when unknown."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_WIDTH
    except (AttributeError, ValueError, OSError):
        return DEFAULT_WIDTH


def stdout_writer(stream: TextIO | None = None) -> Write:
    """A writer that flushes after every write, so tokens appear as they arrive."""
    target = stream or sys.stdout

    def write(text: str) -> None:
        target.write(text)
        target.flush()

    return write


class WordWrap:
    """Writes streamed text, breaking lines between words when ``width`` is set.

    With ``width`` None (or below 10 columns) text passes through unchanged: no ANSI codes at all.
    Otherwise, when a character would take the line past ``width - 5`` columns, the partial word
    already written is erased (``ESC[<n>D ESC[K``), a newline is written and the word re-emitted
    on the new line; a space that would overflow simply becomes the line break. Words wider than
    ``width - 10`` are left for the terminal to fold. Wide (CJK) characters end a word.
    """

    def __init__(self, write: Write, width: int | None) -> None:
        self._write = write
        self._width = width if width is not None and width >= MIN_WRAP_WIDTH else None
        self._line = 0  # columns used on the current line
        self._word = ""  # the word being written, as far as it went

    def reset(self) -> None:
        """Forget the current line (after something else wrote a newline)."""
        self._line, self._word = 0, ""

    def feed(self, text: str) -> None:
        if not text:
            return
        if self._width is None:
            self._write(text)
            return
        out: list[str] = []
        for ch in text:
            self._put(ch, self._width, out)
        self._write("".join(out))

    def _put(self, ch: str, width: int, out: list[str]) -> None:
        if ch in "\n\r":
            out.append(ch)
            self.reset()
            return
        columns = display_width(ch)
        if self._line + columns > width - 5:
            if ch in " \t":
                out.append("\n")
                self.reset()
                return
            word_columns = display_width(self._word)
            if word_columns <= width - 10:
                back = f"\033[{word_columns}D" if word_columns else ""
                out.append(f"{back}\033[K\n{self._word}")
                self._line = word_columns
        out.append(ch)
        self._line += columns
        if columns >= 2 or ch in " \t":
            self._word = ""
        else:
            self._word += ch


@dataclass(frozen=True, slots=True)
class AnswerPart:
    """What one streamed chunk adds to an answer."""

    thinking: str = ""
    content: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_generate(cls, chunk: dict[str, Any]) -> AnswerPart:
        return cls(
            str(chunk.get("thinking") or ""),
            str(chunk.get("response") or ""),
            list(chunk.get("tool_calls") or []),
        )

    @classmethod
    def from_chat(cls, chunk: dict[str, Any]) -> AnswerPart:
        message = chunk.get("message") or {}
        return cls(
            str(message.get("thinking") or ""),
            str(message.get("content") or ""),
            list(message.get("tool_calls") or []),
        )


class ResponseDisplay:
    """Shows one answer as its parts arrive; ``thinking`` and ``content`` accumulate the texts.

    Thinking (unless ``hide_thinking``) is framed by ``Thinking...`` and ``...done thinking.``
    (grey and bold when ``color``); tool calls, which the CLI never registers, are reported as
    calls to non-existent functions. :meth:`end` must be called when the stream stops.
    """

    def __init__(
        self, write: Write, *, width: int | None, color: bool, hide_thinking: bool = False
    ) -> None:
        self._write = write
        self._wrap = WordWrap(write, width)
        self._color = color
        self._hide_thinking = hide_thinking
        self._in_thinking = False
        self._shown = False
        self.thinking = ""
        self.content = ""

    @property
    def shown(self) -> bool:
        """Whether anything has been written."""
        return self._shown

    def visible(self, part: AnswerPart) -> bool:
        """Whether showing ``part`` writes anything."""
        return bool(part.content or part.tool_calls or (part.thinking and not self._hide_thinking))

    def show(self, part: AnswerPart) -> None:
        self._shown = self._shown or self.visible(part)
        if part.thinking:
            self.thinking += part.thinking
            if not self._hide_thinking:
                if not self._in_thinking:
                    self._write(self._style("Thinking...\n", opening=True))
                    self._in_thinking = True
                self._wrap.feed(part.thinking)
        if self._in_thinking and (part.content or part.tool_calls):
            self._close_thinking()
        self.content += part.content
        self._wrap.feed(part.content)
        if part.tool_calls:
            self._write(self._tool_calls(part.tool_calls))

    def end(self) -> None:
        """Restore the terminal colour if the answer stopped inside its thinking."""
        if self._in_thinking and self._color:
            self._write(RESET)

    def _close_thinking(self) -> None:
        if not self.thinking.endswith("\n"):
            self._write("\n")
        self._write(self._style("...done thinking.\n\n", opening=False))
        self._in_thinking = False
        self._wrap.reset()

    def _style(self, text: str, *, opening: bool) -> str:
        if not self._color:
            return text
        # the thinking text that follows the opening line stays grey
        return GREY + BOLD + text + RESET + (GREY if opening else "")

    def _tool_calls(self, calls: list[dict[str, Any]]) -> str:
        lines = []
        for call in calls:
            function = call.get("function") or {}
            arguments = json.dumps(function.get("arguments") or {}, separators=(",", ":"))
            lines.append(
                f"  Model called a non-existent function '{function.get('name', '')}()' "
                f"with arguments: {arguments}"
            )
        text = "\n".join(lines)
        return GREY + BOLD + text + RESET if self._color else text


class Waiting:
    """A spinner on ``stream`` while the first token is awaited; nothing when not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._progress: Progress | None = None
        if is_tty(stream):
            self._progress = Progress(stream)
            self._progress.add_spinner("")

    def stop(self) -> None:
        """Erase the spinner; idempotent."""
        if self._progress is not None:
            self._progress.stop(clear=True)


def show_stream(
    chunks: Iterable[dict[str, Any]],
    part_of: Callable[[dict[str, Any]], AnswerPart],
    display: ResponseDisplay,
    waiting: Waiting,
) -> dict[str, Any] | None:
    """Show every chunk on ``display``; returns the last chunk (the one with the metrics).

    The spinner stops before the first visible output. Exceptions (stream errors, Ctrl+C)
    propagate after the spinner is erased and the display ended.
    """
    last: dict[str, Any] | None = None
    try:
        for chunk in chunks:
            last = chunk
            part = part_of(chunk)
            if display.visible(part):
                waiting.stop()
            display.show(part)
    finally:
        waiting.stop()
        display.end()
    return last


__all__ = [
    "AnswerPart",
    "ResponseDisplay",
    "Waiting",
    "WordWrap",
    "is_tty",
    "show_stream",
    "stdout_writer",
    "terminal_width",
]
