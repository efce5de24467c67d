"""The reference: xllamacpp driven directly, in-process, in a worker process of its own.

The worker (``python -m bench.engine``) loads one model with ``xllamacpp.Server`` and answers
JSON commands, one per line, with no HTTP in between: it is the ceiling pollama is measured
against. It runs in its own process so that it can stay loaded beside a pollama server (runs
alternate, which spreads machine noise evenly) and so that its memory is its own.

Protocol: stdin line 1 is an ``EngineConfig`` as JSON; the worker answers ``{"ready": true}``.
Then each command line ``{"op": ..., ...}`` gets one reply line (see ``_handle``). The worker
exits at stdin EOF. :class:`RawEngine` is the parent's handle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Load options, the same ones pollama's runner gets for the compared requests."""

    model: str
    n_ctx: int
    n_parallel: int
    n_threads: int
    n_batch: int = 512


class RawEngine:
    """A running worker; ``close()`` (or ``with``) ends it."""

    def __init__(self, config: EngineConfig, log: Path) -> None:
        """Start the worker and wait until the model is loaded; raises RuntimeError on failure."""
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.engine"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=Path(__file__).resolve().parent.parent,
        )
        reply = self._call(asdict(config))
        if not reply.get("ready"):
            raise RuntimeError(f"raw engine failed to load: {reply}; see {log}")

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """Stream one ``/completion``-style request: ``{wall, ttft, timings, text}`` (seconds)."""
        return self._call({"op": "complete", "body": body})

    def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        """Stream one chat completion (the engine applies the GGUF's template): as ``complete``."""
        return self._call({"op": "chat", "body": body})

    def concurrent(self, clients: int, body: dict[str, Any]) -> dict[str, Any]:
        """``clients`` simultaneous completions: ``{wall, tokens}``."""
        return self._call({"op": "concurrent", "clients": clients, "body": body})

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()

    def __enter__(self) -> RawEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("raw engine worker died")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"raw engine: {reply['error']}")
        return reply


# --- the worker side -------------------------------------------------------------------------


def _load(config: dict[str, Any]) -> Any:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = config["model"]
    params.n_ctx = config["n_ctx"]
    params.n_parallel = config["n_parallel"]
    params.n_batch = config["n_batch"]
    params.n_ubatch = min(config["n_batch"], 512)
    params.cpuparams.n_threads = config["n_threads"]
    params.cpuparams_batch.n_threads = config["n_threads"]
    params.cache_prompt = True
    params.fit_params = False  # as pollama's runner on a CPU-only machine: no second load pass
    return xllamacpp.Server(params)


def _text(chunk: dict[str, Any]) -> str:
    choices = chunk.get("choices") or [{}]
    choice = choices[0]
    delta = choice.get("delta") or {}
    return str(choice.get("text") or delta.get("content") or chunk.get("content") or "")


def _stream(handler: Any, body: dict[str, Any]) -> dict[str, Any]:
    """Run one streamed request through ``handler``; first-text time and the final timings."""
    pieces: list[str] = []
    first: list[float] = []
    timings: dict[str, Any] = {}
    started = time.perf_counter()

    def on_chunk(chunk: dict[str, Any]) -> bool:
        text = _text(chunk)
        if text and not first:
            first.append(time.perf_counter())
        pieces.append(text)
        timings.update(chunk.get("timings") or {})
        return False  # False: keep streaming

    handler({**body, "stream": True}, on_chunk)
    ended = time.perf_counter()
    ttft = (first[0] if first else ended) - started
    return {"wall": ended - started, "ttft": ttft, "timings": timings, "text": "".join(pieces)}


def _concurrent(server: Any, clients: int, body: dict[str, Any]) -> dict[str, Any]:
    counts: list[int] = []

    def one() -> None:
        reply = server.handle_completions({**body, "stream": False})
        counts.append(int(reply["timings"]["predicted_n"]))

    threads = [threading.Thread(target=one) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"wall": time.perf_counter() - started, "tokens": sum(counts)}


def _handle(server: Any, command: dict[str, Any]) -> dict[str, Any]:
    op = command.get("op")
    if op == "complete":
        return _stream(server.handle_completions, command["body"])
    if op == "chat":
        return _stream(server.handle_chat_completions, command["body"])
    if op == "concurrent":
        return _concurrent(server, int(command["clients"]), command["body"])
    return {"error": f"unknown op {op!r}"}


def _reply_channel() -> IO[str]:
    """Keep fd 1 for replies; native code that prints goes to stderr instead."""
    reply = os.fdopen(os.dup(1), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(2, 1)
    return reply


def main() -> int:
    reply = _reply_channel()
    try:
        server = _load(json.loads(sys.stdin.readline()))
    except Exception as exc:  # a load failure is the one reply
        reply.write(json.dumps({"error": repr(exc)}) + "\n")
        return 1
    reply.write(json.dumps({"ready": True}) + "\n")
    reply.flush()
    for line in sys.stdin:
        try:
            answer = _handle(server, json.loads(line))
        except Exception as exc:  # report, keep serving
            answer = {"error": repr(exc)}
        reply.write(json.dumps(answer) + "\n")
        reply.flush()
    os._exit(0)  # skip the engine's destructors, as pollama's runner does


if __name__ == "__main__":
    raise SystemExit(main())
