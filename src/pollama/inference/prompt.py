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
from pollama.model import Model
from pollama.template import Message, Template, Tool, render_chat
from pollama.template.jinja import render_jinja

DEFAULT_TEMPLATE = "{{ .Prompt }}"
Tokenize = Callable[[str], Awaitable[list[int]]]


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """How one model turns messages into prompt text."""

    go: Template | None = None
    jinja: str | None = None
    bos_token: str = ""
    eos_token: str = ""

    def render(self, messages: Sequence[Message], tools: Sequence[Tool] = ()) -> str:
        """The prompt for ``messages``; raises TemplateError when the template fails."""
        if self.go is not None:
            return render_chat(self.go, messages, tools=tools)
        assert self.jinja is not None
        return render_jinja(
            self.jinja,
            [_jinja_message(m) for m in messages],
            tools=[_jinja_tool(t) for t in tools] or None,
            bos_token=self.bos_token,
            eos_token=self.eos_token,
        )


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
) -> str:
    """Render ``messages``, dropping the oldest non-system ones while the prompt exceeds num_ctx."""
    kept = list(messages)
    prompt = template.render(kept, tools)
    while not await _fits(prompt, num_ctx, tokenize):
        droppable = [i for i, m in enumerate(kept[:-1]) if m.role != "system"]
        if not droppable:
            break
        del kept[droppable[0]]
        prompt = template.render(kept, tools)
    return prompt


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


__all__ = ["PromptTemplate", "chat_history", "fit_prompt", "prompt_template"]
