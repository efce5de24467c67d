"""The scheduler on fake runners: loading, sharing, keep-alive, admission, eviction, crashes."""

from __future__ import annotations

import asyncio
import math
import random
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from pollama.errors import EngineError, ServerBusy
from pollama.runner import RunnerHandle, RunnerSpec
from pollama.scheduler import FOREVER_SECONDS, Lease, Scheduler
from pollama.scheduling.probes import file_size_estimate, system_available_memory
from tests.support.fake_runner import FakeClock, FakeRunner, FakeStarter

GiB = 1 << 30
A = "sha256:aaaa"
B = "sha256:bbbb"
C = "sha256:cccc"


def run(test: Callable[[], Coroutine[Any, Any, None]], timeout: float = 5.0) -> None:
    """Run an async test body on a fresh loop; a hang fails the test instead of the suite."""

    async def bounded() -> None:
        async with asyncio.timeout(timeout):
            await test()

    asyncio.run(bounded())


def spec(model: str = "/models/a.gguf", **fields: Any) -> RunnerSpec:
    return RunnerSpec(model=model, **fields)


def make(starter: FakeStarter | None = None, **options: Any) -> tuple[Scheduler, FakeStarter]:
    starter = starter or FakeStarter()
    options.setdefault("available_memory", lambda: 64 * GiB)
    options.setdefault("estimate_memory", lambda s: GiB)
    return Scheduler(start_runner=starter, **options), starter


async def settle(rounds: int = 20) -> None:
    """Let every runnable task take a few steps."""
    for _ in range(rounds):
        await asyncio.sleep(0)


class Holder:
    """A task that acquires a lease and keeps it until ``release()``."""

    def __init__(self, scheduler: Scheduler, key: str, runner_spec: RunnerSpec, **kw: Any) -> None:
        self.lease: Lease | None = None
        self._release = asyncio.Event()
        self.task = asyncio.create_task(self._hold(scheduler, key, runner_spec, kw))

    async def _hold(self, scheduler: Scheduler, key: str, runner_spec: RunnerSpec, kw: Any) -> None:
        async with scheduler.acquire(key, runner_spec, **kw) as lease:
            self.lease = lease
            await self._release.wait()

    @property
    def runner(self) -> FakeRunner:
        assert self.lease is not None
        runner = self.lease.runner
        assert isinstance(runner, FakeRunner)
        return runner

    async def finish(self) -> None:
        """Release the lease and wait until it is given back (re-raising the task's error)."""
        self._release.set()
        await self.task


async def use(
    scheduler: Scheduler, key: str = A, runner_spec: RunnerSpec | None = None, **kw: Any
) -> FakeRunner:
    """Acquire and release at once; returns the runner that was leased."""
    async with scheduler.acquire(key, runner_spec or spec(), **kw) as lease:
        runner = lease.runner
    assert isinstance(runner, FakeRunner)
    return runner


# -- sharing runners ---------------------------------------------------------------------------


def test_fake_runner_implements_the_runner_interface() -> None:
    assert isinstance(FakeRunner(spec()), RunnerHandle)


def test_loaded_runner_is_reused() -> None:
    async def body() -> None:
        scheduler, starter = make()
        first = await use(scheduler)
        second = await use(scheduler)
        assert first is second
        assert starter.calls == 1
        assert not first.closed

    run(body)


def test_lease_runner_serves_completions() -> None:
    async def body() -> None:
        scheduler, _ = make()
        async with scheduler.acquire(A, spec()) as lease:
            chunks = [c async for c in lease.runner.completion({"prompt": "hi"})]
        assert "".join(c["content"] for c in chunks) == "Hello!"

    run(body)


def test_concurrent_acquires_share_one_load() -> None:
    async def body() -> None:
        scheduler, starter = make()
        gate = starter.hold()
        holders = [Holder(scheduler, A, spec(n_parallel=4)) for _ in range(3)]
        await settle()
        assert starter.calls == 1
        assert scheduler.queued == 3
        gate.set()
        await settle()
        assert {id(h.runner) for h in holders} == {id(starter.runners[0])}
        assert scheduler.queued == 0
        for holder in holders:
            await holder.finish()
        assert starter.calls == 1

    run(body)


