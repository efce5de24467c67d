"""A download starts with one connection and adds more only while they raise the rate."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pollama.names import ModelName
from pollama.registry import (
    BlobDownload,
    DownloadOptions,
    RegistryClient,
    RetryPolicy,
    UploadOptions,
    publish_blob,
    push_to_registry,
)
from pollama.registry.ramp import ConnectionRamp, WorkQueue, fetch_ramped
from pollama.store import Layer, Store
from tests.registry.helpers import make_model
from tests.support.counting_proxy import CountingProxy
from tests.support.real_registry import RealRegistry

# -- the decision -------------------------------------------------------------------------------


def test_the_first_window_always_tries_a_second_connection() -> None:
    ramp = ConnectionRamp(4, window=1.0, gain=1.2, now=0.0)
    assert (ramp.target, ramp.settled, ramp.next_look()) == (1, False, 1.0)
    assert ramp.observe(0.5, 10) == 1  # before the window ends nothing changes
    assert ramp.observe(1.0, 100) == 2
    assert ramp.next_look() == 2.0


def test_connections_are_added_while_each_raises_the_rate_by_the_gain() -> None:
    ramp = ConnectionRamp(4, window=1.0, gain=1.2, now=0.0)
    ramp.observe(1.0, 100)  # 100 B/s with one
    assert ramp.observe(2.0, 300) == 3  # 200 B/s with two: worth a third
    assert ramp.observe(3.0, 550) == 4  # 250 B/s with three: 1.25x, still worth it
    assert ramp.observe(4.0, 900) == 4 and ramp.settled  # the limit


def test_an_addition_that_does_not_pay_is_taken_back_for_good() -> None:
    ramp = ConnectionRamp(4, window=1.0, gain=1.2, now=0.0)
    ramp.observe(1.0, 100)
    assert ramp.observe(2.0, 210) == 1  # 110 B/s with two against 100 with one
    assert ramp.settled
    assert ramp.observe(10.0, 10_000) == 1


def test_bytes_already_there_do_not_count_as_rate() -> None:
    ramp = ConnectionRamp(4, window=1.0, gain=1.2, now=0.0, completed=1_000_000)  # a resume
    ramp.observe(1.0, 1_000_100)  # 100 B/s with one
    assert ramp.observe(2.0, 1_000_300) == 3  # 200 B/s with two: the second paid off


def test_a_window_of_zero_opens_every_connection_at_once() -> None:
    ramp = ConnectionRamp(3, window=0.0, gain=1.2, now=0.0)
    assert (ramp.target, ramp.settled) == (3, True)
    single = ConnectionRamp(1, window=1.0, gain=1.2, now=0.0)
    assert (single.target, single.settled) == (1, True)


@pytest.mark.parametrize(
    ("limit", "window", "gain"), [(0, 1.0, 1.2), (2, -1.0, 1.2), (2, 1.0, 0.9)]
)
def test_impossible_ramps_are_refused(limit: int, window: float, gain: float) -> None:
    with pytest.raises(ValueError):
        ConnectionRamp(limit, window=window, gain=gain, now=0.0)


# -- the threads --------------------------------------------------------------------------------


def _never_follows(_a: int, _b: int) -> bool:
    return False


def _next_number(a: int, b: int) -> bool:
    return b == a + 1


def test_a_queue_hands_on_only_what_follows() -> None:
    queue = WorkQueue([1, 2, 3, 5, 6], _next_number)
    assert queue.take() == 1
    assert queue.run_after(1) == [2, 3]  # 5 does not follow 3
    assert queue.take_after(1) == 2
    assert queue.take_after(1) is None  # 3 does not follow 1: nothing is taken
    assert queue.run_after(4) == [] and queue.take() == 3
    assert queue.take_after(4) == 5 and queue.take_after(5) == 6
    assert not queue and queue.take() is None


def _all_at_once(limit: int) -> ConnectionRamp:
    return ConnectionRamp(limit, window=0.0, gain=1.0, now=time.monotonic())


def test_every_item_is_worked_once_in_order_by_up_to_the_target_threads() -> None:
    lock = threading.Lock()
    taken: list[int] = []
    barrier = threading.Barrier(3, timeout=5)

    def work(item: int) -> None:
        with lock:
            taken.append(item)
        if item < 3:
            barrier.wait()  # the first three only finish together: three threads ran at once

    peak = fetch_ramped(
        WorkQueue(list(range(10)), _never_follows),
        work,
        ramp=_all_at_once(3),
        completed=lambda: len(taken),
        monotonic=time.monotonic,
        halt=threading.Event(),
    )
    assert peak == 3
    assert sorted(taken) == list(range(10)) and set(taken[:3]) == {0, 1, 2}


def test_a_failure_halts_the_others_and_is_raised() -> None:
    halt = threading.Event()
    started: list[int] = []

    def work(item: int) -> None:
        started.append(item)
        if item == 1:
            raise OSError("disk full")
        halt.wait(5)  # as a transfer that notices the halt between reads

    with pytest.raises(OSError, match="disk full"):
        fetch_ramped(
            WorkQueue(list(range(8)), _never_follows),
            work,
            ramp=_all_at_once(2),
            completed=lambda: 0,
            monotonic=time.monotonic,
            halt=halt,
        )
    assert halt.is_set() and sorted(started) == [0, 1]


def test_one_thread_works_alone_until_a_window_has_been_measured() -> None:
    seen: set[str] = set()

    def work(_item: int) -> None:
        seen.add(threading.current_thread().name + str(threading.get_ident()))

    peak = fetch_ramped(
        WorkQueue(list(range(20)), _never_follows),
        work,
        ramp=ConnectionRamp(4, window=60.0, gain=1.2, now=time.monotonic()),
        completed=lambda: 0,
        monotonic=time.monotonic,
        halt=threading.Event(),
    )
    assert peak == 1 and len(seen) == 1


# -- against a real registry --------------------------------------------------------------------

SIZE = 3_000_000
RAMPING = DownloadOptions(
    min_part_size=200_000,
    max_part_size=200_000,
    ramp_window=0.3,
    ramp_gain=1.3,
    read_chunk=64 << 10,
    progress_interval=0.01,
)


@pytest.fixture(scope="module")
def pushed(
    real_registry: RealRegistry, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Layer, bytes]:
    """A model of ``SIZE`` bytes in the real registry; its weights layer and their bytes."""
    store = Store(tmp_path_factory.mktemp("ramp-source"))
    name = ModelName.parse(f"{real_registry.host}/ns/ramp:v1")
    manifest = make_model(store, name, size=SIZE, seed=13)
    with httpx.Client(trust_env=False, timeout=10.0) as http:
        client = RegistryClient(http, name, insecure=True)
        list(push_to_registry(store, name, client, options=UploadOptions()))
    weights = max(manifest.layers, key=lambda layer: layer.size)
    return weights, store.blob_path(weights.digest).read_bytes()


@pytest.fixture
def proxy(real_registry: RealRegistry) -> Iterator[CountingProxy]:
    proxy = CountingProxy(real_registry.port).start()
    yield proxy
    proxy.stop()


def _download_through(
    proxy: CountingProxy, http: httpx.Client, retry: RetryPolicy, store: Store, layer: Layer
) -> BlobDownload:
    name = ModelName.parse(f"{proxy.host}/ns/ramp:v1")
    download = BlobDownload(
        store, RegistryClient(http, name, insecure=True, retry=retry), layer, RAMPING
    )
    for _ in download.run():
        pass
    publish_blob(store, layer, digest_seen=download.digest_seen)
    return download


def test_connections_capped_one_by_one_are_added_up(
    pushed: tuple[Layer, bytes],
    proxy: CountingProxy,
    http: httpx.Client,
    retry: RetryPolicy,
    tmp_path: Path,
) -> None:
    layer, data = pushed
    proxy.connection_rate = 1_500_000  # one connection alone would take 2 s
    store = Store(tmp_path / "store")
    download = _download_through(proxy, http, retry, store, layer)
    assert download.peak_connections >= 3
    assert download.digest_seen == layer.digest
    assert store.blob_path(layer.digest).read_bytes() == data


def test_a_link_that_more_connections_cannot_widen_keeps_one(
    pushed: tuple[Layer, bytes],
    proxy: CountingProxy,
    http: httpx.Client,
    retry: RetryPolicy,
    tmp_path: Path,
) -> None:
    layer, data = pushed
    proxy.rate = 3_000_000  # shared by every connection
    store = Store(tmp_path / "store")
    download = _download_through(proxy, http, retry, store, layer)
    assert download.peak_connections == 2  # a second was tried, no third
    assert store.blob_path(layer.digest).read_bytes() == data
