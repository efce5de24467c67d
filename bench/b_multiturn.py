"""4. Multi-turn chat: prompt tokens evaluated on turn 5 against turn 5's whole prompt.

A five-turn ``/api/chat`` conversation on SmolLM2 (history sent back each turn, as clients do).
With prompt-cache reuse only the tokens new since the previous turn are evaluated. The raw
engine replays the same conversation (pollama's answers as the assistant turns) and reports
both its evaluated tokens and the cached ones, whose sum is the whole prompt.
"""

from __future__ import annotations

from typing import Any

from bench.context import Context, Section
from bench.engine import EngineConfig, RawEngine
from bench.server import PollamaServer
from bench.workload import engine_body, options

MODEL = "smollm2"
QUESTIONS = (
    "What is the capital of France?",
    "And of Italy?",
    "Which of the two cities is older?",
    "Name one famous museum in each.",
    "Thank you. Summarise our conversation in one sentence.",
)


def _pollama(server: PollamaServer, ctx: Context) -> tuple[list[int], int, list[dict[str, str]]]:
    """Per-turn prompt_eval_count, turn 5's whole prompt length and the conversation.

    The whole length is what a fresh runner (the model unloaded first) evaluates for turn 5.
    """
    messages = [{"role": "system", "content": "You are a helpful assistant."}]
    counts = []
    body: dict[str, Any] = {"model": ctx.tag(MODEL), "options": options(ctx, 32)}
    for question in QUESTIONS:
        messages.append({"role": "user", "content": question})
        result = server.stream("/api/chat", {**body, "messages": messages})
        counts.append(int(result.final.get("prompt_eval_count", 0)))
        messages.append({"role": "assistant", "content": result.text})
    server.http.post("/api/generate", json={"model": ctx.tag(MODEL), "keep_alive": 0})
    fresh = server.stream("/api/chat", {**body, "messages": messages[:-1]})
    return counts, int(fresh.final.get("prompt_eval_count", 0)), messages


def _engine(engine: RawEngine, ctx: Context, messages: list[dict[str, str]]) -> list[Any]:
    """Per-turn (evaluated, cached) of the engine on the same conversation."""
    out = []
    for turn in range(len(QUESTIONS)):
        history = messages[: 2 * turn + 2]
        timings = engine.chat({**engine_body(ctx, 32), "messages": history})["timings"]
        out.append((int(timings["prompt_n"]), int(timings["cache_n"])))
    return out


def run(ctx: Context) -> Section:
    """Counts are deterministic: one conversation per side. Target: turn 5 evaluates only the
    new tokens, i.e. no more than the engine's own turn-5 count."""
    config = EngineConfig(str(ctx.model(MODEL)), ctx.num_ctx, 1, ctx.threads)
    log = ctx.workdir / "multiturn"
    with PollamaServer(ctx.store, log.with_suffix(".server.log")) as server:
        counts, whole, messages = _pollama(server, ctx)
    with RawEngine(config, log.with_suffix(".engine.log")) as engine:
        reference = _engine(engine, ctx, messages)
    section = Section(
        "4. Multi-turn chat: prompt cache reuse",
        ["turn", "pollama prompt_eval_count", "raw evaluated", "raw cached", "raw whole prompt"],
        [],
    )
    for turn, (count, (evaluated, cached)) in enumerate(zip(counts, reference, strict=True)):
        section.rows.append(
            [str(turn + 1), str(count), str(evaluated), str(cached), str(evaluated + cached)]
        )
    last, raw_last = counts[-1], reference[-1][0]
    section.targets.append(
        (
            "turn 5 evaluates only the new tokens",
            last <= raw_last + 2 and last < whole,
            f"{last} of {whole} tokens evaluated; raw engine {raw_last}",
        )
    )
    section.notes.append(
        "num_predict 32, greedy, a system message first. The engine renders the GGUF's chat "
        "template, pollama its own template for the model: turn 1's counts show that the two "
        "prompts match. The engine's own earlier answers (in its cache) differ from pollama's, "
        "which the replay sends back, so it may re-evaluate a few more tokens. "
        f"pollama's whole turn-5 prompt is {whole} tokens (what a freshly loaded runner "
        "evaluates for it)."
    )
    return section


__all__ = ["run"]
