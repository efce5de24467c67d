"""The state of an interactive ``pollama run`` session (spec §2.3) and what a command produces.

:class:`Session` holds everything the slash commands change and everything a chat request is
built from; :class:`Outcome` is the result of one input line: what to print, on which stream, and
what the shell does next. :class:`Api` is the part of the API client the REPL needs, so tests can
pass a fake.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pollama.names import parse_valid

Think = bool | str | None
Stream = Literal["stdout", "stderr"]
Echo = Callable[[Stream, str], None]


class Api(Protocol):
    """The endpoints the REPL calls (``pollama.api.client.Client`` provides them)."""

    def show(self, model: str, **fields: Any) -> dict[str, Any]: ...

    def generate(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]: ...

    def chat(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]: ...

    def create(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]: ...


class Multiline(enum.Enum):
    """Which ``\"\"\"`` block, if any, the input is in."""

    NONE = "none"
    PROMPT = "prompt"
    SYSTEM = "system"


class Action(enum.Enum):
    """What the shell does after a line was handled."""

    CONTINUE = "continue"  # read the next line
    SEND = "send"  # a user message was appended: run a chat turn
    EXIT = "exit"  # leave the REPL (status 0)


@dataclass
class Outcome:
    """Output of one line, in order; with ``echo`` set each piece is also emitted at once."""

    action: Action = Action.CONTINUE
    output: list[tuple[Stream, str]] = field(default_factory=list)
    echo: Echo | None = None

    def out(self, text: str) -> None:
        self._emit("stdout", text)

    def err(self, text: str) -> None:
        self._emit("stderr", text)

    def text(self, stream: Stream = "stdout") -> str:
        """Everything written to ``stream``."""
        return "".join(t for s, t in self.output if s == stream)

    def _emit(self, stream: Stream, text: str) -> None:
        self.output.append((stream, text))
        if self.echo is not None:
            self.echo(stream, text)


@dataclass
class Session:
    """One REPL session. ``messages`` are this session's turns (system ones included);
    ``loaded_messages`` are the MESSAGEs stored in the model, which the server prepends itself.

    ``pending`` and ``multiline`` are the input being assembled from a ``\"\"\"`` block.
    """

    model: str
    parent_model: str = ""
    capabilities: tuple[str, ...] = ()
    loaded_messages: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    system: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    format: Any = ""
    think: Think = None
    think_explicit: bool = False
    keep_alive: str | int | None = None
    wordwrap: bool = True
    verbose: bool = False
    history: bool = True
    hide_thinking: bool = False
    multiline: Multiline = Multiline.NONE
    pending: str = ""

    def apply_show(self, info: dict[str, Any]) -> None:
        """Take the model facts from a ``/api/show`` answer; infer ``think`` unless it was set
        explicitly (thinking models think, others leave it unset)."""
        self.parent_model = str((info.get("details") or {}).get("parent_model") or "")
        self.capabilities = tuple(info.get("capabilities") or ())
        self.loaded_messages = [dict(m) for m in info.get("messages") or []]
        if not self.think_explicit:
            self.think = True if "thinking" in self.capabilities else None

    def snapshot(self) -> Session:
        """A deep copy, for :meth:`restore`."""
        return copy.deepcopy(self)

    def restore(self, saved: Session) -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(saved, f.name))

    def set_system(self, text: str) -> None:
        """Set the system prompt: it replaces a trailing system message, else is appended."""
        self.system = text
        message = {"role": "system", "content": text}
        if self.messages and self.messages[-1].get("role") == "system":
            self.messages[-1] = message
        else:
            self.messages.append(message)

    def clear(self) -> None:
        """Forget the conversation, keeping the current system prompt."""
        self.messages = [{"role": "system", "content": self.system}] if self.system else []

    def chat_request(self) -> dict[str, Any]:
        """The ``/api/chat`` body for the conversation so far."""
        request: dict[str, Any] = {"model": self.model, "messages": self.messages}
        if self.options:
            request["options"] = self.options
        if self.format:
            request["format"] = self.format
        if self.think is not None:
            request["think"] = self.think
        if self.keep_alive is not None:
            request["keep_alive"] = self.keep_alive
        return request

    def preload_request(self) -> dict[str, Any]:
        """The ``/api/generate`` body that loads the model without generating (spec §1.6 #7)."""
        request: dict[str, Any] = {"model": self.model}
        if self.keep_alive is not None:
            request["keep_alive"] = self.keep_alive
        if self.think is not None:
            request["think"] = self.think
        return request

    def create_request(self, name: str) -> dict[str, Any]:
        """The ``/api/create`` body of ``/save <name>`` (spec §2.4)."""
        parent = self.parent_model if parse_valid(self.parent_model) else ""
        request: dict[str, Any] = {"model": name, "from": parent or self.model}
        if self.system:
            request["system"] = self.system
        if self.options:
            request["parameters"] = self.options
        messages = [*self.loaded_messages, *self.messages]
        if messages:
            request["messages"] = messages
        return request


__all__ = ["Action", "Api", "Echo", "Multiline", "Outcome", "Session", "Stream", "Think"]
