"""A scriptable stand-in for a runner child (``RunnerHandle``) and a ``start_runner`` for it.

``FakeRunner`` yields scripted completion chunks, records every call, and can be made to die.
``FakeStarter`` is the scheduler's ``start_runner``: it records the specs it was asked for and can
be held at a gate (a slow load) or made to fail.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from pollama.errors import EngineError
from pollama.runner import RunnerSpec

DEFAULT_SCRIPT: tuple[dict[str, Any], ...] = (
    {"content": "Hello", "stop": False},
    {"content": "!", "stop": False},
    {"content": "", "stop": True, "stop_type": "eos", "timings": {}},
)


class FakeRunner:
    """A runner that answers from a script; ``die()`` makes it behave like a crashed child."""

    def __init__(self, spec: RunnerSpec, script: Sequence[dict[str, Any]] = DEFAULT_SCRIPT) -> None:
        self.spec = spec
        self.script = list(script)
        self.calls: list[tuple[str, Any]] = []
        self.close_count = 0
        self._alive = True

    @property
    def alive(self) -> bool:
        return self._alive

    @property
    def closed(self) -> bool:
        return self.close_count > 0

    def die(self) -> None:
        self._alive = False

    async def completion(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        self.calls.append(("completion", body))
        for chunk in self.script:
            await asyncio.sleep(0)
            if not self._alive:
                raise EngineError("model runner has unexpectedly stopped")
            yield chunk

    async def tokenize(self, text: str, *, add_special: bool = False) -> list[int]:
        self.calls.append(("tokenize", text))
        return [ord(c) for c in text]

    async def detokenize(self, tokens: Sequence[int]) -> str:
        self.calls.append(("detokenize", list(tokens)))
        return "".join(chr(t) for t in tokens)

    async def embed(self, inputs: list[str]) -> list[list[float]]:
        self.calls.append(("embed", inputs))
        return [[float(len(text))] for text in inputs]

    async def close(self) -> None:
        self.calls.append(("close", None))
        self.close_count += 1
        self._alive = False


class MeasuredFakeRunner(FakeRunner):
    """A fake runner that reports its resident memory, as the real ``Runner`` does."""

    def __init__(self, spec: RunnerSpec, rss: int) -> None:
        super().__init__(spec)
        self.rss = rss

    def memory_rss(self) -> int:
        return self.rss


class FakeStarter:
    """``start_runner`` for tests: returns fresh fake runners and records what was started.

    ``hold()`` makes the following starts wait until the returned event is set; exceptions in
    ``failures`` are raised by the next starts, one each, in order. ``rss`` makes runners report
    that resident size.
    """

    def __init__(self, *, rss: int | None = None) -> None:
        self.specs: list[RunnerSpec] = []
        self.runners: list[FakeRunner] = []
        self.failures: list[BaseException] = []
        self.rss = rss
        self._gate: asyncio.Event | None = None

    @property
    def calls(self) -> int:
        return len(self.specs)

    def hold(self) -> asyncio.Event:
        self._gate = asyncio.Event()
        return self._gate

    async def __call__(self, spec: RunnerSpec) -> FakeRunner:
        self.specs.append(spec)
        if self._gate is not None:
            await self._gate.wait()
        if self.failures:
            raise self.failures.pop(0)
        runner = FakeRunner(spec) if self.rss is None else MeasuredFakeRunner(spec, self.rss)
        self.runners.append(runner)
        return runner


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


__all__ = ["DEFAULT_SCRIPT", "FakeClock", "FakeRunner", "FakeStarter", "MeasuredFakeRunner"]
