"""``POST /api/generate`` (spec §3.4).

Other front ends (the OpenAI-compatible ``/v1/completions``) reuse the native flow:
``target = await resolve(state, req.model, req.options, req.keep_alive)``, then iterate
:func:`generate_events` for native chunks and :func:`collapse_generate` them when not streaming.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from pollama.api.types import GenerateRequest
from pollama.errors import BadRequest
from pollama.inference.completion import Done
from pollama.inference.images import Rendered, check_base64, require_vision, tag_message
from pollama.inference.prompt import fit_prompt, prompt_template
from pollama.inference.respond import OutputRules, output_rules
from pollama.inference.structured import format_constraint
from pollama.inference.think import Think, check_think, parse_think
from pollama.runner import RunnerHandle
from pollama.server.body import read_body
from pollama.server.inference import Target, Timing, acquire, require, resolve, run_completion
from pollama.server.state import AppState, state_of
from pollama.server.streaming import json_response, stream_or_collapse
from pollama.template import Message, Template, render_insert
from pollama.timefmt import utc_now

router = APIRouter()


@router.post("/api/generate")
async def generate(request: Request) -> Response:
    started = time.perf_counter()
    state = state_of(request)
    req = await read_body(request, GenerateRequest)
    target = await resolve(state, req.model, req.options, req.keep_alive)
    if not req.prompt and target.keep_alive == 0:
        await state.scheduler.unload(str(target.model.manifest.digest))
        return json_response(_bare(req.model, "unload"))
    events = generate_events(state, target, req, Timing(started))
    return await stream_or_collapse(events, req.stream, collapse_generate, request)


def _check(target: Target, req: GenerateRequest) -> tuple[Think, OutputRules]:
    """Validate the request against the model (spec §3.4 steps 4-5); the thinking choice and
    how to read the output."""
    if req.raw and (req.template or req.system or req.context):
        raise BadRequest("raw mode does not support template, system, or context")
    require(target, "completion", f'"{req.model}" does not support generate')
    think = check_think(parse_think(req.think), target.capabilities, req.model)
    if req.suffix:
        require(target, "insert", f"{target.model.name} does not support insert")
    require_vision(target.capabilities, req.model, req.images or ())
    check_base64(req.images or ())
    tags = prompt_template(target.model, target.info, req.template).thinking_tags()
    return think, output_rules(tags, None, think, constraint=format_constraint(req.format))


async def generate_events(
    state: AppState, target: Target, req: GenerateRequest, timing: Timing
) -> AsyncIterator[dict[str, Any]]:
    """The native ``/api/generate`` chunks for ``req`` on ``target``.

    Every chunk is ``{"model", "created_at", "response", "thinking"?, "done": false}``; the last
    has ``done: true``, ``done_reason`` (``stop``/``length``, or ``load`` for an empty prompt), the
    metrics and, unless ``raw``, ``context``. Raises before the first chunk: BadRequest (raw
    with template/system/context, capabilities, think, format), ServerBusy and EngineError from
    scheduling; EngineError after it.
    """
    think, rules = _check(target, req)
    async with acquire(state, target) as lease:
        timing.load_duration = int(lease.load_duration * 1e9)
        if not req.prompt and not req.suffix:
            yield _bare(req.model, "load")
            return
        prompt_text = ""

        async def prompt(runner: RunnerHandle) -> Rendered:
            nonlocal prompt_text
            prompt_text = await build_prompt(target, req, runner, think)
            images = tuple(req.images or ())
            if req.raw:
                # No template tagged the images: place them in front as §5.4 does.
                prompt_text = tag_message(prompt_text, len(images))
            return Rendered(prompt_text, images)

        tokens: list[int] = []
        async for item in run_completion(lease, target, prompt, rules):
            if isinstance(item, Done):
                final = _bare(req.model, item.done_reason)
                if not req.raw:
                    final["context"] = await lease.runner.tokenize(prompt_text) + tokens
                yield {**final, **timing.metrics(item)}
                continue
            tokens.extend(item.tokens)
            if item.empty:
                continue
            chunk: dict[str, Any] = {
                "model": req.model,
                "created_at": utc_now(),
                "response": item.content,
            }
            if item.thinking:
                chunk["thinking"] = item.thinking
            yield {**chunk, "done": False}


async def build_prompt(
    target: Target, req: GenerateRequest, runner: RunnerHandle, think: Think | None = None
) -> str:
    """The prompt text for a generate request (spec §3.4 step 8)."""
    think = think or Think()
    if req.raw:
        return req.prompt
    prefix = await runner.detokenize(req.context) if req.context else ""
    if req.suffix:
        insert = Template.parse(req.template or target.model.template or "{{ .Prompt }}")
        return prefix + render_insert(
            insert,
            req.prompt,
            req.suffix,
            think=think.enabled,
            think_level=think.level,
            is_think_set=think.is_set,
        )
    system = req.system if req.system is not None else target.model.system
    messages = [Message(role="system", content=system)] if system else []
    if not req.context:
        messages += [Message.from_dict(m) for m in target.model.messages]
    messages.append(Message(role="user", content=req.prompt, images=tuple(req.images or ())))
    template = prompt_template(target.model, target.info, req.template)
    return prefix + await fit_prompt(
        template, messages, num_ctx=target.num_ctx, tokenize=runner.tokenize, think=think
    )


def _bare(model: str, done_reason: str) -> dict[str, Any]:
    return {
        "model": model,
        "created_at": utc_now(),
        "response": "",
        "done": True,
        "done_reason": done_reason,
    }


def collapse_generate(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The non-streamed answer for the chunks of :func:`generate_events`: the final chunk with
    ``response`` and ``thinking`` concatenated (spec §3.4 step 11)."""
    final = dict(items[-1])
    final["response"] = "".join(item.get("response", "") for item in items)
    thinking = "".join(item.get("thinking", "") for item in items)
    if thinking:
        final["thinking"] = thinking
    return final


__all__ = ["build_prompt", "collapse_generate", "generate_events", "router"]
