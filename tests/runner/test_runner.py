"""The runner child and its parent-side handle, on the real engine with SmolLM2-135M-Instruct."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from pollama.errors import EngineError
from pollama.runner import Runner, RunnerHandle, RunnerHTTPError, RunnerSpec
from pollama.runner.client import STOPPED
from tests.runner.loop import LoopThread

pytestmark = pytest.mark.engine

PARIS = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
ENDLESS = {"prompt": "Once upon a time", "n_predict": 4000, "ignore_eos": True}


async def timed_events(runner: Runner, body: dict[str, Any]) -> list[tuple[float, dict[str, Any]]]:
    return [(time.perf_counter(), event) async for event in runner.completion(body)]


async def first_events(runner: Runner, body: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """Read ``count`` events, then close the stream early."""
    events = []
    async with contextlib.aclosing(runner.completion(body)) as stream:
        async for event in stream:
            events.append(event)
            if len(events) == count:
                break
    return events


def pid_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (absent, or a zombie nobody reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not pid_gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_runner_implements_the_handle_protocol(runner: Runner) -> None:
    assert isinstance(runner, RunnerHandle)
    assert runner.alive


def test_greedy_completion_answers_paris_with_timings(
    runner: Runner, loop_thread: LoopThread
) -> None:
    body = {"prompt": PARIS, "temperature": 0, "n_predict": 40}
    events = [event for _, event in loop_thread.run(timed_events(runner, body))]

    assert "".join(event["content"] for event in events) == "The capital of France is Paris."
    final = events[-1]
    assert final["stop"] is True and final["stop_type"] == "eos"
    assert all(event["stop"] is False for event in events[:-1])
    timings = final["timings"]
    assert timings["prompt_n"] + timings["cache_n"] == 16
    assert timings["predicted_n"] == 8
    assert timings["prompt_ms"] > 0 and timings["predicted_ms"] > 0


def test_stream_is_incremental(runner: Runner, loop_thread: LoopThread) -> None:
    start = time.perf_counter()
    body = {"prompt": "Once upon a time", "n_predict": 48, "ignore_eos": True}
    events = loop_thread.run(timed_events(runner, body))

    assert len(events) == 49  # one per token, then the final summary
    first, last = events[0][0] - start, events[-1][0] - start
    assert first < last / 3, f"first event at {first:.3f}s, last at {last:.3f}s"
    assert events[-1][1]["stop_type"] == "limit"


async def cancel_after(runner: Runner, body: dict[str, Any], count: int) -> int:
    """Consume ``body`` in a task and cancel that task once ``count`` events arrived."""
    seen = asyncio.Event()
    events = 0

    async def consume() -> None:
        nonlocal events
        async for _ in runner.completion(body):
            events += 1
            if events == count:
                seen.set()

    task = asyncio.create_task(consume())
    await seen.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return events


@pytest.mark.parametrize("how", ["aclose", "cancel"])
def test_stopping_a_stream_early_frees_the_only_slot(
    runner: Runner, loop_thread: LoopThread, how: str
) -> None:
    if how == "aclose":
        assert len(loop_thread.run(first_events(runner, ENDLESS, 3))) == 3
    else:
        assert loop_thread.run(cancel_after(runner, ENDLESS, 3)) >= 3

    # Without cancellation the single slot would be busy for 4000 tokens (about a minute).
    start = time.perf_counter()
    body = {"prompt": PARIS, "temperature": 0, "n_predict": 2}
    events = loop_thread.run(timed_events(runner, body), timeout=30)
    assert events[0][0] - start < 2.0
    assert events[-1][1]["stop"] is True


def test_tokenize_detokenize_round_trip(runner: Runner, loop_thread: LoopThread) -> None:
    text = "The capital of France is Paris."
    tokens = loop_thread.run(runner.tokenize(text))
    assert tokens == [504, 3575, 282, 4649, 314, 7042, 30]
    assert loop_thread.run(runner.detokenize(tokens)) == text
    special = loop_thread.run(runner.tokenize("<|im_start|>user"))
    assert special[0] == 1  # the special token, not its spelling


def test_requests_without_the_key_are_refused(runner: Runner) -> None:
    with httpx.Client(base_url=runner.address, trust_env=False) as client:
        assert client.get("/health").status_code == 200  # public by design
        refused = client.post("/tokenize", json={"content": "hello"})
        assert refused.status_code == 401
        wrong = {"Authorization": "Bearer not-the-key"}
        assert client.post("/completion", json={"prompt": "x"}, headers=wrong).status_code == 401


def test_prompt_longer_than_context_is_an_http_error(
    runner: Runner, loop_thread: LoopThread
) -> None:
    body = {"prompt": "hello " * 3000, "n_predict": 1}
    with pytest.raises(RunnerHTTPError, match="exceeds the available context") as caught:
        loop_thread.run(timed_events(runner, body))
    assert caught.value.status_code == 400
    assert isinstance(caught.value, EngineError)


def test_embed_needs_an_embedding_runner(runner: Runner, loop_thread: LoopThread) -> None:
    with pytest.raises(RunnerHTTPError) as caught:
        loop_thread.run(runner.embed(["hello"]))
    assert caught.value.status_code == 501


def test_health_memory_and_stderr_tail(runner: Runner, loop_thread: LoopThread) -> None:
    assert loop_thread.run(runner.health()) is True
    assert runner.memory_rss() > 50 * 1024 * 1024
    tail = runner.stderr_tail()
    assert 0 < len(tail) <= 50
    assert any("print_timing" in line or "listening" in line for line in tail)


def test_two_slots_serve_two_completions_at_once(loop_thread: LoopThread, model_path: str) -> None:
    async def scenario() -> list[list[tuple[float, dict[str, Any]]]]:
        spec = RunnerSpec(model=model_path, n_ctx=1024, n_parallel=2, n_threads=2)
        runner = await Runner.start(spec)
        try:
            body = {"prompt": PARIS, "temperature": 0, "n_predict": 40}
            return list(await asyncio.gather(*(timed_events(runner, body) for _ in range(2))))
        finally:
            await runner.close()

    both = loop_thread.run(scenario())
    for events in both:
        assert "".join(event["content"] for _, event in events) == "The capital of France is Paris."
    # Batched, not queued: each stream starts before the other one ends.
    (first_a, end_a), (first_b, end_b) = ((e[0][0], e[-1][0]) for e in both)
    assert first_a < end_b and first_b < end_a


def test_embedding_runner_returns_one_vector_per_input(
    loop_thread: LoopThread, model_path: str
) -> None:
    async def scenario() -> list[list[float]]:
        spec = RunnerSpec(model=model_path, n_ctx=512, embedding=True, pooling="mean")
        runner = await Runner.start(spec)
        try:
            return await runner.embed(["cat", "a kitten", "quarterly revenue"])
        finally:
            await runner.close()

    vectors = loop_thread.run(scenario())
    assert [len(vector) for vector in vectors] == [576, 576, 576]
    assert vectors[0] != vectors[1]


@pytest.mark.parametrize("content", [None, b"GGUX" + bytes(64)], ids=["missing", "not-gguf"])
def test_bad_model_fails_fast_with_the_reason(
    loop_thread: LoopThread, tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "model.gguf"
    if content is not None:
        path.write_bytes(content)
    start = time.perf_counter()
    with pytest.raises(EngineError, match="llama runner process has terminated: ") as caught:
        loop_thread.run(Runner.start(RunnerSpec(model=str(path))), timeout=30)
    assert time.perf_counter() - start < 20
    assert "No such file" in str(caught.value) or "magic" in str(caught.value)


def runner_children() -> list[int]:
    """Live runner processes whose parent is this test process."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
            if int(fields[1]) == os.getpid() and b"pollama.runner" in cmdline:
                found.append(int(stat.parent.name))
    return [pid for pid in found if not pid_gone(pid)]


