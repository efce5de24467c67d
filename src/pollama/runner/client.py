"""The parent's handle to one runner child process (``python -m pollama.runner``).

``Runner.start`` spawns the child in its own process group, hands it a ``RunnerSpec`` and a random
API key, and waits until llama.cpp's ``/health`` says the model is loaded. Every other method is one
HTTP call to that server on 127.0.0.1. Failures surface as ``EngineError``: the child's stderr tail
explains load failures and deaths; ``RunnerHTTPError`` carries the status of a refused request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import sys
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import httpx

from pollama.errors import EngineError
from pollama.runner.child import KEY_ENV
from pollama.runner.logtail import StderrTail
from pollama.runner.protocol import error_from_response
from pollama.runner.spec import RunnerSpec
from pollama.runner.stream import post_sse

STOPPED = (
    "model runner has unexpectedly stopped, this may be due to resource limitations or an "
    "internal error, check ollama server logs for details"
)
_log = logging.getLogger("pollama.runner")
_STOP_GRACE = 5.0  # seconds a runner gets to exit on its own once its stdin is closed
_PROBE_TIMEOUT = 10.0  # /health, /tokenize, /detokenize: a healthy runner answers at once
_HEALTH_POLL = 0.05


class Runner:
    """A running ``python -m pollama.runner`` child and an HTTP client for its llama.cpp server.

    Create with ``await Runner.start(spec)``; always ``await runner.close()``. Methods may be called
    concurrently from one event loop: llama.cpp batches up to ``spec.n_parallel`` completions.
    """

    def __init__(self, proc: asyncio.subprocess.Process, key: str) -> None:
        """Wrap a freshly spawned child; use ``start``, which also performs the handshake."""
        self._proc = proc
        self._address = ""
        self._key = key
        self._tail = StderrTail()
        self._reader = asyncio.create_task(_pump_stderr(proc, self._tail))
        self._closing: asyncio.Future[None] | None = None
        self._http = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"},
            timeout=httpx.Timeout(None, connect=_PROBE_TIMEOUT),
            # Expire idle connections well before llama.cpp's 5 s keep-alive timeout closes them.
            limits=httpx.Limits(max_keepalive_connections=32, keepalive_expiry=2.0),
            trust_env=False,  # a proxy from the environment must never see loopback traffic
        )

    @classmethod
    async def start(
        cls, spec: RunnerSpec, *, load_timeout: float = 300.0, python: str = sys.executable
    ) -> Runner:
        """Spawn a runner for ``spec`` and return it once the model is loaded and healthy.

        Raises ``EngineError`` when the child cannot start, reports a load error, dies, or is not
        ready within ``load_timeout`` seconds; the child is gone by then. Cancellation kills it too.
        On Linux the child dies with the *thread* that calls this (``PR_SET_PDEATHSIG``): call it
        from the event loop's long-lived thread.
        """
        key = secrets.token_urlsafe(32)
        try:
            proc = await asyncio.create_subprocess_exec(
                python, "-m", "pollama.runner",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # own process group: close() can kill all of it
                env={**os.environ, KEY_ENV: key},
            )  # fmt: skip
        except OSError as exc:
            raise EngineError(f"cannot start the model runner: {exc}") from exc
        runner = cls(proc, key)
        try:
            async with asyncio.timeout(load_timeout):
                await runner._handshake(spec)
        except TimeoutError:
            await runner.close()
            raise EngineError(
                f"timed out waiting for llama runner to start after {load_timeout:g}s"
                + _suffix(runner._tail.last_error())
            ) from None
        except BaseException:
            await runner.close()
            raise
        return runner

    @property
    def alive(self) -> bool:
        """False once the child process has exited (for any reason)."""
        return self._proc.returncode is None

    @property
    def pid(self) -> int:
        """The child's process id, which is also its process group id."""
        return self._proc.pid

    @property
    def address(self) -> str:
        """The base URL of the child's llama.cpp server, ``http://127.0.0.1:PORT``."""
        return self._address

    def stderr_tail(self) -> list[str]:
        """The last (up to 50) lines the child wrote to stderr, oldest first."""
        return self._tail.lines()

    def memory_rss(self) -> int:
        """The child's resident set size in bytes, from /proc; 0 when unknown or exited."""
        try:
            with open(f"/proc/{self.pid}/status", encoding="ascii", errors="replace") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
        return 0

    async def completion(self, body: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        """Stream llama.cpp's ``/completion`` for ``body`` (``stream`` is forced on).

        Yields each event dict as it arrives: ``content``, ``tokens``, ``stop``; the last one has
        ``stop: true``, ``stop_type`` (``eos``, ``word``, ``limit``), ``timings`` and more.
        Stopping early (``aclose()``, ``break`` under ``aclosing``, cancellation) closes the
        connection, which makes llama.cpp cancel the request and free its slot. Raises
        ``RunnerHTTPError`` when llama.cpp refuses the request, ``EngineError`` when the runner
        dies.
        """
        payload = json.dumps({**body, "stream": True}).encode()
        stream = post_sse(self._address, "/completion", payload, self._key)
        try:
            async with contextlib.aclosing(stream) as events:
                async for event in events:
                    yield event
        except OSError as exc:  # refused, reset or cut short: find out whether the runner died
            raise await self._connection_error(exc) from exc

    async def tokenize(self, text: str, *, add_special: bool = False) -> list[int]:
        """Token ids of ``text``; special-token text such as ``<|im_end|>`` maps to its token.

        ``add_special`` adds the model's BOS/EOS markers as a fresh prompt would get them.
        """
        body = {"content": text, "add_special": add_special, "parse_special": True}
        reply = await self._post("/tokenize", body, _PROBE_TIMEOUT)
        return [int(token) for token in _field(reply, "tokens", list)]

    async def detokenize(self, tokens: Sequence[int]) -> str:
        """The text of ``tokens``."""
        reply = await self._post("/detokenize", {"tokens": list(tokens)}, _PROBE_TIMEOUT)
        return str(_field(reply, "content", str))

    async def embed(self, inputs: list[str]) -> list[list[float]]:
        """One pooled, unnormalised vector per input, in order (runner started with embedding).

        Raises ``RunnerHTTPError`` (501) on a runner without embeddings, and ``EngineError`` when
        the model has no pooling and returns one vector per token instead.
        """
        if not inputs:
            return []
        body = {"content": inputs, "embd_normalize": -1}
        reply = await self._post("/embedding", body, None)
        if not isinstance(reply, list) or len(reply) != len(inputs):
            raise EngineError("malformed embedding reply from the model runner")
        return [_pooled(item) for item in sorted(reply, key=_index)]

    async def health(self) -> bool:
        """True when the runner is alive and ``/health`` answers 200 within 10 s."""
        if not self.alive:
            return False
        try:
            resp = await self._http.get(self._url("/health"), timeout=_PROBE_TIMEOUT)
        except httpx.HTTPError:
            return False
        return resp.status_code == 200

    async def close(self) -> None:
        """Stop the runner: close its stdin, wait up to 5 s, then SIGKILL its process group.

        Idempotent and safe to call concurrently; finishes even if the caller is cancelled.
        """
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._shutdown())
        await asyncio.shield(self._closing)

    async def _shutdown(self) -> None:
        await self._http.aclose()
        stdin = self._proc.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        if not await self._exited(within=_STOP_GRACE):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            await self._proc.wait()
        await self._reader

    async def _handshake(self, spec: RunnerSpec) -> None:
        """Send the spec, read the address line, then poll ``/health`` until the model is ready."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(spec.to_json().encode() + b"\n")
        with contextlib.suppress(ConnectionError):  # a child that died early: reported below
            await self._proc.stdin.drain()
        reply = _parse_reply(await self._proc.stdout.readline())
        address = reply.get("address")
        if not isinstance(address, str) or not address.startswith("http://127.0.0.1:"):
            raise await self._load_error(reply.get("error"))
        self._address = address
        while not await self.health():
            if not self.alive:
                raise await self._load_error(None)
            await asyncio.sleep(_HEALTH_POLL)

    async def _post(self, path: str, body: dict[str, Any], timeout: float | None) -> Any:
        try:
            resp = await self._http.post(self._url(path), json=body, timeout=timeout)
        except httpx.TransportError as exc:
            raise await self._connection_error(exc) from exc
        if resp.status_code != 200:
            raise error_from_response(resp.status_code, resp.content)
        try:
            return resp.json()
        except ValueError:
            raise EngineError(f"malformed reply from the model runner to {path}") from None

    def _url(self, path: str) -> str:
        return self._address + path

    async def _load_error(self, reason: Any) -> EngineError:
        """The error for a child that failed to load: the first error it logged, else ``reason``."""
        await self._exited(within=_STOP_GRACE)
        await self._drained()
        detail = self._tail.first_error() or (str(reason) if reason else None)
        return EngineError(f"llama runner process has terminated: {detail or self._exit_status()}")

    async def _connection_error(self, exc: Exception) -> EngineError:
        """The error for a broken HTTP exchange: a dead runner, an unload, or a lost connection."""
        if self._closing is not None:
            return EngineError("the model runner was stopped while serving the request")
        if await self._exited(within=2.0):
            await self._drained()
            return EngineError(f"{STOPPED}: {self._tail.last_error() or self._exit_status()}")
        return EngineError(f"lost connection to the model runner: {exc!r}")

    def _exit_status(self) -> str:
        code = self._proc.returncode
        if code is not None and code < 0:
            return f"killed by {_signal_name(-code)}"
        return f"exit status {code}"

    async def _exited(self, *, within: float) -> bool:
        try:
            await asyncio.wait_for(self._proc.wait(), within)
        except TimeoutError:
            return False
        return True

    async def _drained(self) -> None:
        """Give the stderr reader a moment to take in a dead child's last lines."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._reader), 1.0)