def test_load_duration_covers_the_wait() -> None:
    async def body() -> None:
        clock = FakeClock()
        scheduler, starter = make(clock=clock)
        gate = starter.hold()
        holder = Holder(scheduler, A, spec())
        await settle()
        clock.advance(2.5)
        gate.set()
        await settle()
        assert holder.lease is not None
        assert holder.lease.load_duration == pytest.approx(2.5)
        await holder.finish()
        async with scheduler.acquire(A, spec()) as lease:
            assert lease.load_duration == 0

    run(body)


def test_spec_change_reloads_after_in_flight_requests() -> None:
    async def body() -> None:
        scheduler, starter = make()
        old = Holder(scheduler, A, spec(n_ctx=2048))
        await settle()
        new = Holder(scheduler, A, spec(n_ctx=8192))
        await settle()
        assert new.lease is None  # waits for the old runner to drain
        assert not old.runner.closed
        # a request with the old spec no longer gets the expiring runner either
        late = Holder(scheduler, A, spec(n_ctx=2048))
        await settle()
        assert late.lease is None
        await old.finish()
        await settle()
        assert starter.runners[0].closed
        assert new.lease is not None
        assert new.runner.spec.n_ctx == 8192
        await new.finish()
        await settle()
        assert late.lease is not None and late.runner.spec.n_ctx == 2048
        await late.finish()
        assert [s.n_ctx for s in starter.specs] == [2048, 8192, 2048]

    run(body)


# -- keep-alive --------------------------------------------------------------------------------


def test_default_keep_alive_expires_idle_runner() -> None:
    async def body() -> None:
        scheduler, starter = make(default_keep_alive=0.05)
        runner = await use(scheduler)
        await settle()
        assert not runner.closed
        await asyncio.sleep(0.15)
        assert runner.closed
        assert scheduler.loaded() == []
        assert await use(scheduler) is not runner
        assert starter.calls == 2

    run(body)


def test_default_keep_alive_shows_in_ps() -> None:
    async def body() -> None:
        clock, wall = FakeClock(50.0), FakeClock(1_700_000_000.0)
        scheduler, _ = make(clock=clock, wall_clock=wall)
        await use(scheduler)
        clock.advance(100)
        wall.advance(100)
        [model] = scheduler.loaded()
        assert model.expires_at == pytest.approx(1_700_000_000.0 + 300)

    run(body)


def test_keep_alive_zero_unloads_after_release() -> None:
    async def body() -> None:
        scheduler, _ = make()
        holder = Holder(scheduler, A, spec(), keep_alive=0)
        await settle()
        runner = holder.runner
        assert not runner.closed
        await holder.finish()
        await settle()
        assert runner.closed
        assert scheduler.loaded() == []

    run(body)


def test_keep_alive_forever_never_expires() -> None:
    async def body() -> None:
        wall = FakeClock(1_700_000_000.0)
        scheduler, _ = make(default_keep_alive=0.01, wall_clock=wall)
        runner = await use(scheduler, keep_alive=math.inf)
        await asyncio.sleep(0.05)
        assert not runner.closed
        [model] = scheduler.loaded()
        assert model.expires_at == pytest.approx(wall.now + FOREVER_SECONDS)

    run(body)


def test_negative_keep_alive_means_forever() -> None:
    async def body() -> None:
        scheduler, _ = make(default_keep_alive=0.01)
        runner = await use(scheduler, keep_alive=-1)
        await asyncio.sleep(0.05)
        assert not runner.closed

    run(body)


def test_short_keep_alive_expires_and_reacquire_cancels_timer() -> None:
    async def body() -> None:
        scheduler, _ = make()
        runner = await use(scheduler, keep_alive=0.05)
        holder = Holder(scheduler, A, spec())  # acquired before expiry: the timer stops
        await settle()
        assert holder.runner is runner
        await asyncio.sleep(0.1)
        assert not runner.closed
        await holder.finish()  # the timer restarts with the model's keep-alive (0.05 s)
        await settle()
        assert not runner.closed
        await asyncio.sleep(0.15)
        assert runner.closed

    run(body)


