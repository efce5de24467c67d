"""The ``pollama`` command: argument wiring and dispatch.

Each command lives in its own module, imported only when that command runs, so that quick
commands such as ``pollama list`` start fast. Every command but ``serve`` is a client of the server.
Errors print ``Error: <message>`` to stderr and exit 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

HOST_ONLY = ("OLLAMA_HOST",)
SERVE_ENV = (
    "OLLAMA_DEBUG",
    "OLLAMA_HOST",
    "OLLAMA_CONTEXT_LENGTH",
    "OLLAMA_KEEP_ALIVE",
    "OLLAMA_MAX_LOADED_MODELS",
    "OLLAMA_MAX_QUEUE",
    "OLLAMA_MODELS",
    "OLLAMA_NUM_PARALLEL",
    "OLLAMA_NOPRUNE",
    "OLLAMA_ORIGINS",
    "OLLAMA_FLASH_ATTENTION",
    "OLLAMA_KV_CACHE_TYPE",
    "OLLAMA_LOAD_TIMEOUT",
)


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors reported the way every other error is."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"Error: {message}\n")
        raise SystemExit(1)


class _CommandParser(_Parser):
    """A subcommand's parser: flags may come before, between or after the positionals.

    ``pollama run MODEL --verbose "hi"`` must read like ``pollama run --verbose MODEL "hi"``, as
    it does for Ollama's CLI. argparse's intermixed parsing re-enters ``parse_known_args``, so
    the re-entry falls through to the ordinary parser.
    """

    _intermixing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self._intermixing:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


# Flags whose value is optional: bare, they mean "true" and never take the next word, so that
# ``pollama run MODEL --think "why?"`` keeps "why?" as the prompt.
OPTIONAL_VALUE_FLAGS = {"--think": "--think=true"}


def _expand_bare_flags(argv: Sequence[str]) -> list[str]:
    expanded: list[str] = []
    for position, token in enumerate(argv):
        if token == "--":
            return expanded + list(argv[position:])
        expanded.append(OPTIONAL_VALUE_FLAGS.get(token, token))
    return expanded


def build_parser() -> argparse.ArgumentParser:
    from pollama.config import env_help

    parser = _Parser(prog="pollama", description="Large language model runner")
    parser.add_argument("-v", "--version", action="store_true", help="Show version information")
    sub = parser.add_subparsers(dest="command", metavar="command", parser_class=_CommandParser)

    def command(
        name: str, help_text: str, env: tuple[str, ...] = HOST_ONLY, **kw: object
    ) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=env_help(env),
            formatter_class=argparse.RawDescriptionHelpFormatter,
            **kw,  # type: ignore[arg-type]
        )

    command("serve", "Start ollama", SERVE_ENV, aliases=["start"])
    create = command("create", "Create a model")
    create.add_argument("model")
    create.add_argument("-f", "--file", help='Name of the Modelfile (default "Modelfile")')
    create.add_argument("-q", "--quantize", help="Quantize model to this level (e.g. q4_K_M)")
    show = command("show", "Show information for a model")
    show.add_argument("model")
    for flag, text in (
        ("--license", "Show license of a model"),
        ("--modelfile", "Show Modelfile of a model"),
        ("--parameters", "Show parameters of a model"),
        ("--template", "Show template of a model"),
        ("--system", "Show system message of a model"),
    ):
        show.add_argument(flag, action="store_true", help=text)
    show.add_argument(
        "-v", "--verbose", action="store_true", help="Show detailed model information"
    )
    run = command("run", "Run a model", ("OLLAMA_HOST", "OLLAMA_NOHISTORY"))
    run.add_argument("model")
    run.add_argument("prompt", nargs="*")
    run.add_argument("--keepalive", help="Duration to keep a model loaded (e.g. 5m)")
    run.add_argument("--verbose", action="store_true", help="Show timings for response")
    run.add_argument("--insecure", action="store_true", help="Use an insecure registry")
    run.add_argument("--nowordwrap", action="store_true", help="Don't wrap words to the next line")
    run.add_argument("--format", help="Response format (e.g. json)")
    run.add_argument(
        "--think",
        help="Enable thinking mode: true/false or high/medium/low (bare: true)",
    )
    run.add_argument("--hidethinking", action="store_true", help="Hide thinking output")
    run.add_argument(
        "--truncate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="For embedding models: truncate inputs that exceed the context length",
    )
    run.add_argument(
        "--dimensions", type=int, default=0, help="For embedding models: output dimensions"
    )
    stop = command("stop", "Stop a running model")
    stop.add_argument("model")
    pull = command("pull", "Pull a model from a registry")
    pull.add_argument("model")
    pull.add_argument("--insecure", action="store_true", help="Use an insecure registry")
    push = command("push", "Push a model to a registry")
    push.add_argument("model")
    push.add_argument("--insecure", action="store_true", help="Use an insecure registry")
    ls = command("list", "List models", aliases=["ls"])
    ls.add_argument("prefix", nargs="?", default="")
    ps = command("ps", "List running models")
    ps.add_argument("prefix", nargs="?", default="")
    cp = command("cp", "Copy a model")
    cp.add_argument("source")
    cp.add_argument("destination")
    rm = command("rm", "Remove a model")
    rm.add_argument("models", nargs="+", metavar="MODEL")
    return parser


# command name -> module under pollama.cli that defines ``run(args) -> int``
COMMANDS = {
    "serve": "serve",
    "start": "serve",
    "create": "create",
    "show": "show",
    "run": "run",
    "pull": "pull",
    "push": "pull",
    "list": "models",
    "ls": "models",
    "cp": "models",
    "ps": "models",
    "stop": "models",
    "rm": "models",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = build_parser().parse_args(_expand_bare_flags(sys.argv[1:] if argv is None else argv))
    from pollama.errors import PollamaError

    try:
        if args.version:
            from pollama.cli.version import print_version

            return print_version()
        if not args.command:
            build_parser().print_help()
            return 0
        module = importlib.import_module(f"pollama.cli.{COMMANDS[args.command]}")
        result: int = module.run(args)
        return result
    except PollamaError as err:
        sys.stderr.write(f"Error: {err}\n")
        return 1
    except KeyboardInterrupt:
        return 130


__all__ = ["build_parser", "main"]
