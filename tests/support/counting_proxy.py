"""A TCP proxy on 127.0.0.1 that counts, and can slow down, what a server sends back.

:class:`CountingProxy` sits in front of a registry so that an end-to-end test can tell how many
bytes a ``pollama serve`` process really fetched (:attr:`CountingProxy.relayed`: every byte relayed
from the upstream server to clients, HTTP headers included) and can make a download last long
enough to interrupt it (:attr:`CountingProxy.rate`: bytes per second over all connections;
:attr:`CountingProxy.connection_rate`: bytes per second for each connection, as a server far
away or a CDN that caps connections would send).
It speaks no HTTP, so it works with any server and never changes what passes through.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

_CHUNK = 64 << 10


class CountingProxy:
    """Relays connections to ``127.0.0.1:upstream_port``; start with :meth:`start`."""

    def __init__(
        self, upstream_port: int, rate: float | None = None, connection_rate: float | None = None
    ) -> None:
        self.upstream_port = upstream_port
        self.rate = rate  # bytes per second for all connections together; None: no limit
        self.connection_rate = connection_rate  # bytes per second per connection; None: no limit
        self.relayed = 0
        self._lock = threading.Lock()
        self._next_slot = 0.0  # when the rate limit lets the next chunk go
        self._sockets: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._closed = threading.Event()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> CountingProxy:
        threading.Thread(target=self._accept_loop, name="proxy-accept", daemon=True).start()
        return self

    def reset(self) -> int:
        """Zero the byte count; returns what it was."""
        with self._lock:
            relayed, self.relayed = self.relayed, 0
            return relayed

    def stop(self) -> None:
        """Stop accepting and cut every open connection."""
        self._closed.set()
        _close(self._listener)  # the shutdown wakes the thread blocked in accept()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _close(sock)

    # -- relaying --------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, counted: bool) -> None:
        """Copy ``source`` to ``target`` until either side ends, then close both."""
        next_slot = time.monotonic()  # when this connection's own limit lets the next chunk go
        try:
            while chunk := source.recv(_CHUNK):
                if counted:
                    self._throttle(len(chunk))
                    if self.connection_rate:
                        next_slot = (
                            max(next_slot, time.monotonic()) + len(chunk) / self.connection_rate
                        )
                        time.sleep(max(0.0, next_slot - time.monotonic()))
                target.sendall(chunk)
                if counted:
                    with self._lock:
                        self.relayed += len(chunk)
        except OSError:
            pass  # a side went away (a killed client, a stopped proxy): the copy simply ends
        finally:
            for sock in (source, target):
                _close(sock)
                with self._lock:
                    self._sockets.discard(sock)

    def _throttle(self, size: int) -> None:
        """Sleep until ``size`` more bytes fit the rate limit shared by all connections."""
        rate = self.rate
        if not rate:
            return
        with self._lock:
            now = time.monotonic()
            wake = max(now, self._next_slot) + size / rate
            self._next_slot = wake
        time.sleep(wake - now)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


__all__ = ["CountingProxy"]
