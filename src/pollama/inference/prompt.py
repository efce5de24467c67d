"""Building prompts from a model's template and a conversation (spec §3.4 step 8, §3.5, §5).

A model with a Go TEMPLATE layer renders through pollama's Go template interpreter; a model
without one renders the GGUF's Jinja chat template in a sandbox; a model with neither gets
``{{ .Prompt }}``.
:func:`fit_prompt` drops the oldest messages until the prompt fits the context window, always
keeping the system messages and the last message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pollama.gguf import GGUFInfo
from pollama.inference.images import Rendered
from pollama.inference.think import Think
from pollama.model import Model
from pollama.template import Message, Template, Tool, render_chat, tag_images
from pollama.template.jinja import render_jinja

DEFAULT_TEMPLATE = "{{ .Prompt }}"
_JINJA_TOOL_TAGS = ("<tool_call>", "[TOOL_CALLS]", "functools[")
Tokenize = Callable[[str], Awaitable[list[int]]]


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """How one model turns messages into prompt text."""

    go: Template | None = None
    jinja: str | None = None
    bos_token: str = ""
    eos_token: str = ""

    def render(
        self, messages: Sequence[Message], tools: Sequence[Tool] = (), think: Think | None = None
    ) -> str:
        """The prompt for ``messages``; raises TemplateError when the template fails.

        Go templates see ``think`` as ``.Think``/``.ThinkLevel``/``.IsThinkSet``; Jinja templates
        as ``enable_thinking`` (Qwen's name for it), set only when ``think`` is.
        """
        think = think or Think()
        if self.go is not None:
            return render_chat(
                self.go,
                messages,
                tools=tools,
                think=think.enabled,
                think_level=think.level,
                is_think_set=think.is_set,
            )
        assert self.jinja is not None
        extra = {"enable_thinking": think.enabled} if think.enabled is not None else {}
        return render_jinja(
            self.jinja,
            # Go templates tag images while rendering; Jinja ones see the tags in the content.
            [_jinja_message(m) for m in tag_images(messages)],
            tools=[_jinja_tool(t) for t in tools] or None,
            bos_token=self.bos_token,
            eos_token=self.eos_token,
            extra=extra,
        )

    def thinking_tags(self) -> tuple[str, str] | None:
        """The tags around a thinking trace in the output, or None when the template has none
        (spec §5.5: inferred from a Go template; ``<think>`` for a Jinja one that uses it)."""
        if self.go is not None:
            return self.go.thinking_tags()
        text = self.jinja or ""
        return ("<think>", "</think>") if "<think>" in text and "</think>" in text else None

    def tool_call_tag(self) -> str | None:
        """The text that starts a tool call in the output, or None when the template says
        nothing (callers then use ``{``, bare JSON). A Jinja template is searched for the tags
        of the well-known families."""
        if self.go is not None:
            return self.go.tool_call_tag()
        text = self.jinja or ""
        return next((tag for tag in _JINJA_TOOL_TAGS if tag in text), None)


def prompt_template(
    model: Model, info: GGUFInfo | None, override: str | None = None
) -> PromptTemplate:
    """The template ``model`` renders with (a request's ``template`` override first)."""
    if override:
        return PromptTemplate(go=Template.parse(override))
    if model.template is not None:
        return PromptTemplate(go=Template.parse(model.template))
    if info is not None and info.chat_template:
        return PromptTemplate(
            jinja=info.chat_template,
            bos_token=_special_token(info, "bos"),
            eos_token=_special_token(info, "eos"),
        )
    return PromptTemplate(go=Template.parse(DEFAULT_TEMPLATE))


def chat_history(model: Model, messages: Sequence[Message]) -> list[Message]:
    """The model's MESSAGE history, then the request's, with the model's SYSTEM in front when
    the request does not start with a system message (spec §3.5 step 6)."""
    history = [Message.from_dict(m) for m in model.messages] + list(messages)
    if model.system and (not messages or messages[0].role != "system"):
        history.insert(0, Message(role="system", content=model.system))
    return history


async def fit_prompt(
    template: PromptTemplate,
    messages: Sequence[Message],
    *,
    num_ctx: int,
    tokenize: Tokenize,
    tools: Sequence[Tool] = (),
    think: Think | None = None,
) -> str:
    """Render ``messages``, dropping the oldest non-system ones while the prompt exceeds num_ctx."""
    rendered = await fit_messages(
        template, messages, num_ctx=num_ctx, tokenize=tokenize, tools=tools, think=think
    )
    return rendered.text


async def fit_messages(
    template: PromptTemplate,
    messages: Sequence[Message],
    *,
    num_ctx: int,
    tokenize: Tokenize,
    tools: Sequence[Tool] = (),
    think: Think | None = None,
    image_tokens: int = 0,
) -> Rendered:
    """:func:`fit_prompt`, also returning the images of the kept messages (their ``[img-N]``
    order); each image counts as ``image_tokens`` tokens against num_ctx."""
    kept = list(messages)
    prompt = template.render(kept, tools, think)
    while not await _fits(prompt, num_ctx - image_tokens * _image_count(kept), tokenize):
        droppable = [i for i, m in enumerate(kept[:-1]) if m.role != "system"]
        if not droppable:
            break
        del kept[droppable[0]]
        prompt = template.render(kept, tools, think)
    return Rendered(prompt, tuple(image for m in kept for image in m.images))


def _image_count(messages: Sequence[Message]) -> int:
    return sum(len(m.images) for m in messages)


async def _fits(prompt: str, num_ctx: int, tokenize: Tokenize) -> bool:
    # Every token covers at least one byte, so a short prompt fits without asking the tokenizer
    # (two tokens of slack for BOS/EOS).
    if len(prompt.encode()) + 2 <= num_ctx:
        return True
    return len(await tokenize(prompt)) <= num_ctx


def _special_token(info: GGUFInfo, which: str) -> str:
    token_id = info.get_int(f"tokenizer.ggml.{which}_token_id")
    tokens = info.metadata.get("tokenizer.ggml.tokens")
    if token_id is None or not isinstance(tokens, list) or not 0 <= token_id < len(tokens):
        return ""
    return str(tokens[token_id])


def _jinja_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.thinking:
        out["reasoning_content"] = message.thinking  # the name Hugging Face templates read
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "type": "function",
                "id": call.id,
                "function": {"name": call.name, "arguments": dict(call.arguments)},
            }
            for call in message.tool_calls
        ]
    if message.tool_name:
        out["name"] = message.tool_name
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    return out


def _jinja_tool(tool: Tool) -> dict[str, Any]:
    function = {"name": tool.name, "description": tool.description}
    return {"type": tool.type, "function": {**function, "parameters": dict(tool.parameters)}}


__all__ = ["PromptTemplate", "chat_history", "fit_messages", "fit_prompt", "prompt_template"]