def test_request_keep_alive_sticks_to_the_model() -> None:
    async def body() -> None:
        scheduler, _ = make(default_keep_alive=0.02)
        runner = await use(scheduler, keep_alive=math.inf)
        assert await use(scheduler) is runner  # no keep_alive: keeps "forever"
        await asyncio.sleep(0.06)
        assert not runner.closed
        await use(scheduler, keep_alive=0)
        await settle()
        assert runner.closed

    run(body)


# -- slots and admission -----------------------------------------------------------------------


def test_n_parallel_limits_concurrent_leases() -> None:
    async def body() -> None:
        scheduler, starter = make()
        first = Holder(scheduler, A, spec(n_parallel=2))
        second = Holder(scheduler, A, spec(n_parallel=2))
        await settle()
        third = Holder(scheduler, A, spec(n_parallel=2))
        await settle()
        assert first.lease is not None and second.lease is not None
        assert third.lease is None
        assert scheduler.queued == 1
        await first.finish()
        await settle()
        assert third.runner is second.runner
        assert scheduler.queued == 0
        await second.finish()
        await third.finish()
        assert starter.calls == 1

    run(body)


def test_slots_are_granted_in_arrival_order() -> None:
    async def body() -> None:
        scheduler, _ = make()
        holder = Holder(scheduler, A, spec())
        await settle()
        waiters = [Holder(scheduler, A, spec()) for _ in range(3)]
        await settle()
        order = []
        await holder.finish()
        for _ in waiters:
            await settle()
            [current] = [w for w in waiters if w.lease is not None and not w.task.done()]
            order.append(waiters.index(current))
            await current.finish()
        assert order == [0, 1, 2]

    run(body)


def test_full_queue_rejects_at_once() -> None:
    async def body() -> None:
        scheduler, _ = make(max_queue=2)
        running = Holder(scheduler, A, spec())
        await settle()
        waiting = [Holder(scheduler, A, spec()) for _ in range(2)]
        await settle()
        assert scheduler.queued == 2
        with pytest.raises(ServerBusy) as caught:
            async with scheduler.acquire(A, spec()):
                pass  # pragma: no cover
        assert str(caught.value) == (
            "server busy, please try again.  maximum pending requests exceeded"
        )
        assert scheduler.queued == 2
        await running.finish()
        for holder in waiting:
            await settle()
            await holder.finish()
        assert scheduler.queued == 0

    run(body)


def test_refused_request_starts_nothing() -> None:
    async def body() -> None:
        scheduler, starter = make(max_queue=0)
        with pytest.raises(ServerBusy):
            await use(scheduler)
        assert starter.calls == 0
        assert scheduler.loaded() == []

    run(body)


def test_cancelled_waiter_leaves_the_queue() -> None:
    async def body() -> None:
        scheduler, _ = make(max_queue=2)
        running = Holder(scheduler, A, spec())
        await settle()
        first, second = Holder(scheduler, A, spec()), Holder(scheduler, A, spec())
        await settle()
        assert scheduler.queued == 2
        first.task.cancel()
        await settle()
        assert scheduler.queued == 1
        third = Holder(scheduler, A, spec())  # the freed place can be taken
        await settle()
        assert scheduler.queued == 2
        await running.finish()
        await settle()
        assert first.lease is None and second.lease is not None
        await second.finish()
        await settle()
        await third.finish()
        assert scheduler.queued == 0
        [model] = scheduler.loaded()
        assert model.in_use == 0

    run(body)


def test_slot_handed_to_a_cancelled_waiter_is_passed_on() -> None:
    async def body() -> None:
        scheduler, _ = make()
        running = Holder(scheduler, A, spec())
        await settle()
        doomed, patient = Holder(scheduler, A, spec()), Holder(scheduler, A, spec())
        await settle()
        assert running.lease is not None
        running.lease.release()  # the slot goes to ``doomed`` ...
        assert scheduler.loaded()[0].in_use == 1
        doomed.task.cancel()  # ... which is cancelled before it can run
        await settle()
        assert doomed.lease is None
        assert patient.lease is not None
        await patient.finish()
        await running.finish()
        [model] = scheduler.loaded()
        assert model.in_use == 0

    run(body)


