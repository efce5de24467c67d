"""2. Time to first token through ``/api/chat`` minus the raw engine's own, streamed.

Warm model (SmolLM2), a short chat prompt that differs per run (the same sequence on both
sides), streamed. pollama's figure is client-side: request sent to first non-empty content line.
The engine's is in-process: call to first non-empty content chunk (it applies the GGUF's chat
template itself; the prompts differ from pollama's by at most a few template tokens).
"""

from __future__ import annotations

from bench.context import Context, Section
from bench.engine import EngineConfig, RawEngine
from bench.server import PollamaServer
from bench.stats import fmt, median
from bench.workload import engine_body, options

MODEL = "smollm2"
TARGET_MS = 10.0
SYSTEM = "You are a helpful assistant."


def _messages(i: int) -> list[dict[str, str]]:
    """A system message (so neither template adds a default one) and a fresh user line."""
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Say hello to friend number {i + 1}."},
    ]


def run(ctx: Context) -> Section:
    """Median TTFT of each side over 2 * runs requests; the target is a difference <= 10 ms."""
    config = EngineConfig(str(ctx.model(MODEL)), ctx.num_ctx, 1, ctx.threads)
    ours: list[float] = []
    theirs: list[float] = []
    counts: set[tuple[int, int]] = set()
    log = ctx.workdir / "ttft"
    with (
        PollamaServer(ctx.store, log.with_suffix(".server.log")) as server,
        RawEngine(config, log.with_suffix(".engine.log")) as engine,
    ):
        chat = {"model": ctx.tag(MODEL), "options": options(ctx, 4)}
        body = engine_body(ctx, 4)
        server.stream("/api/chat", {**chat, "messages": _messages(-1)})  # warm up
        engine.chat({**body, "messages": _messages(-1)})
        for i in range(2 * ctx.runs):
            mine = server.stream("/api/chat", {**chat, "messages": _messages(i)})
            reference = engine.chat({**body, "messages": _messages(i)})
            ours.append(mine.ttft)
            theirs.append(reference["ttft"])
            counts.add((mine.final["prompt_eval_count"], reference["timings"]["prompt_n"]))
    a, b = median(ours) * 1e3, median(theirs) * 1e3
    return Section(
        "2. Time to first token (`/api/chat`, streamed, warm)",
        ["model", "pollama TTFT ms", "raw xllamacpp TTFT ms", "difference ms"],
        [[MODEL, fmt(a), fmt(b), fmt(a - b)]],
        notes=[
            f"{2 * ctx.runs} requests per side, alternating, medians; num_predict 4; a system "
            "message and a user line that changes every request (the system part is cached on "
            "both sides). Prompt tokens evaluated (pollama, raw) seen: "
            f"{sorted(counts)}."
        ],
        targets=[(f"difference <= {TARGET_MS:g} ms", a - b <= TARGET_MS, f"{fmt(a - b)} ms")],
    )


__all__ = ["run"]