async def _pump_stderr(proc: asyncio.subprocess.Process, tail: StderrTail) -> None:
    """Read the child's stderr to EOF into ``tail`` (and the debug log); never raises."""
    assert proc.stderr is not None
    try:
        while chunk := await proc.stderr.read(65536):
            for line in tail.feed(chunk):
                _log.debug("runner %d: %s", proc.pid, line)
        tail.feed(b"")
    except Exception:  # a broken reader must not take the runner down with it
        _log.exception("reading stderr of runner %d failed", proc.pid)


def _parse_reply(line: bytes) -> dict[str, Any]:
    """The child's one-line JSON reply; ``{}`` for EOF or garbage (the stderr tail explains)."""
    try:
        reply = json.loads(line) if line.strip() else {}
    except ValueError:
        return {}
    return reply if isinstance(reply, dict) else {}


def _field(reply: Any, name: str, kind: type) -> Any:
    value = reply.get(name) if isinstance(reply, dict) else None
    if not isinstance(value, kind):
        raise EngineError(f"malformed reply from the model runner: no {name!r}")
    return value


def _index(item: Any) -> int:
    index = item.get("index") if isinstance(item, dict) else None
    return index if isinstance(index, int) else 0


def _pooled(item: Any) -> list[float]:
    """The single pooled vector of one ``/embedding`` result."""
    rows = _field(item, "embedding", list)
    if rows and isinstance(rows[0], list):
        if len(rows) != 1:
            raise EngineError(
                "the model returned per-token embeddings: load it with a pooling type"
            )
        rows = rows[0]
    return [float(value) for value in rows]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _suffix(detail: str | None) -> str:
    return f": {detail}" if detail else ""
