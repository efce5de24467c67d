"""The interactive ``pollama run`` session: a thin prompt_toolkit shell around
:func:`pollama.cli.repl_commands.handle_line` (spec §2).

The shell reads lines (``>>> `` prompt, ``... `` inside a ``\"\"\"`` block, grey placeholders),
keeps the input history in ``~/.ollama/history``, maps Ctrl+C / Ctrl+D / Ctrl+J / Ctrl+G, and runs
a chat turn whenever a line produced a user message. Everything else is the dispatcher's.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import termios
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.application import get_app, run_in_terminal
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import History
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from pollama.cli.repl_chat import chat_turn, preload, replay_history
from pollama.cli.repl_commands import handle_interrupt, handle_line
from pollama.cli.repl_session import Action, Api, Multiline, Session, Stream

if TYPE_CHECKING:
    from prompt_toolkit.buffer import Buffer

HISTORY_LIMIT = 100
PLACEHOLDER_STYLE = "fg:ansibrightblack"


class Interrupted(Exception):
    """Ctrl+C at the prompt; ``text`` is what the line held."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class LineHistory(History):
    """Input history in a plain text file, one entry per line, the last ``limit`` kept.

    Entries are always remembered for this session; they are written to the file only while
    ``persist`` is true (``/set nohistory``, ``OLLAMA_NOHISTORY``). A multi-line entry is stored
    as its separate lines, since the file format has no way to hold a newline.
    """

    def __init__(self, path: Path, *, limit: int = HISTORY_LIMIT, persist: bool = True) -> None:
        super().__init__()
        self.path = path
        self.limit = limit
        self.persist = persist

    def load_history_strings(self) -> Iterable[str]:
        return reversed(self._read())

    def store_string(self, string: str) -> None:
        if not self.persist:
            return
        entries = self._read() + [line for line in string.split("\n") if line.strip()]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("".join(f"{e}\n" for e in entries[-self.limit :]))
        except OSError:
            pass  # history is a convenience: a read-only home must not end the session

    def _read(self) -> list[str]:
        try:
            lines = self.path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        return [line for line in lines if line.strip()][-self.limit :]


def _echo(stream: Stream, text: str) -> None:
    target = sys.stdout if stream == "stdout" else sys.stderr
    target.write(text)
    target.flush()


def _key_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("c-c")
    def _interrupt(event: KeyPressEvent) -> None:
        event.app.exit(exception=Interrupted(event.current_buffer.text))

    @bindings.add("c-j")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    @bindings.add("c-g")
    def _editor(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        run_in_terminal(lambda: _edit(buffer))

    return bindings


def editor_command(environ: Mapping[str, str]) -> str:
    """``$OLLAMA_EDITOR``, else ``$VISUAL``, else ``$EDITOR``, else ``vi``."""
    for key in ("OLLAMA_EDITOR", "VISUAL", "EDITOR"):
        if value := environ.get(key, "").strip():
            return value
    return "vi"


def _edit(buffer: Buffer) -> None:
    """Ctrl+G: compose the message in an editor; its text (trailing newlines trimmed) replaces
    the line."""
    editor = editor_command(os.environ)
    argv = shlex.split(editor)
    if not argv or shutil.which(argv[0]) is None:
        sys.stderr.write(
            f'error: editor "{editor}" not found, '
            "set OLLAMA_EDITOR to the path of your preferred editor\n"
        )
        return
    with tempfile.NamedTemporaryFile(
        "w", prefix="ollama-prompt-", suffix=".txt", delete=False
    ) as f:
        f.write(buffer.text)
    try:
        with _hold_type_ahead(sys.stdin, hold=False):
            subprocess.run([*argv, f.name], check=False)
        text = Path(f.name).read_text(errors="replace").rstrip("\n")
    finally:
        os.unlink(f.name)
    buffer.text = text
    buffer.cursor_position = len(text)


def _prompt_text(session: Session) -> tuple[str, Callable[[], FormattedText]]:
    """The prompt and its placeholder; the placeholder is gone once the line is finished, so
    an empty submitted or interrupted line stays a bare prompt on screen."""
    if session.multiline is Multiline.NONE:
        prompt, text = ">>> ", "Send a message (/? for help)"
    else:
        prompt, text = "... ", "Press Enter to send"

    def placeholder() -> FormattedText:
        return FormattedText([] if get_app().is_done else [(PLACEHOLDER_STYLE, text)])

    return prompt, placeholder


@contextlib.contextmanager
def _hold_type_ahead(stream: TextIO, hold: bool = True) -> Iterator[None]:
    """With ``hold``, keep keys typed while no prompt reads the terminal (an answer streams, a
    command runs) intact and off screen, so that the next prompt shows them; without it, put
    the usual cooked mode back (for an editor started from the prompt).

    Such keys wait in the terminal's cooked-mode buffer, where the usual CR-to-LF translation
    would turn a typed-ahead Enter into Ctrl+J (insert a newline, not send the line) and their
    echo would land inside the answer. The translation and the echo happen as keys arrive, so
    the mode holds for the whole session: prompt_toolkit's raw mode comes and goes around it.
    """
    try:
        fd = stream.fileno()
        saved = termios.tcgetattr(fd)
    except (termios.error, OSError, ValueError, AttributeError):
        yield
        return
    changed = list(saved)
    if hold:
        changed[0] &= ~termios.ICRNL
        changed[3] &= ~termios.ECHO
    else:
        changed[0] |= termios.ICRNL
        changed[3] |= termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, changed)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


def run_repl(api: Api, session: Session, history_path: Path) -> int:
    """Preload the model, replay its stored messages, then read and handle lines until
    ``/bye`` or Ctrl+D. Returns the exit status; fatal API errors propagate."""
    with _hold_type_ahead(sys.stdin):
        preload(session, api)
        replay_history(session)
        return _loop(api, session, history_path)


def _loop(api: Api, session: Session, history_path: Path) -> int:
    history = LineHistory(history_path, persist=session.history)
    prompt: PromptSession[str] = PromptSession(
        history=history, key_bindings=_key_bindings(), prompt_continuation="... "
    )
    while True:
        history.persist = session.history
        message, placeholder = _prompt_text(session)
        try:
            line = prompt.prompt(message, placeholder=placeholder)
        except Interrupted as stop:
            handle_interrupt(session, stop.text, echo=_echo)
            continue
        except EOFError:
            return 0
        try:
            outcome = handle_line(session, line, api, echo=_echo)
        except KeyboardInterrupt:  # a slow command (/load, /save) given up on
            _echo("stdout", "\n")
            continue
        if outcome.action is Action.EXIT:
            return 0
        if outcome.action is Action.SEND:
            chat_turn(session, api)


__all__ = ["Interrupted", "LineHistory", "editor_command", "run_repl"]
