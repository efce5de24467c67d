"""7. Memory: resident set of the server (idle, and its peak under 8 streaming clients) and of
its runner, next to the model file and to the raw engine process loaded the same way."""

from __future__ import annotations

from bench.b_concurrency import pollama_burst
from bench.context import Context, Section
from bench.engine import EngineConfig, RawEngine
from bench.procs import peak_rss_mib, rss_mib
from bench.server import PollamaServer
from bench.stats import fmt

MODEL = "gemma3"
PARALLEL = 4
CLIENTS = 8


def run(ctx: Context) -> Section:
    """One measurement: memory figures do not need medians."""
    size_mib = ctx.model(MODEL).stat().st_size / (1024 * 1024)
    config = EngineConfig(str(ctx.model(MODEL)), ctx.num_ctx * PARALLEL, PARALLEL, ctx.threads)
    log = ctx.workdir / "memory"
    env = {"OLLAMA_NUM_PARALLEL": str(PARALLEL)}
    with PollamaServer(ctx.store, log.with_suffix(".server.log"), **env) as server:
        idle_before_load = rss_mib(server.pid)
        pollama_burst(server, ctx, 1, 4)  # loads the runner
        idle = rss_mib(server.pid)
        pollama_burst(server, ctx, CLIENTS, 64)
        server_peak = peak_rss_mib(server.pid)
        runners = server.runner_pids()
        runner_peak = max((peak_rss_mib(pid) for pid in runners), default=float("nan"))
    with RawEngine(config, log.with_suffix(".engine.log")) as engine:
        engine.concurrent(CLIENTS, {"prompt": "Once upon a time", "n_predict": 64})
        engine_peak = peak_rss_mib(engine.process.pid)
    rows = [
        ["model file", fmt(size_mib)],
        ["server, idle, no model loaded", fmt(idle_before_load)],
        ["server, idle, model loaded", fmt(idle)],
        [f"server, peak (after {CLIENTS} streaming clients)", fmt(server_peak)],
        [f"runner, peak ({PARALLEL} slots x num_ctx {ctx.num_ctx})", fmt(runner_peak)],
        ["raw engine process, peak (same load, same clients)", fmt(engine_peak)],
    ]
    return Section(
        f"7. Memory ({MODEL}, MiB)",
        ["what", "MiB"],
        rows,
        notes=[
            "Resident set sizes from /proc (VmRSS, VmHWM for peaks). The model is memory-mapped, "
            "so its pages count in the runner's resident set once touched."
        ],
    )


__all__ = ["run"]
