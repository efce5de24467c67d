'''Modelfile parsing and formatting, with Ollama's exact lexical rules.

Grammar (informal; a character-level state machine implements it)::

    file        = { blank | comment | instruction }
    blank       = { " " | "\\t" | "\\r" | "\\n" }
    comment     = "#" { any character but CR or LF }        (only where an instruction may start)
    instruction = name ( " " | "\\t" ) rest
    name        = letter { letter }                     (case-insensitive; one of NAMES)
    rest        = value                                  for every name but PARAMETER and MESSAGE
                | pname ( " " | "\\t" ) value            for PARAMETER, pname = [A-Za-z0-9_]*
                | role ( " " | "\\t" ) value             for MESSAGE, role = system|user|assistant
    value       = '"""' text '"""' | '"' text '"' | bare

* A value is collected up to a CR or LF at which the text so far, stripped of surrounding
  whitespace, is complete: bare text is always complete; text opened by ``"""`` (or ``"``) is
  complete once it ends with ``"""`` (or ``"``) again. The outer quotes are removed and the inside
  is kept verbatim, newlines included. There are no escapes; ``""`` and ``""""""`` are empty.
* Non-printable characters other than tab, CR and LF are dropped, as Ollama drops them.
* ``FROM`` is stored as ``Command("model", …)``, ``PARAMETER name v`` as ``Command(name, v)`` and
  ``MESSAGE role text`` as ``Command("message", "role: text")``; other names are lower-cased.
* At least one FROM is required. Bytes may be UTF-8 or, with a BOM, UTF-16 LE/BE.

Errors are :class:`~pollama.errors.ModelfileError`. Errors tied to a place carry the 1-based line
of the character that revealed them (a CRLF pair counts as one line break); ``unexpected EOF`` and
``no FROM line`` carry no line, as in Ollama.

:func:`format_modelfile` is the inverse: ``parse(format(m)) == m`` for every ``m`` that
:func:`parse_modelfile` can return. :func:`to_create_fields` turns a parsed Modelfile into the
parts of an ``/api/create`` request that need no filesystem.
'''

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass

from pollama.errors import BadRequest, ModelfileError
from pollama.options import DeprecatedParameter, parse_parameter

NAMES = (
    "from",
    "license",
    "template",
    "system",
    "adapter",
    "draft",
    "renderer",
    "parser",
    "parameter",
    "message",
    "requires",
)
"""The instruction names, lower-cased, in the order Ollama's error message lists them."""

ROLES = ("system", "user", "assistant")

_INVALID_COMMAND = (
    'command must be one of "from", "license", "template", "system", "adapter", "draft", '
    '"renderer", "parser", "parameter", "message", or "requires"'
)
_INVALID_ROLE = 'message role must be one of "system", "user", or "assistant"'
_EOF = "unexpected EOF"
_SPACES = " \t"
_NEWLINES = "\r\n"
_WHITESPACE = _SPACES + _NEWLINES
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_PARAM_CHARS = _ASCII_LETTERS | frozenset("0123456789_")
# Commands written as their own upper-cased instruction; "model" and "message" are special.
_PLAIN = frozenset(
    {"license", "template", "system", "adapter", "draft", "renderer", "parser", "requires"}
)


@dataclass(frozen=True, slots=True)
class Command:
    """One instruction: ``name`` is ``model`` for FROM, the parameter name for PARAMETER."""

    name: str
    args: str


@dataclass(frozen=True, slots=True)
class Modelfile:
    """A parsed Modelfile: its commands in file order."""

    commands: tuple[Command, ...]


# --- parsing ------------------------------------------------------------------------------------


class _State(enum.Enum):
    START = enum.auto()  # where an instruction, a comment or blank space may begin
    NAME = enum.auto()
    PARAMETER = enum.auto()
    ROLE = enum.auto()
    VALUE = enum.auto()
    COMMENT = enum.auto()


class _Value:
    """The characters of a value being read, with O(1) checks for its closing quote."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.first = -1  # index of the first non-whitespace character
        self.last = -1  # index of the last non-whitespace character

    def add(self, char: str) -> None:
        if char not in _WHITESPACE:
            self.last = len(self.chars)
            if self.first < 0:
                self.first = self.last
        self.chars.append(char)

    def unquoted(self) -> str | None:
        """The value if the stripped text so far is complete, else None."""
        if self.first < 0:
            return ""
        first, end = self.first, self.last + 1
        head = "".join(self.chars[first : min(first + 3, end)])
        if head == '"""':
            closed = end - first >= 6 and "".join(self.chars[end - 3 : end]) == '"""'
            return "".join(self.chars[first + 3 : end - 3]) if closed else None
        if head.startswith('"'):
            closed = end - first >= 2 and self.chars[end - 1] == '"'
            return "".join(self.chars[first + 1 : end - 1]) if closed else None
        return "".join(self.chars[first:end])


