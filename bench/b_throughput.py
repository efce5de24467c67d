"""1. Single stream: generation and prompt tokens/s through ``/api/generate`` vs the raw engine.

Both sides load the same GGUF with the same context, threads and batch, get the same raw prompt
(a fresh one per run, so no prompt cache helps) and sample greedily with the same seed and
length. Runs alternate between the two sides so that machine noise hits both alike.
"""

from __future__ import annotations

from typing import Any

from bench.context import Context, Section
from bench.engine import EngineConfig, RawEngine
from bench.procs import cpu_seconds
from bench.server import PollamaServer
from bench.stats import fmt, fmt_spread, median, ratio
from bench.workload import engine_body, options, story_prompt

MODELS = ("smollm2", "gemma3")
TARGET = 0.97


def _pollama_run(server: PollamaServer, ctx: Context, name: str, prompt: str) -> dict[str, float]:
    body = {"model": ctx.tag(name), "prompt": prompt, "raw": True, "options": options(ctx, 128)}
    cpu = cpu_seconds(server.pid)
    result = server.stream("/api/generate", body)
    final = result.final
    return {
        "server_cpu": cpu_seconds(server.pid) - cpu,
        "gen": final["eval_count"] / final["eval_duration"] * 1e9,
        "prompt": final["prompt_eval_count"] / final["prompt_eval_duration"] * 1e9,
        "wall": final["eval_count"] / result.wall,
        "tokens": final["eval_count"],
    }


def _engine_run(engine: RawEngine, ctx: Context, prompt: str) -> dict[str, float]:
    reply = engine.complete({"prompt": prompt, **engine_body(ctx, 128)})
    timings = reply["timings"]
    return {
        "gen": timings["predicted_n"] / timings["predicted_ms"] * 1e3,
        "prompt": timings["prompt_n"] / timings["prompt_ms"] * 1e3,
        "wall": timings["predicted_n"] / reply["wall"],
        "tokens": timings["predicted_n"],
    }


def _measure(ctx: Context, name: str) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    config = EngineConfig(str(ctx.model(name)), ctx.num_ctx, 1, ctx.threads)
    ours: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    log = ctx.workdir / f"throughput-{name}"
    with (
        PollamaServer(ctx.store, log.with_suffix(".server.log")) as server,
        RawEngine(config, log.with_suffix(".engine.log")) as engine,
    ):
        _pollama_run(server, ctx, name, "Warm up.")  # loads the runner
        _engine_run(engine, ctx, "Warm up.")
        for i in range(ctx.runs):
            prompt = story_prompt(i)
            if i % 2:
                theirs.append(_engine_run(engine, ctx, prompt))
                ours.append(_pollama_run(server, ctx, name, prompt))
            else:
                ours.append(_pollama_run(server, ctx, name, prompt))
                theirs.append(_engine_run(engine, ctx, prompt))
    return ours, theirs


def _row(
    name: str, metric: str, ours: list[dict[str, Any]], theirs: list[dict[str, Any]]
) -> list[str]:
    mine = [r[metric] for r in ours]
    reference = [r[metric] for r in theirs]
    paired = [ratio(x, y) for x, y in zip(mine, reference, strict=True)]
    return [
        name,
        _LABELS[metric],
        fmt_spread(mine),
        fmt_spread(reference),
        fmt(ratio(median(mine), median(reference)), 3),
        fmt_spread(paired, 2),
    ]


_LABELS = {
    "gen": "generation tok/s (engine timings)",
    "prompt": "prompt tok/s (engine timings)",
    "wall": "generation tok/s (client wall clock)",
}


def run(ctx: Context) -> Section:
    """Measure both models; the target is a ratio >= 0.97 on generation tokens/s."""
    section = Section(
        "1. Single stream throughput (`/api/generate`)",
        [
            "model",
            "metric",
            "pollama median (min-max)",
            "raw xllamacpp median (min-max)",
            "ratio of medians",
            "run-by-run ratios",
        ],
        [],
    )
    for name in MODELS:
        ours, theirs = _measure(ctx, name)
        for metric in ("gen", "prompt", "wall"):
            section.rows.append(_row(name, metric, ours, theirs))
        gen = ratio(median([r["gen"] for r in ours]), median([r["gen"] for r in theirs]))
        section.targets.append(
            (f"{name}: generation ratio >= {TARGET}", gen >= TARGET, fmt(gen, 3))
        )
        counts = sorted({int(r["tokens"]) for r in ours + theirs})
        per_token = sum(r["server_cpu"] for r in ours) / sum(r["tokens"] for r in ours) * 1e3
        section.notes.append(
            f"{name}: generated token counts seen: {counts}; the pollama server process used "
            f"{per_token:.2f} ms of CPU per generated token (whole request, from /proc)."
        )
    section.notes.append(
        f"{ctx.runs} runs per side (alternating), medians; num_ctx {ctx.num_ctx}, "
        f"{ctx.threads} threads, temperature 0, seed {ctx.seed}, num_predict 128, raw prompt of "
        "about 250 tokens that differs in its first token on every run. The wall-clock row is "
        "eval_count divided by the whole request time seen by the client (prompt included)."
    )
    return section


__all__ = ["run"]
