"""``POST /api/chat`` (spec §3.5)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from pollama.api.types import ChatRequest
from pollama.errors import BadRequest
from pollama.inference.completion import Done
from pollama.inference.prompt import chat_history, fit_prompt, prompt_template
from pollama.inference.think import check_think, parse_think
from pollama.runner import RunnerHandle
from pollama.server.body import read_body
from pollama.server.inference import (
    Target,
    Timing,
    acquire,
    format_fields,
    require,
    resolve,
    run_completion,
)
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
    if not req.model:
        raise BadRequest("model is required")
    target = await resolve(state, req.model, req.options, req.keep_alive)
    if not req.messages and target.keep_alive == 0:
        await state.scheduler.unload(str(target.model.manifest.digest))
        return json_response(_bare(req.model, "unload"))
    require(target, "completion", f'"{req.model}" does not support chat')
    check_think(parse_think(req.think), target.capabilities, req.model)
    if req.tools:
        require(target, "tools", f"{target.model.name} does not support tools")
    events = _events(state, target, req, Timing(started))
    return await stream_or_collapse(events, req.stream, _collapse, request)


async def _events(
    state: AppState, target: Target, req: ChatRequest, timing: Timing
) -> AsyncIterator[dict[str, Any]]:
    messages = chat_history(target.model, [Message.from_dict(m.model_dump()) for m in req.messages])
    tools = [Tool.from_dict(t) for t in req.tools or ()]
    template = prompt_template(target.model, target.info)
    async with acquire(state, target) as lease:
        timing.load_duration = int(lease.load_duration * 1e9)
        if not req.messages:
            yield _bare(req.model, "load")
            return

        async def prompt(runner: RunnerHandle) -> str:
            return await fit_prompt(
                template, messages, num_ctx=target.num_ctx, tokenize=runner.tokenize, tools=tools
            )

        async for item in run_completion(lease, target, prompt, format_fields(req.format)):
            if isinstance(item, Done):
                yield {**_bare(req.model, item.done_reason), **timing.metrics(item)}
            else:
                message = {"role": "assistant", "content": item.text}
                yield {
                    "model": req.model,
                    "created_at": utc_now(),
                    "message": message,
                    "done": False,
                }


def _bare(model: str, done_reason: str) -> dict[str, Any]:
    return {
        "model": model,
        "created_at": utc_now(),
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": done_reason,
    }


def _collapse(items: list[dict[str, Any]]) -> dict[str, Any]:
    final = dict(items[-1])
    content = "".join(item["message"].get("content", "") for item in items if "message" in item)
    final["message"] = {"role": "assistant", "content": content}
    return final
