"""``POST /api/chat`` (spec §3.5).

Other front ends (the OpenAI-compatible routes) reuse the native flow: build a
:class:`~pollama.api.types.ChatRequest`, ``target = await resolve_chat(state, req)``, iterate
:func:`chat_events` for native chunks, and :func:`collapse_chat` them for a non-streamed answer.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from pollama.api.types import ChatRequest
from pollama.errors import BadRequest
from pollama.inference.completion import Done
from pollama.inference.images import IMAGE_TOKENS, Rendered, check_base64, require_vision
from pollama.inference.prompt import PromptTemplate, chat_history, fit_messages, prompt_template
from pollama.inference.respond import Chunk, OutputRules, output_rules
from pollama.inference.structured import format_constraint
from pollama.inference.think import (
    Think,
    check_think,
    parse_think,
    strip_old_thinking,
    strips_old_thinking,
)
from pollama.inference.tools import tool_call_json
from pollama.runner import RunnerHandle
from pollama.server.body import read_body
from pollama.server.inference import Target, Timing, acquire, require, resolve, run_completion
from pollama.server.state import AppState, state_of
from pollama.server.streaming import json_response, stream_or_collapse
from pollama.template import Message, Tool
from pollama.timefmt import utc_now

router = APIRouter()


@router.post("/api/chat")
async def chat(request: Request) -> Response:
    started = time.perf_counter()
    state = state_of(request)
    req = await read_body(request, ChatRequest)
    target = await resolve_chat(state, req)
    if not req.messages and target.keep_alive == 0:
        await state.scheduler.unload(str(target.model.manifest.digest))
        return json_response(_bare(req.model, "unload"))
    events = chat_events(state, target, req, Timing(started))
    return await stream_or_collapse(events, req.stream, collapse_chat, request)


async def resolve_chat(state: AppState, req: ChatRequest) -> Target:
    """The model a chat request names, loaded from the store with its options resolved.

    Raises BadRequest (``model is required``, invalid name, bad options or keep_alive) and
    ModelNotFound.
    """
    if not req.model:
        raise BadRequest("model is required")
    return await resolve(state, req.model, req.options, req.keep_alive)


@dataclass(frozen=True, slots=True)
class _Plan:
    template: PromptTemplate
    messages: list[Message]
    tools: list[Tool]
    think: Think
    rules: OutputRules


def _plan(target: Target, req: ChatRequest) -> _Plan:
    """Validate the request against the model (spec §3.5 step 4) and decide how to prompt it."""
    require(target, "completion", f'"{req.model}" does not support chat')
    think = check_think(parse_think(req.think), target.capabilities, req.model)
    if req.tools:
        require(target, "tools", f"{target.model.name} does not support tools")
    tools = [Tool.from_dict(t) for t in req.tools or ()]
    messages = chat_history(target.model, [Message.from_dict(m.model_dump()) for m in req.messages])
    images = [image for m in messages for image in m.images]
    require_vision(target.capabilities, req.model, images)
    check_base64(images)
    if strips_old_thinking(target.model.config.model_family, target.model.name.model):
        messages = strip_old_thinking(messages)
    template = prompt_template(target.model, target.info)
    rules = output_rules(
        template.thinking_tags(),
        template.tool_call_tag(),
        think,
        tools,
        format_constraint(req.format),
    )
    return _Plan(template, messages, tools, think, rules)


async def chat_events(
    state: AppState, target: Target, req: ChatRequest, timing: Timing
) -> AsyncIterator[dict[str, Any]]:
    """The native ``/api/chat`` chunks for ``req`` on ``target``.

    Every chunk is ``{"model", "created_at", "message": {"role": "assistant", "content",
    "thinking"?, "tool_calls"?}, "done": false}``; tool calls arrive parsed, in the wire shape of
    :func:`pollama.inference.tools.tool_call_json`. The last chunk has ``done: true``,
    ``done_reason`` (``stop``/``length``, or ``load`` for a request without messages) and the
    metrics. Raises before the first chunk: BadRequest (capabilities, think, tools, format),
    ServerBusy and EngineError from scheduling; EngineError after it.
    """
    plan = _plan(target, req)
    async with acquire(state, target) as lease:
        timing.load_duration = int(lease.load_duration * 1e9)
        if not req.messages:
            yield _bare(req.model, "load")
            return

        async def prompt(runner: RunnerHandle) -> Rendered:
            return await fit_messages(
                plan.template,
                plan.messages,
                num_ctx=target.num_ctx,
                tokenize=runner.tokenize,
                tools=plan.tools,
                think=plan.think,
                image_tokens=IMAGE_TOKENS if "vision" in target.capabilities else 0,
            )

        async for item in run_completion(lease, target, prompt, plan.rules):
            if isinstance(item, Done):
                yield {**_bare(req.model, item.done_reason), **timing.metrics(item)}
            elif not item.empty:
                yield {
                    "model": req.model,
                    "created_at": utc_now(),
                    "message": _message(item),
                    "done": False,
                }


def _message(chunk: Chunk) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": chunk.content}
    if chunk.thinking:
        message["thinking"] = chunk.thinking
    if chunk.tool_calls:
        message["tool_calls"] = [tool_call_json(call) for call in chunk.tool_calls]
    return message


def _bare(model: str, done_reason: str) -> dict[str, Any]:
    return {
        "model": model,
        "created_at": utc_now(),
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": done_reason,
    }


def collapse_chat(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The non-streamed answer for the chunks of :func:`chat_events`: the final chunk with
    content and thinking concatenated and all tool calls gathered (spec §3.5 step 11)."""
    final = dict(items[-1])
    messages = [item["message"] for item in items if "message" in item]
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(m.get("content", "") for m in messages),
    }
    thinking = "".join(m.get("thinking", "") for m in messages)
    if thinking:
        message["thinking"] = thinking
    calls = [call for m in messages for call in m.get("tool_calls", ())]
    if calls:
        message["tool_calls"] = calls
    final["message"] = message
    return final


__all__ = ["chat_events", "collapse_chat", "resolve_chat", "router"]
