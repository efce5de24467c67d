"""A minimal HTTP/1.1 client for the one hot path: streaming ``/completion`` from a local runner.

A general client (httpx) spends about twice the CPU per streamed token of this one, which reads
the socket directly with one wake-up per token. It speaks just enough HTTP for llama.cpp's
server on loopback: one POST per connection (``Connection: close``), a status line and headers,
then a chunked (or close-delimited) body. Bad framing is an ``EngineError``; a connection that
ends early raises ``StreamClosed`` (an ``OSError``, like every socket failure here).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any
from urllib.parse import urlsplit

from pollama.errors import EngineError
from pollama.runner.protocol import error_from_response, sse_events

_MAX_HEAD = 64 * 1024
_MAX_ERROR_BODY = 1024 * 1024
_MAX_SIZE_LINE = 1024
_READ_SIZE = 64 * 1024
_CONNECT_TIMEOUT = 10.0


class StreamClosed(ConnectionError):
    """The server closed the connection before the response was complete."""


class ChunkedDecoder:
    """Incremental decoder of the HTTP/1.1 chunked transfer coding; ``done`` after the last chunk.

    ``feed`` returns the payload bytes completed so far and raises ``EngineError`` on bad framing.
    Trailers after the last chunk are ignored.
    """

    def __init__(self) -> None:
        self.done = False
        self._pending = b""  # the start of a chunk-size line
        self._data_left = 0
        self._crlf_left = 0

    def feed(self, data: bytes) -> bytes:
        buf = self._pending + data if self._pending else data
        pos, out = 0, []
        while pos < len(buf) and not self.done:
            if self._data_left:
                piece = buf[pos : pos + self._data_left]
                out.append(piece)
                pos += len(piece)
                self._data_left -= len(piece)
                self._crlf_left = 0 if self._data_left else 2
            elif self._crlf_left:
                skipped = min(self._crlf_left, len(buf) - pos)
                pos += skipped
                self._crlf_left -= skipped
            else:
                end = buf.find(b"\r\n", pos)
                if end < 0:
                    break
                self._start_chunk(buf[pos:end])
                pos = end + 2
        self._pending = b"" if self.done else buf[pos:]
        if len(self._pending) > _MAX_SIZE_LINE:
            raise _malformed()
        return b"".join(out)

    def _start_chunk(self, size_line: bytes) -> None:
        try:
            size = int(size_line.split(b";", 1)[0], 16)
        except ValueError:
            raise _malformed() from None
        if size < 0:
            raise _malformed()
        self._data_left = size
        self.done = size == 0


async def post_sse(
    base_url: str, path: str, body: bytes, key: str
) -> AsyncGenerator[dict[str, Any], None]:
    """POST JSON ``body`` to ``base_url + path`` and yield the SSE events of a 200 answer.

    Raises ``RunnerHTTPError`` for any other status. Closing the generator closes the connection
    at once, which is how llama.cpp learns that the client is gone and cancels the request.
    """
    url = urlsplit(base_url)
    if url.hostname is None or url.port is None:
        raise EngineError(f"bad runner address {base_url!r}")
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(url.hostname, url.port, limit=_MAX_HEAD), _CONNECT_TIMEOUT
    )
    try:
        writer.write(_request(url.netloc, path, body, key))
        status, headers = await _read_head(reader)
        chunked = "chunked" in headers.get("transfer-encoding", "")
        if status != 200:
            raise error_from_response(status, await _read_error_body(reader, headers, chunked))
        payload = _payload(reader, chunked)
        async with aclosing(payload), aclosing(sse_events(payload)) as events:
            async for event in events:
                yield event
    finally:
        writer.transport.abort()  # immediate: a cancelled stream must free its slot now


def _request(host: str, path: str, body: bytes, key: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nAccept: text/event-stream\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        raise StreamClosed("the model runner closed the connection without answering") from None
    except asyncio.LimitOverrunError:
        raise _malformed() from None
    status_line, *lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise _malformed()
    headers = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip().lower()
    return int(parts[1]), headers


async def _payload(reader: asyncio.StreamReader, chunked: bool) -> AsyncGenerator[bytes, None]:
    """The body's payload bytes as they arrive; ``StreamClosed`` if a chunked body is cut short."""
    decoder = ChunkedDecoder() if chunked else None
    while decoder is None or not decoder.done:
        data = await reader.read(_READ_SIZE)
        if not data:
            if decoder is None:
                return
            raise StreamClosed("the model runner closed the connection mid-stream")
        yield decoder.feed(data) if decoder is not None else data


async def _read_error_body(
    reader: asyncio.StreamReader, headers: dict[str, str], chunked: bool
) -> bytes:
    if not chunked and "content-length" in headers:
        length = headers["content-length"]
        if not length.isdigit():
            raise _malformed()
        try:
            return await reader.readexactly(min(int(length), _MAX_ERROR_BODY))
        except asyncio.IncompleteReadError as exc:
            return exc.partial
    body = b""
    async for data in _payload(reader, chunked):
        body += data
        if len(body) > _MAX_ERROR_BODY:
            break
    return body


def _malformed() -> EngineError:
    return EngineError("malformed HTTP response from the model runner")