def test_load_timeout_kills_the_child(loop_thread: LoopThread, model_path: str) -> None:
    before = set(runner_children())  # the shared runner may be up
    with pytest.raises(EngineError, match="timed out waiting for llama runner to start"):
        loop_thread.run(Runner.start(RunnerSpec(model=model_path), load_timeout=0.05))
    assert set(runner_children()) <= before


def test_missing_interpreter_is_an_engine_error(loop_thread: LoopThread, tmp_path: Path) -> None:
    spec = RunnerSpec(model=str(tmp_path / "m.gguf"))
    with pytest.raises(EngineError, match="cannot start the model runner"):
        loop_thread.run(Runner.start(spec, python=str(tmp_path / "no-python")))


def test_killed_runner_fails_its_stream(loop_thread: LoopThread, model_path: str) -> None:
    async def scenario() -> tuple[Runner, BaseException | None]:
        runner = await Runner.start(RunnerSpec(model=model_path, n_ctx=512, n_threads=2))
        try:
            async for event in runner.completion(ENDLESS):
                if event["tokens_predicted"] == 2:
                    os.kill(runner.pid, signal.SIGKILL)
        except EngineError as exc:
            return runner, exc
        return runner, None

    runner, error = loop_thread.run(scenario())
    try:
        assert str(error) == f"{STOPPED}: killed by SIGKILL"
        assert runner.alive is False
    finally:
        loop_thread.run(runner.close())


def test_close_leaves_no_process(loop_thread: LoopThread, model_path: str) -> None:
    runner = loop_thread.run(Runner.start(RunnerSpec(model=model_path, n_ctx=256)))
    assert not pid_gone(runner.pid)
    loop_thread.run(runner.close())
    loop_thread.run(runner.close())  # idempotent
    assert runner.alive is False
    assert pid_gone(runner.pid)
    assert runner.memory_rss() == 0


PARENT = """
import asyncio, sys
from pollama.runner import Runner, RunnerSpec

async def main():
    runner = await Runner.start(RunnerSpec(model=sys.argv[1], n_ctx=256))
    print(runner.pid, flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


def test_killed_parent_takes_the_runner_with_it(model_path: str) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, model_path], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert not pid_gone(child)
        os.kill(parent.pid, signal.SIGKILL)
        assert wait_gone(child, 5.0)
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
