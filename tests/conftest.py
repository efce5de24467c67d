"""Shared fixtures: an isolated home and environment for every test, the real test model, and
real ``pollama serve`` processes on free loopback ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pollama.api.client import Client


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME and the store at temporary folders and clear every ``OLLAMA_*`` variable."""
    for key in list(os.environ):
        if key.startswith("OLLAMA_"):
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("OLLAMA_MODELS", str(home / ".ollama" / "models"))
    return home


def _test_model(variable: str) -> Path:
    """The GGUF file that scripts/test names in ``variable``; skips the test without it (fails
    under ``CI``, where scripts/test always fetches it)."""
    value = os.environ.get(variable)
    if not value or not Path(value).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{variable} is not set; run the tests through scripts/test")
        pytest.skip(f"{variable} is not set")
    return Path(value)


@pytest.fixture(scope="session")
def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct (Q4_1), fetched by scripts/test; required in CI."""
    return _test_model("POLLAMA_TEST_SMOLLM2")


@pytest.fixture(scope="session")
def nomic_path() -> Path:
    """nomic-embed-text v1.5 (F16), the embedding model, fetched by scripts/test; required in CI."""
    return _test_model("POLLAMA_TEST_NOMIC")


@pytest.fixture(scope="session")
def gemma3_path() -> Path:
    """gemma-3-270m (Q4_K_M, 253 MB), fetched by scripts/test; required in CI."""
    return _test_model("POLLAMA_TEST_GEMMA3")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """A ``pollama serve`` child process and how to reach it."""

    process: subprocess.Popen[bytes]
    url: str
    host: str
    models: Path
    log: Path

    @property
    def client(self) -> Client:
        return Client(self.url)

    def env(self) -> dict[str, str]:
        """The environment a CLI process needs to talk to this server."""
        return {**os.environ, "OLLAMA_HOST": self.host, "OLLAMA_MODELS": str(self.models)}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(models: Path, log: Path, extra_env: dict[str, str] | None = None) -> ServerProcess:
    port = free_port()
    host = f"127.0.0.1:{port}"
    env = {**os.environ, "OLLAMA_HOST": host, "OLLAMA_MODELS": str(models), **(extra_env or {})}
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "pollama", "serve"], env=env, stdout=log_file, stderr=log_file
        )
    server = ServerProcess(process, f"http://{host}", host, models, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        if server.client.heartbeat():
            return server
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"server did not start:\n{log.read_text()}")


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start real servers on free ports; all are stopped at the end of the test."""
    started: list[ServerProcess] = []

    def factory(models: Path | None = None, **extra_env: str) -> ServerProcess:
        server = start_server(
            models or tmp_path / "models", tmp_path / f"server{len(started)}.log", extra_env
        )
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory()
