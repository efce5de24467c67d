"""A small, fast-to-import client of Ollama's REST API (standard library only).

The CLI uses it for every command but ``serve``. HTTP errors and ``{"error": ...}`` stream lines
both become :class:`ResponseError`; a server that cannot be reached becomes
:class:`ConnectError`.
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Callable, Iterator
from typing import IO, Any
from urllib.parse import urlsplit

from pollama.errors import PollamaError

_CHUNK = 1 << 20


class ResponseError(PollamaError):
    """The server answered with an error; ``status_code`` is its HTTP status (or 200 mid-stream)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class ConnectError(PollamaError):
    """No server answered at the client's address."""


class Client:
    """One method per endpoint; streaming endpoints return iterators of JSON objects."""

    def __init__(self, base_url: str, timeout: float | None = None) -> None:
        parts = urlsplit(base_url)
        self.scheme = parts.scheme or "http"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout

    # -- transport ---------------------------------------------------------------------------
    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=self.timeout, blocksize=_CHUNK)

    def _send(
        self,
        method: str,
        path: str,
        body: bytes | IO[bytes] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        conn = self._connect()
        all_headers = {"Accept": "application/json", "User-Agent": "pollama"}
        all_headers.update(headers or {})
        try:
            conn.request(method, self.prefix + path, body=body, headers=all_headers)
            return conn, conn.getresponse()
        except (ConnectionRefusedError, OSError) as err:
            conn.close()
            raise ConnectError(
                "could not connect to ollama server, run 'pollama serve' to start it"
            ) from err

    def request(self, method: str, path: str, payload: Any = None) -> Any:
        """Send a JSON request and return the decoded JSON answer (None for an empty body)."""
        body = json.dumps(payload).encode() if payload is not None else None
        conn, resp = self._send(method, path, body, {"Content-Type": "application/json"})
        try:
            data = resp.read()
        finally:
            _close(conn, resp)
        _raise_for_status(resp.status, data)
        return json.loads(data) if data.strip() else None

    def stream(self, method: str, path: str, payload: Any) -> Iterator[dict[str, Any]]:
        """Send a JSON request and yield each NDJSON object of the answer as it arrives."""
        body = json.dumps(payload).encode()
        conn, resp = self._send(method, path, body, {"Content-Type": "application/json"})
        try:
            if resp.status >= 400:
                _raise_for_status(resp.status, resp.read())
            for line in resp:
                if not line.strip():
                    continue
                obj = json.loads(line)
                if isinstance(obj, dict) and "error" in obj:
                    raise ResponseError(str(obj["error"]), resp.status)
                yield obj
        finally:
            _close(conn, resp)

    # -- endpoints ---------------------------------------------------------------------------
    def heartbeat(self) -> bool:
        """Whether a server answers ``HEAD /``."""
        try:
            conn, resp = self._send("HEAD", "/")
        except ConnectError:
            return False
        _close(conn, resp)
        return resp.status == 200

    def version(self) -> str:
        return str(self.request("GET", "/api/version")["version"])

    def list(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", "/api/tags")
        return result

    def show(self, model: str, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", "/api/show", {"model": model, **fields})
        return result

    def copy(self, source: str, destination: str) -> None:
        self.request("POST", "/api/copy", {"source": source, "destination": destination})

    def delete(self, model: str) -> None:
        self.request("DELETE", "/api/delete", {"model": model})

    def ps(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", "/api/ps")
        return result

    def generate(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        return self.stream("POST", "/api/generate", request)

    def chat(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        return self.stream("POST", "/api/chat", request)

    def unload(self, model: str) -> None:
        """Ask the server to unload ``model`` now (generate with ``keep_alive: 0``)."""
        self.request("POST", "/api/generate", {"model": model, "keep_alive": 0})

    def pull(self, model: str, *, insecure: bool = False) -> Iterator[dict[str, Any]]:
        return self.stream("POST", "/api/pull", {"model": model, "insecure": insecure})

    def push(self, model: str, *, insecure: bool = False) -> Iterator[dict[str, Any]]:
        return self.stream("POST", "/api/push", {"model": model, "insecure": insecure})

    def create(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        return self.stream("POST", "/api/create", request)

    def has_blob(self, digest: str) -> bool:
        conn, resp = self._send("HEAD", f"/api/blobs/{digest}")
        _close(conn, resp)
        if resp.status in (200, 404):
            return resp.status == 200
        _raise_for_status(resp.status, b"")
        return False

    def upload_blob(
        self, digest: str, path: str, on_progress: Callable[[int], None] | None = None
    ) -> None:
        """Upload the file at ``path`` as blob ``digest``, reporting bytes sent."""
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            body = _CountingReader(f, on_progress)
            headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
            conn, resp = self._send("POST", f"/api/blobs/{digest}", body, headers)  # type: ignore[arg-type]
            try:
                data = resp.read()
            finally:
                _close(conn, resp)
        _raise_for_status(resp.status, data)


def _close(conn: http.client.HTTPConnection, resp: http.client.HTTPResponse) -> None:
    """Close both: a response keeps its own reference to the socket."""
    resp.close()
    conn.close()


class _CountingReader:
    """A file wrapper that reports how many bytes have been read from it."""

    def __init__(self, f: IO[bytes], on_progress: Callable[[int], None] | None) -> None:
        self._f = f
        self._on_progress = on_progress
        self._sent = 0

    def read(self, n: int = _CHUNK) -> bytes:
        data = self._f.read(n)
        self._sent += len(data)
        if self._on_progress is not None:
            self._on_progress(self._sent)
        return data


def _raise_for_status(status: int, data: bytes) -> None:
    if status < 400:
        return
    message = data.decode("utf-8", errors="replace").strip()
    try:
        obj = json.loads(data)
        if isinstance(obj, dict) and "error" in obj:
            message = str(obj["error"])
    except ValueError:
        pass
    raise ResponseError(message or f"{status} {http.client.responses.get(status, '')}", status)


__all__ = ["Client", "ConnectError", "ResponseError"]
