"""Client commands start a local server when none answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pollama.api.client import Client
from pollama.cli.common import is_local
from pollama.config import parse_host
from tests.conftest import free_port


def servers_for(host: str) -> list[int]:
    """Process ids of `pollama serve` processes started with OLLAMA_HOST=host."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if b"serve" in cmdline and f"OLLAMA_HOST={host}".encode() in environ.split(b"\0"):
            found.append(int(entry))
    return found


@pytest.fixture
def host(isolated_env: Path) -> Iterator[str]:
    host = f"127.0.0.1:{free_port()}"
    yield host
    for pid in servers_for(host):
        os.kill(pid, signal.SIGTERM)


def test_list_starts_a_server_in_the_background(host: str, isolated_env: Path) -> None:
    env = {**os.environ, "OLLAMA_HOST": host}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pollama", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("NAME")
    assert time.monotonic() - started < 30
    assert Client(f"http://{host}").heartbeat()  # still serving after the command ended
    assert len(servers_for(host)) == 1
    log = isolated_env / ".ollama" / "logs" / "server.log"
    assert log.is_file()
    again = subprocess.run(
        [sys.executable, "-m", "pollama", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0 and len(servers_for(host)) == 1


@pytest.mark.parametrize(
    ("raw", "local"),
    [
        ("", True),
        ("127.0.0.1:5", True),
        ("localhost:5", True),
        ("0.0.0.0", True),
        ("[::1]:5", True),
        (":5", True),
        ("example.com", False),
        ("10.0.0.1", False),
        ("https://ollama.com", False),
    ],
)
def test_only_local_addresses_are_started(raw: str, local: bool) -> None:
    # Pure check: tests never send traffic to a non-loopback address.
    assert is_local(parse_host(raw)) is local
