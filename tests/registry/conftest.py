"""Fixtures for registry tests: a loopback-only HTTP client, fake and real registries, a store,
and options that make retries, stalls and parts small enough for tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from pollama.names import ModelName
from pollama.registry import DownloadOptions, RegistryClient, RetryPolicy, UploadOptions
from pollama.store import Store
from tests.registry.helpers import LoopbackOnly, Sleeps
from tests.support.fake_registry import FakeRegistry, Faults
from tests.support.real_registry import RealRegistry, running_registry


@pytest.fixture
def transport() -> LoopbackOnly:
    return LoopbackOnly()


@pytest.fixture
def http(transport: LoopbackOnly) -> Iterator[httpx.Client]:
    with httpx.Client(transport=transport, trust_env=False, timeout=10.0) as client:
        yield client


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def retry(sleeps: Sleeps) -> RetryPolicy:
    return RetryPolicy(attempts=4, connect_attempts=2, sleep=sleeps)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")


@pytest.fixture
def small_parts() -> DownloadOptions:
    """Parts of 64 KiB to 128 KiB, short stalls, quick progress, every part at once (the
    ramp that starts with one connection has tests of its own)."""
    return DownloadOptions(
        ramp_window=0,
        min_part_size=64 << 10,
        max_part_size=128 << 10,
        stall_timeout=0.5,
        progress_interval=0.01,
        read_chunk=16 << 10,
        lock_poll=0.01,
    )


@pytest.fixture
def upload_parts() -> UploadOptions:
    return UploadOptions(min_part_size=64 << 10, max_part_size=128 << 10, progress_interval=0.01)


@pytest.fixture
def fake() -> Iterator[FakeRegistry]:
    registry = FakeRegistry(Faults()).start()
    yield registry
    registry.stop()


@pytest.fixture
def direct_bodies() -> bool:
    """Whether clients read blob ranges over bare connections; modules that test blob bodies
    override this with both values."""
    return True


@pytest.fixture
def connect(
    http: httpx.Client, retry: RetryPolicy, direct_bodies: bool
) -> Callable[[str], tuple[ModelName, RegistryClient]]:
    """``connect("127.0.0.1:port/ns/model:tag")`` -> the name and an insecure client for it."""

    def make(text: str) -> tuple[ModelName, RegistryClient]:
        name = ModelName.parse(text)
        return name, RegistryClient(
            http, name, insecure=True, retry=retry, direct_bodies=direct_bodies
        )

    return make


@pytest.fixture(scope="module")
def real_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealRegistry]:
    with running_registry(tmp_path_factory.mktemp("docker-registry")) as registry:
        yield registry
