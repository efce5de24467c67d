"""What ``/api/generate`` and ``/api/chat`` share: resolving the model and its options, scheduling
a runner, and running one completion on it with Ollama's statistics."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from pollama.capabilities import capabilities
from pollama.duration import parse_keep_alive_request
from pollama.errors import BadRequest, ModelNotFound
from pollama.gguf import GGUFInfo
from pollama.inference.completion import Done
from pollama.inference.images import Rendered, completion_prompt
from pollama.inference.options import merge_options, num_ctx, runner_spec, sampling_body
from pollama.inference.respond import Chunk, OutputRules, respond
from pollama.inference.structured import format_constraint
from pollama.model import Model, load_model
from pollama.names import ModelName
from pollama.runner import RunnerHandle, RunnerSpec
from pollama.scheduler import Lease
from pollama.server.show import details
from pollama.server.state import AppState


@dataclass(frozen=True, slots=True)
class Target:
    """A model ready to be scheduled: its files, effective options and runner."""

    model: Model
    info: GGUFInfo | None
    options: dict[str, Any]
    spec: RunnerSpec
    num_ctx: int
    keep_alive: float | None
    capabilities: tuple[str, ...]


async def resolve(
    state: AppState, name_text: str, options: dict[str, Any] | None, keep_alive: object
) -> Target:
    """Load the model named ``name_text`` and work out how to run it; raises BadRequest/NotFound."""
    name = ModelName.parse(name_text)
    if not name_text:
        raise ModelNotFound("model '' not found")
    if not name.is_valid():
        raise BadRequest("invalid model name")
    try:
        model = await run_in_threadpool(load_model, state.store, name)
    except ModelNotFound:
        raise ModelNotFound(f"model '{name_text}' not found") from None
    info = await run_in_threadpool(_gguf, state, model)
    embedding = info is not None and info.pooling_type is not None
    merged = merge_options(model, options, embedding=embedding)
    spec = runner_spec(model, merged, state.settings, info, embedding=embedding)
    return Target(
        model=model,
        info=info,
        options=merged,
        spec=spec,
        num_ctx=num_ctx(merged, state.settings, info),
        keep_alive=keep_alive_seconds(keep_alive),
        capabilities=tuple(capabilities(model, info)),
    )


def keep_alive_seconds(value: object) -> float | None:
    """A request's keep_alive in seconds (None when unset); raises BadRequest when malformed."""
    if value is None:
        return None
    try:
        return parse_keep_alive_request(value)
    except ValueError as err:
        raise BadRequest(str(err)) from None


def require(target: Target, capability: str, message: str) -> None:
    if capability not in target.capabilities:
        raise BadRequest(message)


def _gguf(state: AppState, model: Model) -> GGUFInfo | None:
    if model.model_path is None or not model.model_path.is_file():
        return None
    return state.gguf.read(model.model_path)


def acquire(state: AppState, target: Target) -> Any:
    """The scheduler lease (an async context manager) for ``target``'s runner."""
    return state.scheduler.acquire(
        str(target.model.manifest.digest),
        target.spec,
        keep_alive=target.keep_alive,
        info=ps_info(target),
    )


def ps_info(target: Target) -> dict[str, Any]:
    """What ``/api/ps`` shows about the model while it is loaded."""
    name = target.model.name.short()
    return {
        "name": name,
        "model": name,
        "digest": target.model.manifest.digest.hex,
        "details": details(target.model),
    }


def format_fields(fmt: object) -> dict[str, Any]:
    """llama.cpp constraint fields for a request's ``format`` (spec §3.2); raises BadRequest.
    Kept for callers of the earlier name: see :func:`format_constraint`."""
    return format_constraint(fmt)


@dataclass(slots=True)
class Timing:
    """Request-level durations in nanoseconds (spec §3.2 metrics)."""

    started: float
    load_duration: int = 0

    def metrics(self, done: Done) -> dict[str, int]:
        out = {
            "total_duration": int((time.perf_counter() - self.started) * 1e9),
            "load_duration": self.load_duration,
            "prompt_eval_count": done.prompt_eval_count,
            "prompt_eval_duration": done.prompt_eval_duration,
            "eval_count": done.eval_count,
            "eval_duration": done.eval_duration,
        }
        return {k: v for k, v in out.items() if v}


async def run_completion(
    lease: Lease,
    target: Target,
    prompt: Callable[[RunnerHandle], Awaitable[str | Rendered]],
    rules: OutputRules,
) -> AsyncIterator[Chunk | Done]:
    """Render the prompt on the leased runner and stream one response read by ``rules``
    (thinking, tool calls, format): chunks, then one Done. A :class:`Rendered` prompt carries
    images, which go to llama.cpp as multimodal data at their ``[img-N]`` tags."""
    runner = lease.runner
    rendered = await prompt(runner)
    if isinstance(rendered, str):
        rendered = Rendered(rendered)
    body = {
        "prompt": completion_prompt(rendered.text, rendered.images),
        **sampling_body(target.options),
    }
    async for item in respond(runner, body, rules):
        yield item
    if not runner.alive:
        lease.failed()


__all__ = [
    "Target",
    "Timing",
    "acquire",
    "format_fields",
    "keep_alive_seconds",
    "require",
    "resolve",
    "run_completion",
]
