"""``pollama run`` against a real server and engine: one-shot answers, piped prompts, ``--verbose``,
and the interactive session driven through a real pseudo-terminal (spec §1.6, §2)."""

from __future__ import annotations

import codecs
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from pollama.store import Store
from tests.conftest import ServerProcess
from tests.support.models import create_from_gguf

pytestmark = pytest.mark.engine

MODEL = "smollm2:135m"
PARIS = "What is the capital of France?"
STAT_LABELS = (
    "total duration:",
    "load duration:",
    "prompt eval count:",
    "prompt eval duration:",
    "prompt eval rate:",
    "eval count:",
    "eval duration:",
    "eval rate:",
)
# CSI and OSC sequences, and the carriage returns a terminal adds
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[=>78]|\r")


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory, smollm2_path: Path) -> Path:
    """A store holding smollm2:135m with greedy sampling and short answers, built once."""
    root = tmp_path_factory.mktemp("store") / "models"
    create_from_gguf(
        Store(root), MODEL, smollm2_path, parameters={"temperature": 0.0, "num_predict": 64}
    )
    return root


@pytest.fixture
def engine_server(server_factory: Callable[..., ServerProcess], models_dir: Path) -> ServerProcess:
    return server_factory(models_dir)


def pollama(
    server: ServerProcess, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pollama", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=server.env(),
        timeout=180,
        stdin=subprocess.DEVNULL if stdin is None else None,
    )


# --- one-shot ------------------------------------------------------------------------------------


def test_one_shot_answer(engine_server: ServerProcess) -> None:
    result = pollama(engine_server, "run", MODEL, PARIS)
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    assert result.stdout.endswith("\n\n")
    assert "\x1b" not in result.stdout
    assert result.stderr == ""


