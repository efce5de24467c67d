"""Fixtures for runner tests: a real SmolLM2 runner driven from an event loop on a thread.

The engine tests need the GGUF named by ``POLLAMA_TEST_SMOLLM2`` and skip without it.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from pollama.runner import Runner, RunnerSpec

T = TypeVar("T")

MODEL_ENV = "POLLAMA_TEST_SMOLLM2"


class LoopThread:
    """An asyncio loop running forever on a daemon thread; ``run`` submits a coroutine and waits.

    Runners are spawned from this thread, so they live as long as it does (PR_SET_PDEATHSIG).
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.run(self.loop.shutdown_asyncgens())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


@pytest.fixture(scope="module")
def model_path() -> str:
    path = os.environ.get(MODEL_ENV)
    if not path:
        pytest.skip(f"{MODEL_ENV} is not set")
    return path


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