class _Parser:
    """Ollama's Modelfile state machine, fed one character at a time."""

    def __init__(self) -> None:
        self.state = _State.START
        self.line = 1
        self.previous = ""
        self.word: list[str] = []  # instruction name, parameter name or role being read
        self.value = _Value()
        self.name = ""
        self.role = ""
        self.commands: list[Command] = []

    def feed(self, char: str) -> None:
        # Count the line first: errors found at a line break report the line it opens.
        if char == "\r" or (char == "\n" and self.previous != "\r"):
            self.line += 1
        self.previous = char
        match self.state:
            case _State.START:
                self._start(char)
            case _State.NAME:
                self._name(char)
            case _State.PARAMETER:
                self._word(char, _PARAM_CHARS, self._end_parameter)
            case _State.ROLE:
                self._word(char, _ASCII_LETTERS, self._end_role)
            case _State.VALUE:
                self._value(char)
            case _State.COMMENT:
                if char in _NEWLINES:
                    self.state = _State.START

    def finish(self) -> Modelfile:
        if self.state is _State.VALUE:
            args = self.value.unquoted()
            if args is None:
                raise ModelfileError(_EOF)
            self._emit(args)
        elif self.state not in (_State.START, _State.COMMENT):
            raise ModelfileError(_EOF)
        if not any(command.name == "model" for command in self.commands):
            raise ModelfileError("no FROM line")
        return Modelfile(tuple(self.commands))

    def _start(self, char: str) -> None:
        if char == "#":
            self.state = _State.COMMENT
        elif char not in _WHITESPACE:
            self.state = _State.NAME
            self.word = [char] if char.isprintable() else []

    def _name(self, char: str) -> None:
        if char in _ASCII_LETTERS:
            self.word.append(char)
            return
        keyword = "".join(self.word).lower()
        if char not in _SPACES or keyword not in NAMES:
            raise ModelfileError(_INVALID_COMMAND, self.line)
        self.word = []
        if keyword == "parameter":
            self.state = _State.PARAMETER
        elif keyword == "message":
            self.name, self.state = "message", _State.ROLE
        else:
            self.name = "model" if keyword == "from" else keyword
            self._begin_value()

    def _word(self, char: str, allowed: frozenset[str], end: Callable[[str], None]) -> None:
        if char in allowed:
            self.word.append(char)
        elif char in _SPACES:
            end("".join(self.word))
            self.word = []
            self._begin_value()
        else:
            raise ModelfileError(f"{_EOF}: {''.join(self.word)}")

    def _end_parameter(self, name: str) -> None:
        self.name = name

    def _end_role(self, role: str) -> None:
        if role not in ROLES:
            raise ModelfileError(_INVALID_ROLE, self.line)
        self.role = role

    def _begin_value(self) -> None:
        self.state = _State.VALUE
        self.value = _Value()

    def _value(self, char: str) -> None:
        if char in _NEWLINES:
            args = self.value.unquoted()
            if args is not None:
                self._emit(args)
                self.state = _State.START
                return
        if char in _WHITESPACE or char.isprintable():
            self.value.add(char)

    def _emit(self, args: str) -> None:
        if self.role:
            args, self.role = f"{self.role}: {args}", ""
        self.commands.append(Command(self.name, args))


def _decode(data: bytes) -> str:
    """UTF-8 unless a UTF-16 byte-order mark says otherwise; bad bytes become U+FFFD."""
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", errors="replace")
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", errors="replace")
    return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")


def parse_modelfile(text: str | bytes) -> Modelfile:
    """Parse a Modelfile (see the module docstring for the grammar).

    ``bytes`` are decoded as UTF-8, or as UTF-16 when they start with a UTF-16 byte-order mark.
    Returns the commands in file order. Raises :class:`ModelfileError` for any syntax error and
    for a file without FROM; nothing else is raised for any input.
    """
    source = _decode(text) if isinstance(text, bytes) else text.removeprefix("\ufeff")
    parser = _Parser()
    for char in source:
        parser.feed(char)
    return parser.finish()


# --- formatting ---------------------------------------------------------------------------------


def format_modelfile(mf: Modelfile) -> str:
    """Render ``mf`` as Modelfile text, one instruction per line, each ending in ``\\n``.

    ``model`` commands become FROM, parameters become ``PARAMETER name value``, a ``message``
    becomes ``MESSAGE role text`` (or ``PARAMETER message …`` when its args are not
    ``role: text`` with a valid role, which only ``PARAMETER message`` can produce). Values are
    quoted as described in :func:`quote_value`.
    """
    return "".join(_format_command(command) + "\n" for command in mf.commands)


def _format_command(command: Command) -> str:
    name, args = command.name, command.args
    if name == "model":
        return f"FROM {quote_value(args)}"
    if name in _PLAIN:
        return f"{name.upper()} {quote_value(args)}"
    if name == "message":
        role, sep, content = args.partition(": ")
        if sep and role in ROLES:
            return f"MESSAGE {role} {quote_value(content)}"
    return f"PARAMETER {name} {quote_value(args)}"