def test_piped_prompt(engine_server: ServerProcess) -> None:
    result = pollama(engine_server, "run", MODEL, stdin="why is the sky blue?\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "\x1b" not in result.stdout


def test_verbose_stats_on_stderr(engine_server: ServerProcess) -> None:
    result = pollama(engine_server, "run", "--verbose", MODEL, PARIS)
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout and "duration" not in result.stdout
    lines = result.stderr.splitlines()
    for label in STAT_LABELS:
        assert any(line.startswith(label) for line in lines), (label, result.stderr)
    assert re.search(r"^eval rate: +\d+\.\d\d tokens/s$", result.stderr, re.M)


def test_missing_model(engine_server: ServerProcess) -> None:
    result = pollama(engine_server, "run", "nosuchmodel", "hi")
    assert result.returncode == 1 and result.stdout == ""
    last = result.stderr.splitlines()[-1]  # after the pull's progress lines
    # No registry answers here, and no model pack has that name: the registry's failure is the
    # message (with a registry in reach it would be "file does not exist").
    assert last.startswith("Error: pull model manifest: ")


# --- interactive ---------------------------------------------------------------------------------


class Terminal:
    """A child process on a pseudo-terminal that it has as its controlling terminal."""

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        columns: int = 200,
        sigint: signal.Handlers = signal.SIG_DFL,
    ) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))

        def become_foreground() -> None:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # so Ctrl+C is SIGINT
            # What a shell gives a command in the foreground (a test runner started in the
            # background passes SIGINT on ignored), unless the test asks for something else.
            signal.signal(signal.SIGINT, sigint)

        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            preexec_fn=become_foreground,
        )
        os.close(slave)
        self.master = master
        self.text = ""  # everything shown so far, without escape sequences
        self.seen = 0  # characters of the text already matched
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._tail = ""  # an escape sequence cut by a read, completed by the next one

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the child closed the terminal
            time.sleep(timeout)
            return
        chunk = self._tail + self._decoder.decode(data)
        cut = chunk.rfind("\x1b")
        if cut != -1 and not ANSI.match(chunk, cut):
            chunk, self._tail = chunk[:cut], chunk[cut:]
        else:
            self._tail = ""
        self.text += ANSI.sub("", chunk)

    def expect(self, pattern: str, timeout: float = 120) -> str:
        """Wait for ``pattern`` (a regex) after the last match; returns the text up to its end."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.compile(pattern).search(self.text, self.seen)
            if match:
                start, self.seen = self.seen, match.end()
                return self.text[start : match.end()]
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not seen in:\n{self.text[self.seen :]}")
            self._read(0.1)

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def line(self, text: str) -> None:
        """Type ``text`` and Enter; returns once the accepted line is shown, so that what
        follows is the command's output (the prompt redraws the line on every key)."""
        self.send(text + "\r")
        self.expect(re.escape(text) + "\n", timeout=30)

    def wait(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        return self.process.wait(max(deadline - time.monotonic(), 0.1))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


@pytest.fixture
def terminal(engine_server: ServerProcess) -> Iterator[Callable[..., Terminal]]:
    opened: list[Terminal] = []

    def open_terminal(
        *args: str, sigint: signal.Handlers = signal.SIG_DFL, **extra_env: str
    ) -> Terminal:
        env = {**engine_server.env(), "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
        env.update(extra_env)
        term = Terminal([sys.executable, "-m", "pollama", "run", *args], env, sigint=sigint)
        opened.append(term)
        return term

    yield open_terminal
    for term in opened:
        term.close()


def show(server: ServerProcess, model: str) -> dict[str, object]:
    response = httpx.post(f"{server.url}/api/show", json={"model": model}, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_interactive_session(
    engine_server: ServerProcess, terminal: Callable[..., Terminal], isolated_env: Path
) -> None:
    term = terminal(MODEL)
    term.expect(">>> ")
    term.line(PARIS)
    assert "Paris" in term.expect(">>> ")

    term.line("/set parameter temperature 0")
    term.expect("Set parameter 'temperature' to '0'\n")
    term.line("/show parameters")
    term.expect("Model defined parameters:\n")
    term.expect(r"User defined parameters:\n  temperature +0\n")

    term.line('"""')
    term.expect(r"\.\.\. ")
    term.line(PARIS)
    term.expect(r"\.\.\. ")
    term.line('"""')
    assert "Paris" in term.expect(">>> ")

    term.line("/set system You are a pirate.")
    term.expect("Set system message.\n")
    term.line("/save pirate")
    term.expect("Created new model 'pirate'\n")
    term.line("/bye")
    assert term.wait() == 0

    tags = httpx.get(f"{engine_server.url}/api/tags", timeout=30).json()
    assert "pirate:latest" in [m["name"] for m in tags["models"]]
    saved = show(engine_server, "pirate")
    assert saved["system"] == "You are a pirate."
    assert isinstance(saved["messages"], list)
    assert [m["role"] for m in saved["messages"]] == ["user", "assistant"] * 2 + ["system"]
    assert saved["messages"][0]["content"] == PARIS
    assert "temperature" in str(saved["parameters"])
    history = (isolated_env / ".ollama" / "history").read_text().splitlines()
    assert history[0] == PARIS and history[-1] == "/bye"


def test_interactive_interrupts(
    engine_server: ServerProcess, terminal: Callable[..., Terminal]
) -> None:
    term = terminal(MODEL)
    term.expect(">>> ")
    term.send("\x03")
    term.expect("Use Ctrl \\+ d or /bye to exit.\n")
    term.expect(">>> ")

    term.line("/set parameter num_predict 2000")
    term.expect("Set parameter 'num_predict' to '2000'\n")
    prompt = "Write a very long story about a dragon."
    term.line(prompt)
    term.expect(r"([A-Za-z']+[ ,.]+){6}")  # the answer is streaming
    term.send("\x03")
    term.expect(">>> ", timeout=15)

    # the interrupted answer was not kept: only the question is in the saved session
    term.line("/save interrupted")
    term.expect("Created new model 'interrupted'\n", timeout=15)
    assert show(engine_server, "interrupted")["messages"] == [{"role": "user", "content": prompt}]

    term.send("\x04")  # Ctrl+D on an empty line
    assert term.wait() == 0


def test_ctrl_c_stops_an_answer_in_a_session_started_with_sigint_ignored(
    engine_server: ServerProcess, terminal: Callable[..., Terminal]
) -> None:
    # nohup, and a shell's background job, start commands with SIGINT ignored.
    term = terminal(MODEL, sigint=signal.SIG_IGN)
    term.expect(">>> ")
    term.line("/set parameter num_predict 2000")
    term.line("Write a very long story about a dragon.")
    term.expect(r"([A-Za-z']+[ ,.]+){6}")  # the answer is streaming
    term.send("\x03")
    term.expect(">>> ", timeout=15)
    term.send("\x04")
    assert term.wait() == 0


def test_interactive_editor_paste_and_ctrl_j(
    engine_server: ServerProcess, terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "What is the capital\\nof France?\\n\\n" > "$1"\n')
    editor.chmod(0o755)
    term = terminal(MODEL, OLLAMA_EDITOR=str(editor))
    term.expect(">>> ")
    term.send("\x07")  # Ctrl+G: the editor's text (trailing newlines trimmed) fills the line
    term.expect(r">>> What is the capital\n\.\.\. of France\?")
    term.send("\r")
    term.expect(r"of France\?\n")
    assert "Paris" in term.expect(">>> ")

    term.send("\x1b[200~Say hi\nin one word\x1b[201~")  # a bracketed paste
    term.expect(r">>> Say hi\n\.\.\. in one word")
    term.send("\r")
    term.expect(r"in one word\n")
    term.expect(">>> ")
    term.send("abc\ndef\r")  # Ctrl+J inserts a newline
    term.expect(r">>> abc\n\.\.\. def\n")
    term.expect(">>> ")
    term.line("/save edited")
    term.expect("Created new model 'edited'\n", timeout=15)
    term.line("/bye")
    assert term.wait() == 0
    messages = show(engine_server, "edited")["messages"]
    assert isinstance(messages, list)
    users = [m["content"] for m in messages if m["role"] == "user"]
    assert users == ["What is the capital\nof France?", "Say hi\nin one word", "abc\ndef"]
