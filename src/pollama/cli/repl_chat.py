"""Talking to the model in the interactive session: preload, replaying stored messages, and one
chat turn (spec §1.6 item 7, §2.1)."""

from __future__ import annotations

import sys
from typing import TextIO

from pollama.api.client import ResponseError
from pollama.cli.repl_session import Api, Session
from pollama.cli.stats import format_stats
from pollama.cli.wrap import (
    AnswerPart,
    ResponseDisplay,
    Waiting,
    WordWrap,
    is_tty,
    show_stream,
    stdout_writer,
    terminal_width,
)

# errors a chat turn reports and survives; any other error ends the session
RECOVERABLE = ("does not support thinking", "invalid think value")


def preload(session: Session, api: Api, *, stderr: TextIO | None = None) -> None:
    """Load the model with an empty generate request, a spinner showing meanwhile.

    Raises ResponseError when the server refuses (unknown model, thinking not supported).
    """
    waiting = Waiting(stderr or sys.stderr)
    try:
        for _ in api.generate(session.preload_request()):
            pass
    finally:
        waiting.stop()


def _width(session: Session, stdout: TextIO) -> int | None:
    return terminal_width(stdout) if session.wordwrap and is_tty(stdout) else None


def replay_history(session: Session, *, stdout: TextIO | None = None) -> None:
    """Print the model's stored MESSAGEs: ``>>> text`` for user turns, assistant turns wrapped
    and followed by a blank line; other roles are not shown."""
    target = stdout or sys.stdout
    write = stdout_writer(target)
    for message in session.loaded_messages:
        content = str(message.get("content") or "")
        if message.get("role") == "user":
            write(f">>> {content}\n")
        elif message.get("role") == "assistant":
            WordWrap(write, _width(session, target)).feed(content)
            write("\n\n")


def chat_turn(
    session: Session, api: Api, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> None:
    """Send the conversation to ``/api/chat`` and show the answer as it streams.

    A complete answer is appended to ``session.messages`` (with its thinking), followed by a
    blank line and, in verbose mode, the metrics on stderr. Ctrl+C stops the answer, which is
    then not kept. Thinking-related refusals print ``error: <msg>``; other errors propagate.
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    write = stdout_writer(out)
    display = ResponseDisplay(
        write,
        width=_width(session, out),
        color=is_tty(out),
        hide_thinking=session.hide_thinking,
    )
    try:
        final = show_stream(
            api.chat(session.chat_request()), AnswerPart.from_chat, display, Waiting(err)
        )
    except KeyboardInterrupt:
        if display.shown:
            write("\n")  # the prompt must start on a line of its own
        return
    except ResponseError as error:
        if any(text in str(error) for text in RECOVERABLE):
            write(f"error: {error}\n")
            return
        raise
    message = {"role": "assistant", "content": display.content}
    if display.thinking:
        message["thinking"] = display.thinking
    session.messages.append(message)
    write("\n\n")
    if session.verbose and final is not None:
        err.write(format_stats(final))
        err.flush()


__all__ = ["RECOVERABLE", "chat_turn", "preload", "replay_history"]