def quote_value(value: str) -> str:
    '''Quote ``value`` so that the parser reads it back unchanged.

    Ollama's rule, made safe: a value that is empty, contains CR or LF, begins or ends with a space
    or tab, or begins with ``"`` is quoted — with ``"…"`` when it holds no ``"``, else with
    ``"""…"""``; anything else is written bare. (Ollama itself quotes only on a newline or an
    edge space, so edge tabs, a lone CR and a leading quote do not survive its round trip, and it
    writes an empty value as nothing at all.)

    Two kinds of value have no Modelfile spelling at all, so they cannot round-trip and are written
    with ``"""…"""`` anyway: one where a line break follows ``"""`` (give or take whitespace),
    since that would close the quote early, and one holding non-printable characters other than
    tab, CR and LF, which the parser drops. The parser never produces either.
    '''
    if value and not _needs_quotes(value):
        return value
    if '"' not in value:
        return f'"{value}"'
    return f'"""{value}"""'


def _needs_quotes(value: str) -> bool:
    return (
        "\n" in value
        or "\r" in value
        or value[0] in _SPACES
        or value[-1] in _SPACES
        or value.startswith('"')
    )


# --- create request -----------------------------------------------------------------------------

_NUMBER = r"(?:0|[1-9][0-9]*)"
_PRERELEASE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_BUILD_ID = r"[0-9A-Za-z-]+"
# golang.org/x/mod/semver: vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]
_SEMVER = re.compile(
    rf"v{_NUMBER}(?:\.{_NUMBER}(?:\.{_NUMBER}"
    rf"(?:-{_PRERELEASE_ID}(?:\.{_PRERELEASE_ID})*)?"
    rf"(?:\+{_BUILD_ID}(?:\.{_BUILD_ID})*)?)?)?"
)


@dataclass(frozen=True, slots=True)
class CreateFields:
    """The parts of an ``/api/create`` request that a Modelfile gives without the filesystem.

    ``from_values``, ``adapters`` and ``draft`` are raw Modelfile values: resolving them to model
    names or uploaded files is the caller's job. ``warnings`` holds the lines to print for
    deprecated parameters, which are otherwise skipped.
    """

    from_values: list[str]
    adapters: list[str]
    template: str | None
    system: str | None
    license: list[str]
    parameters: dict[str, object]
    messages: list[dict[str, str]]
    requires: str | None
    renderer: str | None
    parser: str | None
    draft: str | None
    warnings: list[str]


def to_create_fields(mf: Modelfile) -> CreateFields:
    """Collect ``mf`` into :class:`CreateFields`.

    FROM and ADAPTER values and licenses and messages accumulate in order; TEMPLATE, SYSTEM,
    RENDERER, PARSER, REQUIRES and DRAFT are last-wins; parameters are typed by
    :func:`pollama.options.parse_parameter`, with ``stop`` accumulating into a list and the others
    last-wins. REQUIRES is stored without its ``v`` prefix.

    Raises :class:`BadRequest` for an unknown parameter, a badly typed parameter value, or a
    REQUIRES that is not a semantic version.
    """
    lists: dict[str, list[str]] = {"model": [], "adapter": [], "license": []}
    latest: dict[str, str] = {}
    parameters: dict[str, object] = {}
    messages: list[dict[str, str]] = []
    warnings: list[str] = []
    for command in mf.commands:
        name, args = command.name, command.args
        if name in lists:
            lists[name].append(args)
        elif name == "message":
            role, _, content = args.partition(": ")
            messages.append({"role": role, "content": content})
        elif name == "requires":
            latest[name] = _check_requires(args)
        elif name in _PLAIN:
            latest[name] = args
        else:
            _add_parameter(parameters, warnings, name, args)
    return CreateFields(
        from_values=lists["model"],
        adapters=lists["adapter"],
        template=latest.get("template"),
        system=latest.get("system"),
        license=lists["license"],
        parameters=parameters,
        messages=messages,
        requires=latest.get("requires"),
        renderer=latest.get("renderer"),
        parser=latest.get("parser"),
        draft=latest.get("draft"),
        warnings=warnings,
    )


def _add_parameter(params: dict[str, object], warnings: list[str], name: str, raw: str) -> None:
    try:
        value = parse_parameter(name, raw)
    except DeprecatedParameter as err:
        warnings.append(f"warning: {err}")
        return
    previous = params.get(name)
    if isinstance(value, list) and isinstance(previous, list):
        previous.extend(value)
    else:
        params[name] = value


def _check_requires(raw: str) -> str:
    version = raw if raw.startswith("v") else "v" + raw
    if not _SEMVER.fullmatch(version):
        raise BadRequest("requires must be a valid semver (e.g. 0.14.0)")
    return version.removeprefix("v")


__all__ = [
    "NAMES",
    "ROLES",
    "Command",
    "CreateFields",
    "Modelfile",
    "format_modelfile",
    "parse_modelfile",
    "quote_value",
    "to_create_fields",
]
