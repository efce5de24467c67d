"""Reading tool calls out of streamed model output (spec §5.5, §3.5 step 9).

Models announce tool calls with a prefix that their template also writes when it renders past
calls; :meth:`pollama.template.Template.tool_call_tag` finds it (``<tool_call>`` for Qwen and
Hermes, ``[TOOL_CALLS]`` for Mistral, ``functools[`` for FireFunction, ``{`` for Llama 3.x's bare
JSON). After the prefix come JSON objects, in any of the shapes these families use::

    {"name": "f", "arguments": {...}}          Qwen, Hermes, Mistral v3, FireFunction
    {"name": "f", "parameters": {...}}         Llama 3.x
    {"tool_name": "f", "parameters": {...}}    Command R
    {"function": {"name": "f", "arguments": ...}} or arguments given as a JSON string
    f[ARGS]{...}   or   f{...}                 the name written before its arguments object
    {"f": {...}}                               a one-key object named after the tool
    [ {...}, {...} ]                           several calls in one array

Only names of the request's tools count. :class:`ToolCallParser` streams text up to the prefix
(holding back a partial prefix), then parses each complete JSON object as it arrives. Markup never
becomes content once a call was parsed; if none was, everything held back is returned as content
at the end (the prefix was a false alarm). For a bare ``{``/``[`` prefix, parsing is attempted only
when the output starts with it, and stops at the first complete object that is not a call.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pollama.template import Tool, ToolCall

BARE_TAGS = ("{", "[")
# Llama 3.x marks code-interpreter calls with this special token; when a tokenizer renders it as
# text it sits in front of the bare JSON.
_PYTHON_TAG = "<|python_tag|>"
_ID_ALPHABET = string.ascii_lowercase + string.digits
_ARGUMENT_KEYS = ("arguments", "parameters", "args", "input")


def new_call_id() -> str:
    """A fresh tool-call id: ``call_`` and 8 characters of ``[a-z0-9]`` (spec §3.2)."""
    return "call_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def tool_call_json(call: ToolCall) -> dict[str, Any]:
    """The wire shape: ``{"id"?, "function": {"index", "name", "arguments"}}``, id omitted when
    empty and index always present."""
    function = {"index": call.index, "name": call.name, "arguments": dict(call.arguments)}
    return {"id": call.id, "function": function} if call.id else {"function": function}


def trigger_word(tag: str) -> str:
    """The part of a tool-call tag the parser waits for: its first word.

    What the template writes after that word (the `` [`` of ``[TOOL_CALLS] [``) only leads into
    the JSON, which the object scanner finds anyway, and models are loose about its spacing.
    """
    words = tag.split()
    return words[0] if words else "{"


def prompt_opens_tool_call(prompt: str, tag: str) -> bool:
    """Whether ``prompt`` already ends with the (non-bare) tool-call tag: a template that primes
    the assistant turn with it makes the output start inside a call."""
    return tag not in BARE_TAGS and prompt.rstrip().endswith(tag.strip())


class ToolCallParser:
    """Splits streamed output into content and :class:`ToolCall` values (see module docstring).

    ``inside`` starts right after the tag (the prompt ended with it). ``make_id`` gives each call
    its id; calls are numbered from 0 in ``index``.
    """

    def __init__(
        self,
        tag: str,
        tools: Sequence[Tool],
        *,
        inside: bool = False,
        make_id: Callable[[], str] = new_call_id,
    ) -> None:
        self.tag = tag
        self._bare = tag in BARE_TAGS
        self._trigger = trigger_word(tag)
        self._names = sorted({t.name for t in tools if t.name}, key=len, reverse=True)
        self._make_id = make_id
        self._calling = inside
        self._gave_up = False
        self._held = ""  # text since the tag started (returned as content if no call comes)
        self._buffer = ""  # the part of _held not yet scanned for objects
        self._count = 0

    @property
    def count(self) -> int:
        """How many calls were parsed so far."""
        return self._count

    def feed(self, text: str) -> tuple[list[ToolCall], str]:
        """Add output text; returns the calls completed and the content that is now certain."""
        if self._gave_up:
            return [], text
        content = ""
        if not self._calling:
            content, text = self._look_for_tag(text)
            if not self._calling:
                return [], content
        self._held += text
        self._buffer += text
        calls = self._scan()
        if self._gave_up:
            content, self._held = content + self._held, ""
        return calls, content

    def finish(self) -> tuple[list[ToolCall], str]:
        """End of output: held-back text becomes content when no call was parsed."""
        held, self._held, self._buffer = self._held, "", ""
        return [], held if self._count == 0 else ""

    # -- finding the tag --------------------------------------------------------------------------

    def _look_for_tag(self, text: str) -> tuple[str, str]:
        """(content before the tag, text from the tag on); sets ``_calling`` when it is found."""
        self._held += text
        if self._bare:
            return self._look_for_bare()
        held, self._held = self._held, ""
        at = held.find(self._trigger)
        if at >= 0:
            self._calling = True
            self._held = held[at : at + len(self._trigger)]
            return held[:at], held[at + len(self._trigger) :]
        keep = _partial_suffix(held, self._trigger)
        self._held = held[len(held) - keep :]
        return held[: len(held) - keep], ""

    def _look_for_bare(self) -> tuple[str, str]:
        start = self._held.lstrip()
        if start.startswith(_PYTHON_TAG):
            start = start[len(_PYTHON_TAG) :].lstrip()
        if not start or _PYTHON_TAG.startswith(start):
            return "", ""  # nothing decisive yet
        held, self._held = self._held, ""
        if start[0] in BARE_TAGS:
            self._calling = True
            self._held = held[: len(held) - len(start)]
            return "", start
        self._gave_up = True
        return held, ""

    # -- scanning objects -------------------------------------------------------------------------

    def _scan(self) -> list[ToolCall]:
        calls: list[ToolCall] = []
        while not self._gave_up:
            start = self._buffer.find("{")
            end = _object_end(self._buffer, start) if start >= 0 else -1
            if end < 0:
                return calls
            found = self._calls_in(self._buffer[:start], self._buffer[start:end])
            self._buffer = self._buffer[end:]
            if not found and self._bare and self._count == 0:
                self._give_up()
            calls += found
        return calls

    def _give_up(self) -> None:
        # The output only looked like bare JSON: it is content after all, from now on too.
        self._gave_up = True
        self._buffer = ""

    def _calls_in(self, before: str, text: str) -> list[ToolCall]:
        try:
            value = json.loads(text)
        except ValueError:
            return []
        named = self._name_in(before)
        if named is not None and isinstance(value, dict) and self._as_call(value) is None:
            pairs = [(named, value)]
        else:
            pairs = list(self._pairs(value))
        calls = []
        for name, arguments in pairs:
            calls.append(ToolCall(name, arguments, index=self._count, id=self._make_id()))
            self._count += 1
        return calls

    def _name_in(self, text: str) -> str | None:
        """The declared name written closest before an object (the longest on a tie)."""
        best: tuple[int, int, str] | None = None
        for name in self._names:
            at = text.rfind(name)
            if at >= 0 and (best is None or (at + len(name), len(name)) > best[:2]):
                best = (at + len(name), len(name), name)
        return best[2] if best else None

    def _pairs(self, value: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        """(name, arguments) of every call shape found in decoded JSON, outermost first."""
        if isinstance(value, list):
            for item in value:
                yield from self._pairs(item)
            return
        if not isinstance(value, dict):
            return
        call = self._as_call(value)
        if call is not None:
            yield call
            return
        for inner in value.values():
            yield from self._pairs(inner)

    def _as_call(self, obj: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """An object that names a declared tool in any key (``name``, ``tool_name``...), with its
        arguments under a usual key or as its only object value; or ``{"<tool>": {...}}``."""
        name = next((v for v in obj.values() if isinstance(v, str) and v in self._names), None)
        if name is not None:
            key = next((k for k in _ARGUMENT_KEYS if k in obj), None)
            if key is not None:
                return name, _arguments(obj[key])
            objects = [v for v in obj.values() if isinstance(v, dict)]
            return name, objects[0] if len(objects) == 1 else {}
        if len(obj) == 1:
            key, inner = next(iter(obj.items()))
            if key in self._names and isinstance(inner, dict):
                return key, inner
        return None


def _arguments(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _object_end(text: str, start: int) -> int:
    """Index just past the JSON object that opens at ``text[start]``, or -1 if it is not
    complete yet. Braces inside strings do not count."""
    depth, in_string, escaped = 0, False, False
    for i in range(start, len(text)):
        char = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for size in range(min(len(text), len(tag) - 1), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


__all__ = [
    "BARE_TAGS",
    "ToolCallParser",
    "new_call_id",
    "prompt_opens_tool_call",
    "tool_call_json",
    "trigger_word",
]
