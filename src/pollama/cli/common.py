"""What CLI commands share: a client of the configured server (started on demand), and output."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from pollama.api.client import Client, ConnectError
from pollama.config import HostURL, Settings

START_TIMEOUT = 30.0


def client(*, autostart: bool = True) -> Client:
    """A client of the server at ``OLLAMA_HOST``.

    When no server answers there and the address is on this machine, ``pollama serve`` is
    started in the background (its log goes to ``~/.ollama/logs/server.log``) and this waits
    until it answers; raises ConnectError when it cannot be reached or started.
    """
    settings = Settings.from_env()
    api = Client(settings.host.client_url)
    if not autostart or api.heartbeat():
        return api
    if not is_local(settings.host):
        raise ConnectError("could not connect to ollama server, run 'pollama serve' to start it")
    start_server(settings, api)
    return api


def is_local(host: HostURL) -> bool:
    return host.host in ("", "0.0.0.0", "::", "localhost") or host.is_loopback()


def start_server(settings: Settings, api: Client) -> None:
    """Start ``pollama serve`` detached from this process and wait until it answers."""
    log_path = settings.home / "logs" / "server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pollama", "serve"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # the server outlives this command, like a service
            env=os.environ.copy(),
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if api.heartbeat():
            return
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise ConnectError(f"could not start the pollama server; see {log_path}:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


__all__ = ["client", "is_local", "out", "start_server"]
