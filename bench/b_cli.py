"""5. CLI start-up: wall time of ``pollama --version`` and ``pollama list`` (against a running
server) next to ``python -c pass`` with the same interpreter."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.context import Context, Section
from bench.server import PollamaServer
from bench.stats import fmt, median

TARGET_S = 0.15


def _time(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def run(ctx: Context) -> Section:
    """Median of 2 * runs (at least 10) runs of each command, interleaved."""
    script = str(Path(sys.executable).parent / "pollama")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "pollama --version": [script, "--version"],
        "pollama list": [script, "list"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    with PollamaServer(ctx.store, ctx.workdir / "cli.server.log") as server:
        for argv in commands.values():  # warm the page cache
            _time(argv, server.env)
        for _ in range(max(10, 2 * ctx.runs)):
            for name, argv in commands.items():
                times[name].append(_time(argv, server.env))
    base = median(times["python -c pass"])
    rows = [
        [name, fmt(median(t) * 1e3), fmt((median(t) - base) * 1e3)] for name, t in times.items()
    ]
    listed = median(times["pollama list"])
    return Section(
        "5. CLI start-up",
        ["command", "median ms", "over `python -c pass` ms"],
        rows,
        notes=[
            f"{len(times['pollama list'])} runs each, interleaved; the console script in the venv."
        ],
        targets=[(f"`pollama list` <= {TARGET_S} s", listed <= TARGET_S, f"{fmt(listed, 3)} s")],
    )


__all__ = ["run"]
