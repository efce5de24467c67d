"""Host-header and CORS checks, as one pure ASGI middleware (spec §3.1, security.md).

* When the server listens on loopback, a request whose Host is not a local name gets 403: this
  defeats DNS rebinding, where a web page on a foreign name reaches ``127.0.0.1``.
* A request with an ``Origin`` header is served only when the origin is allowed (Ollama's
  defaults plus ``OLLAMA_ORIGINS``); a disallowed origin gets 403. Preflight requests from
  allowed origins are answered here with 204.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_ORIGINS = (
    "http://localhost",
    "https://localhost",
    "http://localhost:*",
    "https://localhost:*",
    "http://127.0.0.1",
    "https://127.0.0.1",
    "http://127.0.0.1:*",
    "https://127.0.0.1:*",
    "http://0.0.0.0",
    "https://0.0.0.0",
    "http://0.0.0.0:*",
    "https://0.0.0.0:*",
    "app://*",
    "file://*",
    "tauri://*",
    "vscode-webview://*",
    "vscode-file://*",
)
ALLOWED_HEADERS = ", ".join(
    [
        "Authorization",
        "Content-Type",
        "User-Agent",
        "Accept",
        "X-Requested-With",
        "OpenAI-Beta",
        *(
            f"x-stainless-{h}"
            for h in (
                "arch async custom-poll-interval helper-method lang os package-version "
                "poll-helper retry-count runtime runtime-version timeout"
            ).split()
        ),
    ]
)
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"


def is_local_host(host: str) -> bool:
    """Whether a Host header value (port included or not) names this machine."""
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    host = host.lower()
    if host in ("", "localhost", socket.gethostname().lower()):
        return True
    if host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_unspecified


def origin_allowed(origin: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(origin, pattern) for pattern in patterns)


class GuardMiddleware:
    """Applies the Host check (on loopback listeners) and CORS to every HTTP request."""

    def __init__(self, app: ASGIApp, *, check_host: bool, origins: Iterable[str]) -> None:
        self.app = app
        self.check_host = check_host
        self.origins = (*DEFAULT_ORIGINS, *origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if self.check_host and not is_local_host(headers.get("host", "")):
            await _plain(send, 403)
            return
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if not origin_allowed(origin, self.origins):
            await _plain(send, 403)
            return
        cors = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"vary", b"Origin"),
        ]
        if scope["method"] == "OPTIONS":
            cors += [
                (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
                (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
                (b"access-control-max-age", b"43200"),
            ]
            await _plain(send, 204, cors)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        await self.app(scope, receive, send_with_cors)


async def _plain(send: Send, status: int, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers or []})
    await send({"type": "http.response.body", "body": b""})


__all__ = ["GuardMiddleware", "is_local_host", "origin_allowed"]
