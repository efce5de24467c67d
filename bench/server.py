"""A real ``pollama serve`` process for benchmarks, and timed streaming requests to it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.procs import children


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(slots=True)
class Streamed:
    """One streamed request: client-side seconds to the first text and to the end, last line."""

    ttft: float
    wall: float
    final: dict[str, Any]
    text: str


class PollamaServer:
    """``python -m pollama serve`` on a free loopback port with its own store.

    ``stop()`` (or leaving a ``with`` block) ends it.
    """

    def __init__(self, models: Path, log: Path, **env: str) -> None:
        """Start the server and wait for it to answer; raises RuntimeError when it does not."""
        self.host = f"127.0.0.1:{free_port()}"
        self.url = f"http://{self.host}"
        self.models = models
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("OLLAMA_")},
            "OLLAMA_HOST": self.host,
            "OLLAMA_MODELS": str(models),
            "OLLAMA_KEEP_ALIVE": "30m",
            **env,
        }
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pollama", "serve"], env=self.env, stdout=out, stderr=out
            )
        self.http = httpx.Client(base_url=self.url, timeout=600, trust_env=False)
        self._wait(log)

    def _wait(self, log: Path) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pollama serve exited:\n{log.read_text()}")
            try:
                if self.http.get("/").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pollama serve did not start:\n{log.read_text()}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def runner_pids(self) -> list[int]:
        """The runner child processes (one per loaded model)."""
        return children(self.pid)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``pollama ARGS`` as a client of this server."""
        return subprocess.run(
            [sys.executable, "-m", "pollama", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
        )

    def create(self, name: str, gguf: Path, workdir: Path) -> None:
        """Import ``gguf`` as model ``name`` (``pollama create`` with ``FROM <file>``)."""
        modelfile = workdir / f"{name.replace(':', '_')}.Modelfile"
        modelfile.write_text(f"FROM {gguf}\n")
        self.cli("create", name, "-f", str(modelfile))

    def stream(
        self, path: str, body: dict[str, Any], client: httpx.Client | None = None
    ) -> Streamed:
        """POST a streamed request; raises RuntimeError on an error line."""
        http = client or self.http
        text: list[str] = []
        first = 0.0
        final: dict[str, Any] = {}
        started = time.perf_counter()
        with http.stream("POST", self.url + path, json={**body, "stream": True}) as resp:
            for line in resp.iter_lines():
                if not line:
                    continue
                event = json.loads(line)
                if "error" in event:
                    raise RuntimeError(f"{path}: {event['error']}")
                piece = event.get("response") or (event.get("message") or {}).get("content") or ""
                if piece and not first:
                    first = time.perf_counter()
                text.append(piece)
                if event.get("done"):
                    final = event
        ended = time.perf_counter()
        return Streamed((first or ended) - started, ended - started, final, "".join(text))

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> PollamaServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["PollamaServer", "Streamed", "free_port"]
