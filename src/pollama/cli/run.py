"""``pollama run MODEL [PROMPT...]`` (spec §1.6).

Order of work: validate the flags; read the prompt (piped stdin joined before the arguments with a
space); make sure the model exists (show, else pull with progress, then show again); then one of:

* embedding models: ``/api/embed`` and the vector as one line of compact JSON;
* one-shot (a prompt argument, piped stdin, or stdout not a terminal): ``/api/generate``, the answer
  streamed to stdout, two newlines after it, the ``--verbose`` metrics on stderr;
* interactive (stdin and stdout are terminals and no prompt argument): the REPL (``cli/repl.py``).

Ctrl+C during a one-shot answer stops it quietly with exit status 0, as Ollama does.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TextIO

from pollama.api.client import Client, ResponseError
from pollama.cli.common import client
from pollama.cli.stats import format_stats
from pollama.cli.wrap import (
    AnswerPart,
    ResponseDisplay,
    Waiting,
    is_tty,
    show_stream,
    stdout_writer,
    terminal_width,
)
from pollama.errors import BadRequest, PollamaError

Think = bool | str | None

THINK_VALUES: Mapping[str, bool | str] = MappingProxyType(
    {
        "true": True,
        "false": False,
        "high": "high",
        "medium": "medium",
        "low": "low",
        "max": "max",
    }
)


def parse_think(value: str | None) -> Think:
    """The ``--think`` flag: None when absent, a bool for true/false, else a level.

    Raises BadRequest for anything outside true, false, high, medium, low and max.
    """
    if value is None:
        return None
    if value not in THINK_VALUES:
        from pollama.template.literals import quote

        raise BadRequest(
            f"invalid value for --think: {quote(value)} "
            "(must be true, false, high, medium, low, or max)"
        )
    return THINK_VALUES[value]


def parse_keepalive(value: str | None) -> str | int | None:
    """``--keepalive`` as sent to the server: a Go duration string, ``-1`` for any negative one.

    Raises BadRequest with Go's message (``time: invalid duration "x"``) on a bad duration.
    """
    if value is None:
        return None
    from pollama.duration import go_duration, parse_go_duration_ns

    try:
        ns = parse_go_duration_ns(value)
    except ValueError as err:
        raise BadRequest(str(err)) from None
    return -1 if ns < 0 else go_duration(ns)


def parse_format(value: str | None) -> Any:
    """``--format``: ``""`` when absent, ``"json"``, or a JSON schema given as JSON text.

    Raises BadRequest for anything else.
    """
    if not value:
        return ""
    if value == "json":
        return "json"
    try:
        schema = json.loads(value)
    except ValueError:
        schema = None
    if not isinstance(schema, dict):
        raise BadRequest(f"invalid value for --format: {value!r} (use json or a JSON schema)")
    return schema


@dataclass(frozen=True, slots=True)
class RunOptions:
    """The validated flags of ``pollama run``."""

    model: str
    format: Any = ""
    think: Think = None
    keep_alive: str | int | None = None
    verbose: bool = False
    insecure: bool = False
    wordwrap: bool = True
    hide_thinking: bool = False
    truncate: bool | None = None
    dimensions: int = 0

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RunOptions:
        """Raises BadRequest for an invalid ``--think``, ``--keepalive`` or ``--format``."""
        return cls(
            model=args.model,
            format=parse_format(getattr(args, "format", None)),
            think=parse_think(getattr(args, "think", None)),
            keep_alive=parse_keepalive(getattr(args, "keepalive", None)),
            verbose=bool(getattr(args, "verbose", False)),
            insecure=bool(getattr(args, "insecure", False)),
            wordwrap=not getattr(args, "nowordwrap", False),
            hide_thinking=bool(getattr(args, "hidethinking", False)),
            truncate=getattr(args, "truncate", None),
            dimensions=int(getattr(args, "dimensions", 0) or 0),
        )


def read_prompt(words: list[str], stdin: TextIO | None, stdout: TextIO) -> tuple[str, bool]:
    """The prompt and whether the session is interactive (spec §1.6 step 2).

    Piped stdin is read whole; when non-empty it comes first, joined to the words by a space.
    """
    prompt = " ".join(words)
    interactive = not words and is_tty(stdout)
    if stdin is not None and not is_tty(stdin):
        interactive = False
        data = stdin.read()
        if data:
            prompt = " ".join([data, *words])
    return prompt, interactive


def default_think(think: Think, capabilities: list[str] | tuple[str, ...]) -> Think:
    """An explicit choice stands; otherwise thinking models think and others are left unset."""
    if think is not None:
        return think
    return True if "thinking" in capabilities else None


def ensure_model(api: Client, model: str, *, insecure: bool = False) -> dict[str, Any]:
    """The ``/api/show`` answer for ``model``, pulling it first (with progress) if the server
    does not have it. Pull errors propagate."""
    try:
        return api.show(model)
    except ResponseError as err:
        if err.status_code != 404:
            raise
    from pollama.cli.render import render_progress

    render_progress(api.pull(model, insecure=insecure))
    return api.show(model)


def run(args: argparse.Namespace) -> int:
    stop_on_ctrl_c()
    options = RunOptions.from_args(args)
    prompt, interactive = read_prompt(list(args.prompt or []), sys.stdin, sys.stdout)
    api = client()
    info = ensure_model(api, options.model, insecure=options.insecure)
    capabilities = list(info.get("capabilities") or [])
    if "embedding" in capabilities:
        return embed(api, options, prompt)
    if interactive:
        return _interactive(api, options, info)
    return generate_once(api, options, prompt, default_think(options.think, capabilities))


def stop_on_ctrl_c() -> None:
    """Make Ctrl+C (SIGINT) raise KeyboardInterrupt even when this process was started with it
    ignored (as ``nohup`` and shells' background jobs start commands): Python then leaves it
    ignored, and an answer could not be stopped. Ollama's ``run`` catches SIGINT the same way."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def embed(api: Client, options: RunOptions, prompt: str, *, stdout: TextIO | None = None) -> int:
    """Print the prompt's embedding as one line of compact JSON (spec §1.6 step 5)."""
    if not prompt:
        raise BadRequest(
            "embedding models require input text. "
            f'Usage: pollama run {options.model} "your text here"'
        )
    request: dict[str, Any] = {"model": options.model, "input": prompt}
    if options.truncate is not None:
        request["truncate"] = options.truncate
    if options.dimensions > 0:
        request["dimensions"] = options.dimensions
    if options.keep_alive is not None:
        request["keep_alive"] = options.keep_alive
    try:
        answer = api.request("POST", "/api/embed", request)
    except ResponseError as err:
        if err.status_code == 404 and "page not found" in str(err):
            raise PollamaError("this server does not support embeddings (/api/embed)") from None
        raise
    vectors = (answer or {}).get("embeddings") or []
    if not vectors:
        raise PollamaError("the server returned no embedding")
    stdout_writer(stdout)(json.dumps(vectors[0], separators=(",", ":")) + "\n")
    return 0


def generate_request(options: RunOptions, prompt: str, think: Think) -> dict[str, Any]:
    """The ``/api/generate`` body of a one-shot run."""
    request: dict[str, Any] = {"model": options.model, "prompt": prompt}
    if options.format:
        request["format"] = options.format
    if options.keep_alive is not None:
        request["keep_alive"] = options.keep_alive
    if think is not None:
        request["think"] = think
    return request


def generate_once(
    api: Client,
    options: RunOptions,
    prompt: str,
    think: Think,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Stream one answer to stdout; word wrap and colour only when stdout is a terminal."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    tty = is_tty(out)
    write = stdout_writer(out)
    display = ResponseDisplay(
        write,
        width=terminal_width(out) if tty and options.wordwrap else None,
        color=tty,
        hide_thinking=options.hide_thinking,
    )
    chunks = api.generate(generate_request(options, prompt, think))
    try:
        final = show_stream(chunks, AnswerPart.from_generate, display, Waiting(err))
    except KeyboardInterrupt:
        if tty and display.shown:
            write("\n")  # leave the shell prompt on a line of its own
        return 0
    if prompt:
        write("\n\n")
    if options.verbose and final is not None:
        err.write(format_stats(final))
        err.flush()
    return 0


def _interactive(api: Client, options: RunOptions, info: dict[str, Any]) -> int:
    from pollama.cli.repl import run_repl  # prompt_toolkit is only imported for this mode
    from pollama.cli.repl_session import Session
    from pollama.config import Settings

    settings = Settings.from_env()
    session = Session(
        model=options.model,
        format=options.format,
        think=options.think,
        think_explicit=options.think is not None,
        keep_alive=options.keep_alive,
        wordwrap=options.wordwrap,
        verbose=options.verbose,
        history=not settings.nohistory,
        hide_thinking=options.hide_thinking,
    )
    session.apply_show(info)
    return run_repl(api, session, settings.home / "history")


__all__ = [
    "RunOptions",
    "default_think",
    "embed",
    "ensure_model",
    "generate_once",
    "generate_request",
    "parse_format",
    "parse_keepalive",
    "parse_think",
    "read_prompt",
    "run",
    "stop_on_ctrl_c",
]
