"""3. Aggregate generation tokens/s with 1, 2, 4, 8 concurrent clients on gemma3-270m.

For each client count pollama runs with ``OLLAMA_NUM_PARALLEL = min(clients, 4)`` and the raw
engine with as many slots; aggregate tokens/s is all tokens generated divided by the wall time
from the first request sent to the last one finished. Ratios are to one client on the same side.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

import httpx

from bench.context import Context, Section
from bench.engine import EngineConfig, RawEngine
from bench.server import PollamaServer
from bench.stats import fmt, median, ratio
from bench.workload import engine_body, options

MODEL = "gemma3"
CLIENTS = (1, 2, 4, 8)
TARGET = 1.7
PREDICT = 64
PROMPT = "Once upon a time, in a small village by the sea,"


def pollama_burst(server: PollamaServer, ctx: Context, clients: int, predict: int) -> float:
    """``clients`` simultaneous streamed ``/api/generate`` requests; aggregate tokens/s.

    Each client's ``httpx.Client`` is made before the clock starts: making one builds an SSL
    context (tens of ms of CPU), which the raw side, called in-process, never pays.
    """
    counts: list[int] = []
    errors: list[BaseException] = []
    body = {"model": ctx.tag(MODEL), "prompt": PROMPT, "raw": True}
    body["options"] = options(ctx, predict)
    https = [httpx.Client(timeout=600, trust_env=False) for _ in range(clients)]

    def one(http: httpx.Client) -> None:
        try:
            counts.append(int(server.stream("/api/generate", body, http).final["eval_count"]))
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)

    try:
        wall = _threads([functools.partial(one, http) for http in https])
    finally:
        for http in https:
            http.close()
    if errors:
        raise errors[0]
    return sum(counts) / wall


def _threads(targets: list[Callable[[], None]]) -> float:
    """Run each target in a thread of its own, all at once; the wall time until all are done."""
    threads = [threading.Thread(target=target) for target in targets]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _measure(ctx: Context, clients: int, runs: int) -> tuple[float, float]:
    parallel = min(clients, 4)
    config = EngineConfig(str(ctx.model(MODEL)), ctx.num_ctx * parallel, parallel, ctx.threads)
    log = ctx.workdir / f"concurrency-{clients}"
    ours: list[float] = []
    theirs: list[float] = []
    body = {"prompt": PROMPT, **engine_body(ctx, PREDICT)}
    with (
        PollamaServer(
            ctx.store, log.with_suffix(".server.log"), OLLAMA_NUM_PARALLEL=str(parallel)
        ) as server,
        RawEngine(config, log.with_suffix(".engine.log")) as engine,
    ):
        pollama_burst(server, ctx, 1, 4)  # warm up
        engine.complete({**body, "n_predict": 4})
        for _ in range(runs):
            ours.append(pollama_burst(server, ctx, clients, PREDICT))
            reply = engine.concurrent(clients, body)
            theirs.append(reply["tokens"] / reply["wall"])
    return median(ours), median(theirs)


def run(ctx: Context) -> Section:
    """One row per client count; the target is pollama's 4-client ratio >= 1.7."""
    runs = min(ctx.runs, 3)
    results = {n: _measure(ctx, n, runs) for n in CLIENTS}
    base_ours, base_theirs = results[1]
    section = Section(
        f"3. Concurrency ({MODEL}, aggregate generation tok/s)",
        ["clients", "slots", "pollama tok/s", "pollama x1", "raw tok/s", "raw x1"],
        [],
        notes=[
            f"{runs} runs per point per side, medians; {PREDICT} tokens per client, "
            f"{ctx.threads} threads, the same short raw prompt for every client."
        ],
    )
    for n, (ours, theirs) in results.items():
        section.rows.append(
            [
                str(n),
                str(min(n, 4)),
                fmt(ours),
                fmt(ratio(ours, base_ours), 2),
                fmt(theirs),
                fmt(ratio(theirs, base_theirs), 2),
            ]
        )
    four = ratio(results[4][0], base_ours)
    raw_four = ratio(results[4][1], base_theirs)
    section.targets.append(
        (
            f"4 clients >= {TARGET}x one client",
            four >= TARGET,
            f"{fmt(four, 2)}x; raw {fmt(raw_four, 2)}x",
        )
    )
    return section


__all__ = ["pollama_burst", "run"]