def test_cancelled_loader_does_not_leak_the_runner() -> None:
    async def body() -> None:
        scheduler, starter = make(default_keep_alive=0.05)
        gate = starter.hold()
        loader = Holder(scheduler, A, spec())
        await settle()
        loader.task.cancel()
        await settle()
        assert scheduler.queued == 0
        gate.set()
        await settle()
        [model] = scheduler.loaded()
        assert (model.state, model.in_use) == ("ready", 0)
        runner = starter.runners[0]
        await asyncio.sleep(0.15)  # idles out with the normal keep-alive
        assert runner.closed
        assert scheduler.loaded() == []

    run(body)


# -- max_loaded and memory ---------------------------------------------------------------------


def test_max_loaded_evicts_the_idle_runner_expiring_soonest() -> None:
    async def body() -> None:
        scheduler, _ = make(max_loaded=2)
        a = await use(scheduler, A, spec("/a"), keep_alive=100)
        b = await use(scheduler, B, spec("/b"), keep_alive=10)
        c = await use(scheduler, C, spec("/c"))
        assert b.closed and not a.closed and not c.closed
        assert {m.model_key for m in scheduler.loaded()} == {A, C}

    run(body)


def test_max_loaded_prefers_idle_over_soonest_busy() -> None:
    async def body() -> None:
        scheduler, _ = make(max_loaded=2)
        busy = Holder(scheduler, A, spec("/a"), keep_alive=1)
        await settle()
        idle = await use(scheduler, B, spec("/b"), keep_alive=math.inf)
        await use(scheduler, C, spec("/c"))
        assert idle.closed and not busy.runner.closed
        await busy.finish()

    run(body)


def test_max_loaded_waits_when_nothing_is_idle() -> None:
    async def body() -> None:
        scheduler, _ = make(max_loaded=1)
        busy = Holder(scheduler, A, spec("/a"))
        await settle()
        other = Holder(scheduler, B, spec("/b"))
        await settle()
        assert other.lease is None and scheduler.queued == 1
        await busy.finish()
        await settle()
        assert busy.runner.closed
        assert other.lease is not None
        await other.finish()

    run(body)


def test_max_loaded_zero_means_three() -> None:
    async def body() -> None:
        scheduler, _ = make(max_loaded=0)
        first = await use(scheduler, "k0", spec("/0"))
        for i in range(1, 3):
            await use(scheduler, f"k{i}", spec(f"/{i}"))
        assert not first.closed
        await use(scheduler, "k3", spec("/3"))
        assert first.closed

    run(body)


def test_model_too_large_is_refused() -> None:
    async def body() -> None:
        scheduler, starter = make(
            available_memory=lambda: 4 * GiB, estimate_memory=lambda s: 6 * GiB
        )
        with pytest.raises(EngineError) as caught:
            await use(scheduler)
        assert str(caught.value) == (
            "model requires more system memory (6.0 GiB) than is available (4.0 GiB)"
        )
        assert starter.calls == 0
        assert scheduler.loaded() == []
        assert scheduler.queued == 0

    run(body)


def test_refusal_counts_memory_of_loaded_runners() -> None:
    async def body() -> None:
        need = [0]  # the first model fits
        scheduler, starter = make(
            FakeStarter(rss=2 * GiB),
            available_memory=lambda: GiB,
            estimate_memory=lambda s: need[0],
        )
        await use(scheduler, A, spec("/a"))
        need[0] = 4 * GiB
        with pytest.raises(EngineError, match=r"\(4\.0 GiB\) than is available \(3\.0 GiB\)"):
            await use(scheduler, B, spec("/b"))
        assert not starter.runners[0].closed

    run(body)


def test_failing_estimate_becomes_engine_error() -> None:
    async def body() -> None:
        def estimate(s: RunnerSpec) -> int:
            raise OSError("no such file")

        scheduler, starter = make(estimate_memory=estimate)
        with pytest.raises(EngineError, match="no such file"):
            await use(scheduler)
        assert starter.calls == 0 and scheduler.queued == 0

    run(body)


