"""Building the prompt for a chat (spec §5.3, §5.4 and §3.5 steps 6-7).

Three execution modes, chosen as upstream's ``Template.Execute`` chooses them:

* **messages** -- the template references ``.Messages``: consecutive messages with the same role
  are merged (contents joined by a blank line; ``tool`` messages never merge), ``.System`` joins
  all system messages, and the template runs once with ``Messages``, ``Tools``, ``Response=""``;
* **legacy** -- the template only knows ``.System``/``.Prompt``/``.Response``: it runs once per
  turn, and the last turn runs on the template cut right after ``{{ .Response }}`` so the model
  continues the assistant's reply;
* **insert** -- fill-in-the-middle with ``Prompt`` and ``Suffix`` (:func:`render_insert`).

Every mode also sets ``Think``, ``ThinkLevel`` and ``IsThinkSet``. Images become ``[img-N]`` tags
(N counts from 0 across the prompt): each replaces one ``[img]`` placeholder in its message, or
all of them prefix the content when it has none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pollama.template.messages import Message, Tool, ToolCall
from pollama.template.template import Template
from pollama.template.views import message_value, tools_value


@dataclass(frozen=True, slots=True)
class _Think:
    think: bool | None
    level: str
    is_set: bool

    def values(self) -> dict[str, Any]:
        return {
            "Think": bool(self.think),
            "ThinkLevel": self.level,
            "IsThinkSet": self.is_set or self.think is not None,
        }


def render_chat(
    template: Template,
    messages: Sequence[Message],
    *,
    tools: Sequence[Tool] = (),
    think: bool | None = None,
    think_level: str = "",
    is_think_set: bool = False,
) -> str:
    """Render a chat prompt: image tags, then messages or legacy mode (see module docstring).

    ``think`` None means "not requested" (``.Think`` is false, ``.IsThinkSet`` false unless
    ``is_think_set``). Raises TemplateError when the template fails to execute.
    """
    flags = _Think(think, think_level, is_think_set)
    return _render(template, tag_images(messages), tools, flags)


def render_insert(
    template: Template,
    prompt: str,
    suffix: str,
    *,
    think: bool | None = None,
    think_level: str = "",
    is_think_set: bool = False,
) -> str:
    """Render a fill-in-the-middle prompt (``.Prompt``, ``.Suffix``, empty ``.Response``)."""
    values = {"Prompt": prompt, "Suffix": suffix, "Response": ""}
    values |= _Think(think, think_level, is_think_set).values()
    return template.execute(values)


def fit_to_context(
    template: Template,
    messages: Sequence[Message],
    *,
    num_ctx: int,
    count_tokens: Callable[[str], int],
    tools: Sequence[Tool] = (),
    think: bool | None = None,
    think_level: str = "",
    is_think_set: bool = False,
    image_tokens: int = 0,
) -> str:
    """:func:`render_chat` on the messages that :func:`truncate_messages` keeps."""
    kept = truncate_messages(
        template,
        messages,
        num_ctx=num_ctx,
        count_tokens=count_tokens,
        tools=tools,
        think=think,
        think_level=think_level,
        is_think_set=is_think_set,
        image_tokens=image_tokens,
    )
    flags = _Think(think, think_level, is_think_set)
    return _render(template, tag_images(kept), tools, flags)


def truncate_messages(
    template: Template,
    messages: Sequence[Message],
    *,
    num_ctx: int,
    count_tokens: Callable[[str], int],
    tools: Sequence[Tool] = (),
    think: bool | None = None,
    think_level: str = "",
    is_think_set: bool = False,
    image_tokens: int = 0,
) -> list[Message]:
    """The messages to render so that the prompt fits ``num_ctx`` tokens.

    Drops the oldest messages, keeping every system message and always the last message, until
    ``count_tokens(prompt) + image_tokens * images`` is at most ``num_ctx`` (upstream counts 768
    tokens per image for vision models). Keeps the last message even if it alone does not fit.
    The images to send with the prompt are those of the returned messages, in order.
    """
    msgs = list(messages)
    flags = _Think(think, think_level, is_think_set)
    last = len(msgs) - 1
    for start in range(len(msgs)):
        kept = [m for m in msgs[:start] if m.role == "system"] + msgs[start:]
        if start == last:
            return kept
        if start and msgs[start - 1].role == "system":
            continue  # the same messages as the previous attempt, which did not fit
        # Measured without image tags, as upstream measures.
        size = count_tokens(_render(template, kept, tools, flags))
        size += image_tokens * sum(len(m.images) for m in msgs[start:])
        if size <= num_ctx:
            return kept
    return msgs


def tag_images(messages: Sequence[Message]) -> list[Message]:
    """Messages with ``[img-N]`` tags for their images (N counted from 0 over all messages)."""
    tagged: list[Message] = []
    count = 0
    for message in messages:
        prefix, content = "", message.content
        for _ in message.images:
            tag = f"[img-{count}]"
            count += 1
            if "[img]" in content:
                content = content.replace("[img]", tag, 1)
            else:
                prefix += tag
        if message.images:
            message = replace(message, content=prefix + content)
        tagged.append(message)
    return tagged


def collate(messages: Sequence[Message]) -> tuple[str, list[Message]]:
    """All system contents joined by a blank line, and the messages with consecutive same-role
    messages merged (except ``tool``); a merged message keeps its first part's other fields."""
    system: list[str] = []
    merged: list[Message] = []
    for message in messages:
        if message.role == "system":
            system.append(message.content)
        if merged and merged[-1].role == message.role and message.role != "tool":
            merged[-1] = replace(merged[-1], content=merged[-1].content + "\n\n" + message.content)
        else:
            merged.append(message)
    return "\n\n".join(system), merged


def _render(
    template: Template, messages: Sequence[Message], tools: Sequence[Tool], flags: _Think
) -> str:
    system, merged = collate(messages)
    if template.references("Messages"):
        values = {
            "System": system,
            "Messages": tuple(message_value(m) for m in merged),
            "Tools": tools_value(tools),
            "Response": "",
        }
        return template.execute(values | flags.values())
    return _render_legacy(template, merged, flags)


def _render_legacy(template: Template, messages: Sequence[Message], flags: _Think) -> str:
    out: list[str] = []
    turn = {"System": "", "Prompt": "", "Response": ""}
    for message in messages:
        if message.role == "system":
            if turn["Prompt"] or turn["Response"]:
                out.append(template.execute(turn | flags.values()))
                turn = dict.fromkeys(turn, "")
            turn["System"] = message.content
        elif message.role == "user":
            if turn["Response"]:
                out.append(template.execute(turn | flags.values()))
                turn = dict.fromkeys(turn, "")
            turn["Prompt"] = message.content
        elif message.role == "assistant":
            turn["Response"] = message.content
    out.append(template.truncated_after_response().execute(turn | flags.values()))
    return "".join(out)


__all__ = [
    "Message",
    "Tool",
    "ToolCall",
    "collate",
    "fit_to_context",
    "render_chat",
    "render_insert",
    "tag_images",
    "truncate_messages",
]
