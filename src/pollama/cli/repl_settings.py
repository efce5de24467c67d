"""``/set`` and ``/show`` in the interactive session (spec §2.2).

``/set parameter`` types values with the Modelfile rules (spec §4.3): ``stop`` keeps every value,
any other option its first one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from pollama.cli.repl_help import PARAMETER_HELP, SET_HELP, SHOW_HELP
from pollama.cli.repl_session import Api, Multiline, Outcome, Session
from pollama.errors import BadRequest, PollamaError

QUOTES = '"""'


def set_command(session: Session, args: list[str], api: Api, outcome: Outcome) -> None:
    """``/set <what> ...``; no argument prints the set help."""
    if len(args) < 2:
        outcome.err(SET_HELP)
        return
    what = args[1]
    if what in _TOGGLES:
        _TOGGLES[what](session, outcome)
    elif what == "format":
        _set_format(session, args, outcome)
    elif what in ("think", "nothink"):
        _set_think(session, args, outcome)
    elif what == "parameter":
        _set_parameter(session, args, outcome)
    elif what == "system":
        _set_system(session, args, outcome)
    else:
        outcome.out(f"Unknown command '/set {what}'. Type /? for help\n")


def _toggle(attribute: str, value: bool, message: str) -> Callable[[Session, Outcome], None]:
    def apply(session: Session, outcome: Outcome) -> None:
        setattr(session, attribute, value)
        if message:
            outcome.out(message)

    return apply


def _set_noformat(session: Session, outcome: Outcome) -> None:
    session.format = ""
    outcome.out("Disabled format.\n")


_TOGGLES: Mapping[str, Callable[[Session, Outcome], None]] = MappingProxyType(
    {
        "history": _toggle("history", True, ""),
        "nohistory": _toggle("history", False, ""),
        "wordwrap": _toggle("wordwrap", True, "Set 'wordwrap' mode.\n"),
        "nowordwrap": _toggle("wordwrap", False, "Set 'nowordwrap' mode.\n"),
        "verbose": _toggle("verbose", True, "Set 'verbose' mode.\n"),
        "quiet": _toggle("verbose", False, "Set 'quiet' mode.\n"),
        "noformat": _set_noformat,
    }
)


def _set_format(session: Session, args: list[str], outcome: Outcome) -> None:
    if len(args) < 3 or args[2] != "json":
        outcome.out("Invalid or missing format. For 'json' mode use '/set format json'\n")
        return
    session.format = "json"
    outcome.out("Set format to 'json' mode.\n")


def _set_think(session: Session, args: list[str], outcome: Outcome) -> None:
    level = args[2] if args[1] == "think" and len(args) > 2 else ""
    if args[1] == "nothink":
        session.think = False
    else:
        # the server validates levels; the boolean spellings are sent as booleans
        session.think = {"true": True, "false": False}.get(level, level or True)
    session.think_explicit = True
    if "thinking" not in session.capabilities:
        outcome.err(f'warning: model "{session.model}" does not support thinking output\n')
    if args[1] == "nothink":
        outcome.out("Set 'nothink' mode.\n")
    elif level:
        outcome.out(f"Set 'think' mode to '{level}'.\n")
    else:
        outcome.out("Set 'think' mode.\n")


def _set_parameter(session: Session, args: list[str], outcome: Outcome) -> None:
    if len(args) < 4:
        outcome.err(PARAMETER_HELP)
        return
    from pollama.options import DeprecatedParameter, parse_parameter
    from pollama.template.literals import quote

    name, values = args[2], args[3:]
    try:
        value = parse_parameter(name, values[0])
        if isinstance(value, list):  # only a list option (stop) takes every value
            value = [v for raw in values for v in _as_list(parse_parameter(name, raw))]
    except DeprecatedParameter as err:
        outcome.out(f"warning: {err}\n")
        return
    except BadRequest as err:
        outcome.out(f"Couldn't set parameter: {quote(str(err))}\n")
        return
    session.options[name] = value
    outcome.out(f"Set parameter '{name}' to '{', '.join(values)}'\n")


def _as_list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _set_system(session: Session, args: list[str], outcome: Outcome) -> None:
    if len(args) < 3:
        outcome.err(SET_HELP)
        return
    text = " ".join(args[2:])
    if text.startswith(QUOTES):
        text = text.removeprefix(QUOTES)
        if not text.endswith(QUOTES):
            session.pending = text + "\n"
            session.multiline = Multiline.SYSTEM
            return
        text = text.removesuffix(QUOTES)
    session.set_system(text)
    outcome.out("Set system message.\n")


def show_command(session: Session, args: list[str], api: Api, outcome: Outcome) -> None:
    """``/show <what>``: the model as the session sees it (its system prompt and parameters)."""
    if len(args) < 2:
        outcome.err(SHOW_HELP)
        return
    what = args[1]
    if what not in _SHOWS:
        outcome.out(f"Unknown command '/show {what}'. Type /? for help\n")
        return
    try:
        info = api.show(session.model, system=session.system, options=session.options)
    except PollamaError:
        outcome.out("error: couldn't get model\n")
        raise
    _SHOWS[what](session, info, outcome)


def _show_info(session: Session, info: dict[str, Any], outcome: Outcome) -> None:
    from pollama.cli.show import render_show

    outcome.err(render_show(info))


def _show_field(key: str, missing: str) -> Callable[[Session, dict[str, Any], Outcome], None]:
    def show(session: Session, info: dict[str, Any], outcome: Outcome) -> None:
        value = info.get(key) or ""
        outcome.out(f"{value}\n" if value else missing)

    return show


def _show_parameters(session: Session, info: dict[str, Any], outcome: Outcome) -> None:
    from pollama.template.gofmt import format_value

    text = "Model defined parameters:\n"
    if parameters := info.get("parameters"):
        text += "".join(f"  {line}\n" for line in str(parameters).split("\n"))
    else:
        text += "  No additional parameters were specified for this model.\n"
    text += "\n"
    if session.options:
        text += "User defined parameters:\n"
        text += "".join(
            f"  {k:<30} {format_value(session.options[k])}\n" for k in sorted(session.options)
        )
        text += "\n"
    outcome.out(text)


def _show_system(session: Session, info: dict[str, Any], outcome: Outcome) -> None:
    system = session.system or info.get("system") or ""
    outcome.out(f"{system}\n\n" if system else "No system message was specified for this model.\n")


_SHOWS: Mapping[str, Callable[[Session, dict[str, Any], Outcome], None]] = MappingProxyType(
    {
        "info": _show_info,
        "license": _show_field("license", "No license was specified for this model.\n"),
        "modelfile": _show_field("modelfile", "\n"),
        "parameters": _show_parameters,
        "system": _show_system,
        "template": _show_field("template", "No prompt template was specified for this model.\n"),
    }
)

__all__ = ["set_command", "show_command"]