def test_one_load_at_a_time() -> None:
    async def body() -> None:
        scheduler, starter = make()
        gate = starter.hold()
        first = Holder(scheduler, A, spec("/a"))
        await settle()
        second = Holder(scheduler, B, spec("/b"))
        await settle()
        assert starter.calls == 1 and scheduler.queued == 2
        gate.set()
        await settle()
        assert starter.calls == 2
        assert first.lease is not None and second.lease is not None
        await first.finish()
        await second.finish()

    run(body)


def test_idle_runners_are_evicted_to_make_room() -> None:
    async def body() -> None:
        starter = FakeStarter()

        def free() -> int:  # 8 GiB machine; every live runner takes 3 GiB
            return 8 * GiB - 3 * GiB * sum(r.alive for r in starter.runners)

        scheduler, _ = make(starter, available_memory=free, estimate_memory=lambda s: 3 * GiB)
        a = await use(scheduler, A, spec("/a"), keep_alive=100)
        b = await use(scheduler, B, spec("/b"), keep_alive=10)
        c = await use(scheduler, C, spec("/c"))
        assert b.closed and not a.closed and not c.closed

    run(body)


def test_busy_runner_is_waited_for_when_memory_is_short() -> None:
    async def body() -> None:
        starter = FakeStarter()

        def free() -> int:
            return 4 * GiB - 3 * GiB * sum(r.alive for r in starter.runners)

        scheduler, _ = make(starter, available_memory=free, estimate_memory=lambda s: 3 * GiB)
        busy = Holder(scheduler, A, spec("/a"))
        await settle()
        other = Holder(scheduler, B, spec("/b"))
        await settle()
        assert other.lease is None and scheduler.queued == 1
        await busy.finish()
        await settle()
        assert busy.runner.closed and other.lease is not None
        await other.finish()

    run(body)


# -- crashes -----------------------------------------------------------------------------------


def test_dead_idle_runner_is_replaced_on_acquire() -> None:
    async def body() -> None:
        scheduler, starter = make()
        first = await use(scheduler)
        first.die()
        second = await use(scheduler)
        assert second is not first
        assert first.closed
        assert starter.calls == 2

    run(body)


def test_runner_that_died_during_a_request_is_removed_on_release() -> None:
    async def body() -> None:
        scheduler, _ = make()
        holder = Holder(scheduler, A, spec())
        await settle()
        holder.runner.die()
        await holder.finish()
        await settle()
        assert holder.runner.closed
        assert scheduler.loaded() == []

    run(body)


def test_failed_lease_closes_a_dead_runner_at_once() -> None:
    async def body() -> None:
        scheduler, starter = make()
        async with scheduler.acquire(A, spec()) as lease:
            lease.failed()  # still alive: nothing happens
            await settle()
            assert scheduler.loaded() != []
            runner = lease.runner
            assert isinstance(runner, FakeRunner)
            runner.die()
            lease.failed()
            await settle()
            assert runner.closed
            assert scheduler.loaded() == []
            fresh = await use(scheduler)  # the next request does not wait for this one
            assert fresh is not runner
        assert starter.calls == 2

    run(body)


def test_start_failure_fails_waiters_and_leaves_no_entry() -> None:
    async def body() -> None:
        scheduler, starter = make()
        gate = starter.hold()
        starter.failures.append(EngineError("llama runner process has terminated: boom"))
        holders = [Holder(scheduler, A, spec(n_parallel=2)) for _ in range(3)]
        await settle()
        gate.set()
        results = await asyncio.gather(*(h.task for h in holders), return_exceptions=True)
        assert all(isinstance(r, EngineError) for r in results)
        assert {str(r) for r in results} == {"llama runner process has terminated: boom"}
        assert scheduler.loaded() == [] and scheduler.queued == 0
        assert await use(scheduler, runner_spec=spec(n_parallel=2)) is starter.runners[0]
        assert starter.calls == 2

    run(body)


def test_unexpected_start_error_becomes_engine_error() -> None:
    async def body() -> None:
        scheduler, starter = make()
        starter.failures.append(RuntimeError("bug"))
        with pytest.raises(EngineError, match="bug"):
            await use(scheduler)
        assert scheduler.loaded() == []

    run(body)


