"""Run the benchmarks and rewrite BENCHMARKS.md: ``python -m bench [--quick] [--only NAME ...]``.

Model files come from ``--model NAME=PATH`` (``scripts/bench`` passes what
``scripts/fetch_test_models.py`` prints). Each benchmark module's ``run(ctx)`` returns a
``Section``; a benchmark that fails becomes a section saying so, and the others still run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.context import Context, Section
from bench.machine import describe, load_average
from bench.report import render
from bench.server import PollamaServer

BENCHMARKS = ("throughput", "ttft", "concurrency", "multiturn", "cli", "pull", "memory")
ROOT = Path(__file__).resolve().parent.parent


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--model", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, default=list(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="one short run each (smoke test)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per figure")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    return parser.parse_args(argv)


def _shown(argv: list[str]) -> list[str]:
    """The command line without the machine-specific ``--model`` and ``--out`` paths."""
    shown, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--model", "--out"):
            skip = True
        elif not arg.startswith(("--model=", "--out=")):
            shown.append(arg)
    return shown


def _import_models(store: Path, models: dict[str, Path], workdir: Path) -> None:
    """Import every model into ``store`` once, as ``Context.tag(name)``."""
    with PollamaServer(store, workdir / "import.log") as server:
        for name, path in models.items():
            server.create(Context.tag(name), path, workdir)


def _run_one(name: str, ctx: Context) -> Section:
    module = importlib.import_module(f"bench.b_{name}")
    started = time.perf_counter()
    print(f"bench: {name} ...", file=sys.stderr, flush=True)
    try:
        section: Section = module.run(ctx)
    except Exception:
        detail = traceback.format_exc(limit=3).strip().splitlines()[-1]
        section = Section(f"{name}: failed", [], [], notes=[f"error: `{detail}`"])
        traceback.print_exc()
    elapsed = time.perf_counter() - started
    print(f"bench: {name} took {elapsed:.0f} s", file=sys.stderr, flush=True)
    section.notes.append(f"This benchmark took {elapsed:.0f} s.")
    return section


def main(argv: list[str]) -> int:
    args = _parse(argv)
    models = {k: Path(v) for k, v in (item.split("=", 1) for item in args.model)}
    started = time.perf_counter()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="pollama-bench-") as tmp:
        workdir = Path(tmp)
        _import_models(workdir / "store", models, workdir)
        runs = 1 if args.quick else args.runs
        ctx = Context(models, workdir, args.threads, runs, args.quick, store=workdir / "store")
        sections = [_run_one(name, ctx) for name in args.only]
    facts = [
        ("load average before (1/5/15 min)", load_before),
        ("load average after (1/5/15 min)", load_average()),
        ("total wall time", f"{time.perf_counter() - started:.0f} s"),
        ("command", "`scripts/bench " + " ".join(_shown(argv)) + "`"),
        ("threads (both sides)", str(args.threads)),
    ]
    analysis = (Path(__file__).parent / "ANALYSIS.md").read_text(encoding="utf-8")
    args.out.write_text(render(sections, describe(), facts, analysis), encoding="utf-8")
    print(f"bench: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
