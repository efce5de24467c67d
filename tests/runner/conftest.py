"""Fixtures for runner tests: a real SmolLM2 runner driven from an event loop on a thread.

The engine tests need the GGUF named by ``POLLAMA_TEST_SMOLLM2`` and skip without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pollama.runner import Runner, RunnerSpec
from tests.runner.loop import LoopThread


@pytest.fixture(scope="module")
def model_path(smollm2_path: Path) -> str:
    return str(smollm2_path)


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture(scope="module")
def runner(loop_thread: LoopThread, model_path: str) -> Iterator[Runner]:
    """One shared single-slot runner (2048 tokens of context) for the read-only tests."""
    spec = RunnerSpec(model=model_path, n_ctx=2048, n_parallel=1, n_threads=2)
    shared = loop_thread.run(Runner.start(spec))
    yield shared
    loop_thread.run(shared.close())