def test_repeated_crashes_back_off() -> None:
    async def body() -> None:
        clock = FakeClock()
        scheduler, starter = make(clock=clock)
        starter.failures.extend(EngineError("crash") for _ in range(2))
        for _ in range(2):
            with pytest.raises(EngineError, match="crash"):
                await use(scheduler)
            clock.advance(10)
        runner = await use(scheduler)
        runner.die()  # the third crash within 60 s
        with pytest.raises(EngineError, match="crashed 3 times within 60s") as caught:
            await use(scheduler)
        assert "another 30s" in str(caught.value)
        assert starter.calls == 3
        assert await use(scheduler, B, spec("/b")) is not None  # other models are unaffected
        clock.advance(31)
        assert await use(scheduler) is not runner
        assert starter.calls == 5

    run(body)


def test_crashes_outside_the_window_do_not_back_off() -> None:
    async def body() -> None:
        clock = FakeClock()
        scheduler, starter = make(clock=clock)
        starter.failures.extend(EngineError("crash") for _ in range(3))
        for _ in range(3):
            with pytest.raises(EngineError, match="^crash$"):
                await use(scheduler)
            clock.advance(31)
        await use(scheduler)

    run(body)


# -- unload, loaded, shutdown, ready -----------------------------------------------------------


def test_unload_idle_runner() -> None:
    async def body() -> None:
        scheduler, _ = make()
        runner = await use(scheduler)
        assert await scheduler.unload(A) is True
        await settle()
        assert runner.closed
        assert await scheduler.unload(A) is False
        assert await scheduler.unload("sha256:unknown") is False

    run(body)


def test_unload_busy_runner_expires_it_after_release() -> None:
    async def body() -> None:
        wall = FakeClock(1_700_000_000.0)
        scheduler, starter = make(wall_clock=wall)
        holder = Holder(scheduler, A, spec())
        await settle()
        assert await scheduler.unload(A) is True
        wall.advance(5)
        [model] = scheduler.loaded()
        assert model.state == "expiring"
        assert model.expires_at < wall.now  # "Stopping..."
        late = Holder(scheduler, A, spec())  # an expiring runner is never handed out
        await settle()
        assert late.lease is None
        await holder.finish()
        await settle()
        assert holder.runner.closed
        assert late.lease is not None and late.runner is not holder.runner
        await late.finish()
        assert starter.calls == 2

    run(body)


def test_unload_while_loading_serves_waiters_then_unloads() -> None:
    async def body() -> None:
        scheduler, starter = make()
        gate = starter.hold()
        holder = Holder(scheduler, A, spec())
        await settle()
        assert await scheduler.unload(A) is True
        gate.set()
        await settle()
        assert holder.lease is not None
        await holder.finish()
        await settle()
        assert holder.runner.closed

    run(body)


def test_loaded_fields_and_order() -> None:
    async def body() -> None:
        clock, wall = FakeClock(10.0), FakeClock(1_700_000_000.0)
        scheduler, starter = make(clock=clock, wall_clock=wall, estimate_memory=lambda s: 123)
        info = {"name": "a:latest", "digest": "aaaa"}
        await use(scheduler, A, spec("/a", n_ctx=8192, n_parallel=2), keep_alive=60, info=info)
        await use(scheduler, B, spec("/b"), keep_alive=math.inf)
        busy = Holder(scheduler, C, spec("/c"), keep_alive=600)
        await settle()
        clock.advance(20)
        wall.advance(20)
        models = scheduler.loaded()
        assert [m.model_key for m in models] == [B, C, A]
        b, c, a = models
        assert b.expires_at == pytest.approx(wall.now + FOREVER_SECONDS)
        assert c.expires_at == pytest.approx(wall.now + 600) and c.in_use == 1
        assert a.expires_at == pytest.approx(wall.now + 40)
        assert (a.info, a.spec, a.size, a.context_length) == (
            info,
            spec("/a", n_ctx=8192, n_parallel=2),
            123,
            4096,
        )
        assert a.state == "ready" and a.in_use == 0
        assert b.info == {}
        await busy.finish()
        assert len(starter.runners) == 3

    run(body)


