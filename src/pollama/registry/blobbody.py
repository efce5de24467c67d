"""The body of a blob download: read through httpx, or over a bare HTTP/1.1 connection.

httpx reads a response body 64 KiB at a time through h11's event machinery. Once a registry is
fast, that costs more CPU than the transfer: a 253 MB blob from a registry on loopback took
0.68 s through httpx and 0.26 s read with ``recv_into`` into one reused buffer. So the bytes of a
blob range are fetched by :func:`open_direct`, which sends one ``GET`` on its own socket (TLS with
the caller's SSL context for https) and reads the body straight into the caller's buffer.

:func:`open_direct` takes only the answers it is for: ``200`` or ``206`` with a
``Content-Length`` and no transfer coding. For anything else (an error status, a challenge, a
redirect, a chunked body) and for a connection that cannot be made, it closes what it opened
and returns None; the caller then asks again through httpx, so that errors, challenges and
retries are handled, and read, the same on both paths. A body cut short raises
:class:`BodyInterrupted`.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from typing import Protocol

import httpx

_MAX_HEAD = 64 * 1024
_PLAIN_STATUSES = (200, 206)


class BodyInterrupted(ConnectionError):
    """The connection failed or ended before the whole body arrived (worth another attempt)."""


class BlobBody(Protocol):
    """A streaming answer to a blob ``GET``: its status and headers, then its raw bytes."""

    @property
    def response(self) -> httpx.Response:
        """The status line and headers (the body is read with :meth:`chunks`, never from here)."""
        ...

    def chunks(self, buffer: memoryview) -> Iterator[memoryview | bytes]:
        """The body's bytes as they arrive, at most ``len(buffer)`` at a time.

        A chunk may be a view into ``buffer``: use it before asking for the next one. Raises
        :class:`BodyInterrupted` (or an ``httpx.TransportError``) when the transfer breaks.
        """
        ...

    def close(self) -> None: ...


class HttpxBody:
    """A :class:`BlobBody` over a streamed httpx response (the general path)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    def chunks(self, buffer: memoryview) -> Iterator[memoryview | bytes]:
        yield from self.response.iter_raw(len(buffer))

    def close(self) -> None:
        self.response.close()


class DirectBody:
    """A :class:`BlobBody` read from a socket of its own; made by :func:`open_direct`."""

    def __init__(
        self, sock: socket.socket, response: httpx.Response, start: bytes, length: int
    ) -> None:
        self.response = response
        self._sock = sock
        self._start = start[:length]  # body bytes that came in with the head
        self._length = length

    def chunks(self, buffer: memoryview) -> Iterator[memoryview | bytes]:
        remaining = self._length
        if self._start:
            remaining -= len(self._start)
            yield self._start
        while remaining > 0:
            try:
                received = self._sock.recv_into(buffer, min(len(buffer), remaining))
            except OSError as err:  # timeouts, resets and TLS failures alike
                raise BodyInterrupted(f"reading the blob failed: {err}") from err
            if not received:
                raise BodyInterrupted(
                    f"the registry closed the connection {remaining} bytes before the end"
                )
            remaining -= received
            yield buffer[:received]

    def close(self) -> None:
        self._sock.close()


def open_direct(
    url: httpx.URL,
    headers: dict[str, str],
    *,
    ssl_context: ssl.SSLContext,
    connect_timeout: float,
    read_timeout: float,
) -> DirectBody | None:
    """``GET url`` with ``headers`` on a new connection; the body when it is a plain 200/206.

    None when the connection or the request fails, or the answer is anything else: the caller
    then makes the same request through httpx. ``read_timeout`` bounds every wait for data.
    """
    if url.scheme not in ("http", "https") or not url.host:
        return None
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        sock = socket.create_connection((url.host, port), timeout=connect_timeout)
    except OSError:
        return None
    try:
        if url.scheme == "https":
            sock = ssl_context.wrap_socket(sock, server_hostname=url.host)
        sock.settimeout(read_timeout)
        sock.sendall(_request(url, headers))
        head, start = _read_head(sock)
        response = _parse_head(url, head)
        length = _plain_length(response)
    except (OSError, ValueError):
        sock.close()
        return None
    if length is None:
        sock.close()
        return None
    return DirectBody(sock, response, start, length)


def _request(url: httpx.URL, headers: dict[str, str]) -> bytes:
    lines = [f"GET {url.raw_path.decode('ascii')} HTTP/1.1", f"Host: {url.netloc.decode('ascii')}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """The response head (without its blank line) and the body bytes read after it."""
    data = b""
    while (end := data.find(b"\r\n\r\n")) < 0:
        if len(data) > _MAX_HEAD:
            raise ValueError("response head too large")
        received = sock.recv(_MAX_HEAD)
        if not received:
            raise ValueError("connection closed before the response head")
        data += received
    return data[:end], data[end + 4 :]


def _parse_head(url: httpx.URL, head: bytes) -> httpx.Response:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    status = rest[:3]
    if not version.startswith("HTTP/1.") or not status.isdigit():
        raise ValueError("malformed status line")
    headers = []
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise ValueError("malformed header line")
        headers.append((name.strip(), value.strip()))
    return httpx.Response(int(status), headers=headers, request=httpx.Request("GET", url))


def _plain_length(response: httpx.Response) -> int | None:
    """The body length of a plain 200/206 answer; None for every answer left to httpx."""
    if response.status_code not in _PLAIN_STATUSES:
        return None
    if response.headers.get("transfer-encoding", "identity").strip().lower() != "identity":
        return None
    lengths = response.headers.get_list("content-length")
    if len(lengths) != 1 or not lengths[0].strip().isdigit():
        return None
    return int(lengths[0])


__all__ = ["BlobBody", "BodyInterrupted", "DirectBody", "HttpxBody", "open_direct"]
