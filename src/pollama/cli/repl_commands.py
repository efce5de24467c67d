"""What each line typed into the interactive session does (spec §2.1, §2.2).

:func:`handle_line` is the whole dispatcher: it assembles ``\"\"\"`` blocks, runs slash commands
(matched by prefix on the raw line, in Ollama's order) and turns anything else into a user
message. It needs no terminal: it changes the :class:`Session`, calls the :class:`Api`, and
reports what to print and what to do next in an :class:`Outcome`.

Block grammar: a line starting with ``\"\"\"`` opens a block and keeps the rest of the line; each
line is added followed by a newline until a line ending in ``\"\"\"``, whose text before the quotes
closes the block (``\"\"\"one line\"\"\"`` is complete at once).
"""

from __future__ import annotations

from collections.abc import Callable

from pollama.api.client import ResponseError
from pollama.cli.repl_chat import preload
from pollama.cli.repl_help import SET_HELP, SHORTCUTS_HELP, SHOW_HELP, main_help
from pollama.cli.repl_session import Action, Api, Echo, Multiline, Outcome, Session
from pollama.cli.repl_settings import set_command, show_command
from pollama.names import parse_valid

QUOTES = '"""'
MULTIMODAL = ("vision", "audio")

Handler = Callable[[Session, list[str], Api, Outcome], None]


def handle_line(session: Session, line: str, api: Api, *, echo: Echo | None = None) -> Outcome:
    """Handle one submitted line (it may hold newlines when pasted or typed with Ctrl+J).

    Returns the outcome; its action is SEND after a user message was appended to
    ``session.messages``. API errors other than the ones the commands report propagate.
    """
    outcome = Outcome(echo=echo)
    if session.multiline is not Multiline.NONE:
        _continue_block(session, line, outcome)
    elif line.startswith(QUOTES):
        _open_block(session, line)
    elif line.startswith("/"):
        _command(session, line, api, outcome)
        return outcome
    else:
        session.pending += line
    if session.pending and session.multiline is Multiline.NONE:
        session.messages.append({"role": "user", "content": session.pending})
        session.pending = ""
        outcome.action = Action.SEND
    return outcome


def handle_interrupt(session: Session, line: str, *, echo: Echo | None = None) -> Outcome:
    """Ctrl+C at the prompt: drop any block being assembled; hint how to leave on an empty line."""
    outcome = Outcome(echo=echo)
    session.pending = ""
    session.multiline = Multiline.NONE
    if not line:
        outcome.out("Use Ctrl + d or /bye to exit.\n")
    return outcome


def _open_block(session: Session, line: str) -> None:
    body = line.removeprefix(QUOTES)
    if body.endswith(QUOTES):
        session.pending += body.removesuffix(QUOTES)
    else:
        session.pending += body + "\n"
        session.multiline = Multiline.PROMPT


def _continue_block(session: Session, line: str, outcome: Outcome) -> None:
    if not line.endswith(QUOTES):
        session.pending += line + "\n"
        return
    session.pending += line.removesuffix(QUOTES)
    if session.multiline is Multiline.SYSTEM:
        session.set_system(session.pending)
        session.pending = ""
        outcome.out("Set system message.\n")
    session.multiline = Multiline.NONE


def _command(session: Session, line: str, api: Api, outcome: Outcome) -> None:
    args = line.split()
    for prefix, handler in _COMMANDS:
        if line.startswith(prefix):
            handler(session, args, api, outcome)
            return
    outcome.out(f"Unknown command '{args[0]}'. Type /? for help\n")


def _list(session: Session, args: list[str], api: Api, outcome: Outcome) -> None:
    import argparse

    from pollama.cli.models import list_models

    list_models(argparse.Namespace(prefix=""))


def _load(session: Session, args: list[str], api: Api, outcome: Outcome) -> None:
    if len(args) != 2:
        outcome.out("Usage:\n  /load <modelname>\n")
        return
    saved = session.snapshot()
    session.model, session.messages = args[1], []
    outcome.out(f"Loading model '{session.model}'\n")
    try:
        session.apply_show(api.show(session.model))
        preload(session, api)
    except ResponseError as err:
        if "not found" in str(err):
            outcome.out(f"Couldn't find model '{session.model}'\n")
            session.restore(saved)
        elif "does not support thinking" in str(err):
            outcome.out(f"error: {err}\n")
        else:
            raise


def _save(session: Session, args: list[str], api: Api, outcome: Outcome) -> None:
    if len(args) != 2:
        outcome.out("Usage:\n  /save <modelname>\n")
        return
    name = args[1]
    invalid = f"error: The model name '{name}' is invalid\n"
    if parse_valid(name) is None:
        outcome.out(invalid)
        return
    try:
        for _ in api.create(session.create_request(name)):
            pass
    except ResponseError as err:
        if "invalid model name" not in str(err):
            raise
        outcome.out(invalid)
        return
    outcome.out(f"Created new model '{name}'\n")


def _clear(session: Session, args: list[str], api: Api, outcome: Outcome) -> None:
    session.clear()
    outcome.out("Cleared session context\n")


def _help(session: Session, args: list[str], api: Api, outcome: Outcome) -> None:
    topic = args[1] if len(args) > 1 else None
    if topic is None:
        outcome.err(main_help(any(c in session.capabilities for c in MULTIMODAL)))
    elif topic in ("set", "/set"):
        outcome.err(SET_HELP)
    elif topic in ("show", "/show"):
        outcome.err(SHOW_HELP)
    elif topic in ("shortcut", "shortcuts"):
        outcome.err(SHORTCUTS_HELP)


def _bye(session: Session, args: list[str], api: Api, outcome: Outcome) -> None:
    outcome.action = Action.EXIT


# prefix -> handler, tried in this order (so "/show" is not taken for "/s...")
_COMMANDS: tuple[tuple[str, Handler], ...] = (
    ("/list", _list),
    ("/load", _load),
    ("/save", _save),
    ("/clear", _clear),
    ("/set", set_command),
    ("/show", show_command),
    ("/help", _help),
    ("/?", _help),
    ("/exit", _bye),
    ("/bye", _bye),
)

__all__ = ["handle_interrupt", "handle_line"]