def test_loaded_reports_resident_memory_and_loading_runners() -> None:
    async def body() -> None:
        wall = FakeClock(1_700_000_000.0)
        scheduler, starter = make(FakeStarter(rss=5 * GiB), wall_clock=wall)
        gate = starter.hold()
        loading = Holder(scheduler, A, spec())
        await settle()
        [model] = scheduler.loaded()
        assert (model.state, model.size) == ("loading", GiB)  # the estimate until it runs
        assert model.expires_at == pytest.approx(wall.now + 300)
        gate.set()
        await settle()
        [model] = scheduler.loaded()
        assert (model.state, model.size) == ("ready", 5 * GiB)
        await loading.finish()

    run(body)


def test_shutdown_closes_every_runner() -> None:
    async def body() -> None:
        scheduler, starter = make()
        idle = await use(scheduler, A, spec("/a"))
        busy = Holder(scheduler, B, spec("/b"))
        await settle()
        gate = starter.hold()
        loading = Holder(scheduler, C, spec("/c"))
        await settle()
        await scheduler.shutdown()
        assert idle.closed and busy.runner.closed
        with pytest.raises(EngineError, match="shutting down"):
            await loading.task
        assert scheduler.loaded() == []
        with pytest.raises(EngineError, match="shutting down"):
            await use(scheduler)
        assert await scheduler.ready() is False
        gate.set()
        await busy.finish()  # releasing after shutdown is harmless

    run(body)


def test_ready_is_a_round_trip() -> None:
    async def body() -> None:
        scheduler, _ = make()
        assert await scheduler.ready() is True
        await use(scheduler)
        assert await scheduler.ready() is True

    run(body)


def test_ready_reports_a_wedged_lock() -> None:
    async def body() -> None:
        scheduler, _ = make()
        async with scheduler._lock:
            assert await scheduler.ready(timeout=0.01) is False

    run(body)


def test_lease_context_cannot_be_reentered() -> None:
    async def body() -> None:
        scheduler, _ = make()
        context = scheduler.acquire(A, spec())
        async with context:
            pass
        with pytest.raises(RuntimeError):
            async with context:
                pass  # pragma: no cover

    run(body)


def test_release_is_idempotent() -> None:
    async def body() -> None:
        scheduler, _ = make()
        async with scheduler.acquire(A, spec()) as lease:
            lease.release()
        lease.release()
        [model] = scheduler.loaded()
        assert model.in_use == 0

    run(body)


def test_no_slot_leaks_under_churn() -> None:
    """Many requests, some cancelled at random points: every slot and queue place comes back."""

    async def body() -> None:
        rng = random.Random(7)
        scheduler, starter = make(max_queue=40, default_keep_alive=math.inf)
        served = busy = 0

        async def request(i: int) -> None:
            nonlocal served, busy
            try:
                async with scheduler.acquire(A, spec(n_parallel=3)) as lease:
                    async for _ in lease.runner.completion({"prompt": str(i)}):
                        pass
                    served += 1
            except ServerBusy:
                busy += 1

        tasks = [asyncio.create_task(request(i)) for i in range(100)]
        for _ in range(30):
            await asyncio.sleep(0)
            rng.choice(tasks).cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        cancelled = sum(isinstance(r, asyncio.CancelledError) for r in results)
        assert served + busy + cancelled == 100 and busy > 0 and served > 0
        assert scheduler.queued == 0
        [model] = scheduler.loaded()
        assert model.in_use == 0
        assert starter.calls == 1

    run(body)


def test_system_available_memory(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       16000000 kB\nMemAvailable:    8000000 kB\n")
    assert system_available_memory(str(meminfo)) == 8_000_000 * 1024
    assert system_available_memory(str(tmp_path / "missing")) == sys.maxsize


def test_file_size_estimate(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"\0" * 1000)
    assert file_size_estimate(RunnerSpec(model=str(model))) == 1200
    assert file_size_estimate(RunnerSpec(model=str(tmp_path / "missing"))) == 0
