"""A small OCI registry on 127.0.0.1 that can misbehave on purpose.

:class:`FakeRegistry` is a real HTTP server (``ThreadingHTTPServer`` in a thread) serving manifests
and blobs from dicts, taking uploads, and issuing tokens. :class:`Faults` switches on the answers a
real registry never gives: wrong bytes, truncated, endless or stalled bodies, 500s or 429s before
success, ``200`` instead of ``206``, redirects, a foreign auth realm, a gzip bomb for a manifest.
Every request is recorded in :attr:`FakeRegistry.hits` with the body bytes sent, so tests can
count what a download really fetched.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
TOKEN = "fake-token"
_CHUNK = 16 << 10
_ENDLESS_CAP = 256 << 20


@dataclass
class Faults:
    """What to do wrong; every field off by default."""

    wrong_bytes: set[str] = field(default_factory=set)  # digests served with every byte flipped
    truncate_at: int | None = None  # blob bodies promise their length but stop after N bytes
    endless: bool = False  # blob bodies have no length and never end
    stall_after: int | None = None  # blob bodies send N bytes, then go silent
    errors_first: int = 0  # answer this many requests with ``error_status`` first
    error_status: int = 500
    retry_after: str | None = None  # sent with those error answers
    auth_realm: str | None = None  # require a Bearer token; challenge with this realm
    reject_tokens: bool = False  # issue tokens, but never accept one
    basic: str | None = None  # require this Basic Authorization value instead
    gzip_bomb: bool = False  # the manifest is a small gzip body that inflates to 64 MiB
    ignore_range: bool = False  # answer 200 with the whole blob to range requests
    redirect_to: str | None = None  # blob GETs answer 307 to this URL (+ the digest)
    byte_budget: int | None = None  # after this many blob bytes in all, cut every blob body
    head_size_delta: int = 0  # HEAD reports the blob size plus this
    compressed_blob: bool = False  # blob bodies carry Content-Encoding: gzip
    throttle: float = 0.0  # seconds to sleep after each 16 KiB of blob body
    redirect_uploads: str | None = None  # PATCH answers 307 to <this>/presigned/<id>


@dataclass
class Hit:
    """One request as the fake saw it."""

    method: str
    path: str
    headers: dict[str, str]
    status: int = 0
    sent: int = 0


class FakeRegistry:
    """Serves ``manifests[(repository, tag)]`` and ``blobs[digest]``; start with :meth:`start`."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.manifests: dict[tuple[str, str], bytes] = {}
        self.blobs: dict[str, bytes] = {}
        self.uploads: dict[str, bytearray] = {}
        self.hits: list[Hit] = []
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.blob_bytes_sent = 0
        self._server: ThreadingHTTPServer | None = None
        self._bomb: bytes | None = None

    # -- life cycle ------------------------------------------------------------------------------
    def start(self) -> FakeRegistry:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.registry = self  # type: ignore[attr-defined]
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def host(self) -> str:
        assert self._server is not None
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    # -- content ---------------------------------------------------------------------------------
    def add_blob(self, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return digest

    def add_model(
        self, repository: str, tag: str, layers: list[tuple[str, bytes]], config: bytes = b"{}"
    ) -> bytes:
        """Store blobs and a Docker v2 manifest for them; returns the manifest bytes."""
        doc = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": _descriptor("application/vnd.docker.container.image.v1+json", config, self),
            "layers": [_descriptor(media_type, data, self) for media_type, data in layers],
        }
        raw = json.dumps(doc).encode()
        self.manifests[(repository, tag)] = raw
        return raw

    def blob_hits(self, digest: str | None = None) -> list[Hit]:
        with self.lock:
            return [
                h
                for h in self.hits
                if h.method == "GET"
                and "/blobs/sha256:" in h.path
                and (digest is None or h.path.endswith(digest))
            ]

    def reset_log(self) -> None:
        with self.lock:
            self.hits.clear()
            self.blob_bytes_sent = 0

    def bomb(self) -> bytes:
        if self._bomb is None:
            self._bomb = gzip.compress(b" " * (64 << 20), compresslevel=9)
        return self._bomb


def _descriptor(media_type: str, data: bytes, registry: FakeRegistry) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": registry.add_blob(data), "size": len(data)}


_MANIFEST_RE = re.compile(r"/v2/(.+)/manifests/([^/]+)")
_BLOB_RE = re.compile(r"/v2/(.+)/blobs/(sha256:[0-9a-f]{64})")
_UPLOAD_START_RE = re.compile(r"/v2/(.+)/blobs/uploads/")
_RANGE_RE = re.compile(r"bytes=(\d+)-(\d*)")


class _Handler(BaseHTTPRequestHandler):
    """One request; HTTP/1.0, so every connection closes after its answer."""

    server_version = "fake-registry"

    @property
    def registry(self) -> FakeRegistry:
        return self.server.registry  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    # -- routing -------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        self.hit = Hit(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        with self.registry.lock:
            self.registry.hits.append(self.hit)
        path = urlsplit(self.path).path
        try:
            if path == "/token":
                return self._reply(200, json.dumps({"token": TOKEN}).encode())
            if self._injected_error() or not self._authorized(path):
                return None
            self._route(path)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return None

    def _route(self, path: str) -> None:
        body = self._request_body()
        if path == "/v2/":
            self._reply(200, b"{}")
        elif match := _MANIFEST_RE.fullmatch(path):
            self._manifest(match.group(1), match.group(2), body)
        elif self.command == "POST" and (match := _UPLOAD_START_RE.fullmatch(path)):
            self._start_upload()
        elif path.startswith("/upload/"):
            self._upload(path.removeprefix("/upload/"), body)
        elif path.startswith("/presigned/") and self.command == "PUT":
            self.registry.uploads[path.removeprefix("/presigned/")] += body
            self._reply(201, b"")
        elif match := _BLOB_RE.fullmatch(path):
            self._blob(match.group(2))
        else:
            self._reply(404, b'{"errors":[{"code":"NOT_FOUND"}]}')

    def _injected_error(self) -> bool:
        faults = self.registry.faults
        with self.registry.lock:
            if faults.errors_first <= 0:
                return False
            faults.errors_first -= 1
        headers = {"Retry-After": faults.retry_after} if faults.retry_after else {}
        self._reply(faults.error_status, b"injected failure", headers)
        return True

    def _authorized(self, path: str) -> bool:
        faults = self.registry.faults
        if path.startswith("/presigned/"):
            return True
        given = self.hit.headers.get("authorization")
        if faults.basic is not None:
            challenge = 'Basic realm="fake"'
            if given == faults.basic:
                return True
        elif faults.auth_realm is None or path == "/v2/":
            return True
        else:
            challenge = f'Bearer realm="{faults.auth_realm}",service="fake",scope="repository:x/y:pull,push"'
            if given == f"Bearer {TOKEN}" and not faults.reject_tokens:
                return True
        self._reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {"WWW-Authenticate": challenge})
        return False

    # -- answers ---------------------------------------------------------------------------------
    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.hit.status = status
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _request_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _manifest(self, repository: str, tag: str, body: bytes) -> None:
        key = (repository, tag)
        if self.command == "PUT":
            self.registry.manifests[key] = body
            return self._reply(201, b"")
        if key not in self.registry.manifests:
            return self._reply(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
        if self.registry.faults.gzip_bomb:
            bomb = self.registry.bomb()
            return self._reply(
                200, bomb, {"Content-Type": MANIFEST_TYPE, "Content-Encoding": "gzip"}
            )
        self._reply(200, self.registry.manifests[key], {"Content-Type": MANIFEST_TYPE})

    def _start_upload(self) -> None:
        upload_id = uuid.uuid4().hex
        self.registry.uploads[upload_id] = bytearray()
        self._reply(202, b"", {"Location": f"/upload/{upload_id}"})

    def _upload(self, upload_id: str, body: bytes) -> None:
        if upload_id not in self.registry.uploads:
            return self._reply(404, b"unknown upload")
        data = self.registry.uploads[upload_id]
        target = self.registry.faults.redirect_uploads
        if self.command == "PATCH" and target is not None:
            headers = {"Location": f"{target}/presigned/{upload_id}"}
            headers["Docker-Upload-Location"] = f"/upload/{upload_id}"
            return self._reply(307, b"", headers)
        data += body
        if self.command == "PATCH":
            return self._reply(202, b"", {"Location": f"/upload/{upload_id}"})
        digest = parse_qs(urlsplit(self.path).query).get("digest", [""])[0]
        if digest != "sha256:" + hashlib.sha256(data).hexdigest():
            return self._reply(400, b'{"errors":[{"code":"DIGEST_INVALID"}]}')
        self.registry.blobs[digest] = bytes(data)
        self._reply(201, b"")

    def _blob(self, digest: str) -> None:
        faults = self.registry.faults
        data = self.registry.blobs.get(digest)
        if data is None:
            return self._reply(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')
        if self.command == "HEAD":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data) + faults.head_size_delta))
            self.end_headers()
            self.hit.status = 200
            return None
        if faults.redirect_to is not None:
            return self._reply(307, b"", {"Location": faults.redirect_to + "/" + digest})
        if digest in faults.wrong_bytes:
            data = bytes(b ^ 0xFF for b in data)
        self._send_blob(data)
        return None

    def _send_blob(self, data: bytes) -> None:
        faults = self.registry.faults
        match = _RANGE_RE.fullmatch(self.headers.get("Range", ""))
        start, end = 0, len(data) - 1
        status, headers = 200, {}
        if match and not faults.ignore_range:
            start = int(match.group(1))
            end = min(int(match.group(2) or end), len(data) - 1)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        self.hit.status = status
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if faults.compressed_blob:
            self.send_header("Content-Encoding", "gzip")
        if not faults.endless:
            self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self._stream(self._body(data[start : end + 1]))

    def _body(self, data: bytes) -> Iterator[bytes]:
        faults = self.registry.faults
        limit = faults.truncate_at if faults.truncate_at is not None else len(data)
        for offset in range(0, min(limit, len(data)), _CHUNK):
            yield data[offset : min(offset + _CHUNK, limit)]
        while faults.endless:
            yield b"\0" * _CHUNK

    def _stream(self, chunks: Iterator[bytes]) -> None:
        faults = self.registry.faults
        for chunk in chunks:
            if faults.stall_after is not None and self.hit.sent >= faults.stall_after:
                self.registry.release.wait(60)
                return
            with self.registry.lock:
                budget = faults.byte_budget
                if budget is not None:
                    chunk = chunk[: max(budget - self.registry.blob_bytes_sent, 0)]
                self.registry.blob_bytes_sent += len(chunk)
            if not chunk or self.hit.sent > _ENDLESS_CAP:
                return
            self.wfile.write(chunk)
            self.hit.sent += len(chunk)
            if faults.throttle:
                time.sleep(faults.throttle)


__all__ = ["MANIFEST_TYPE", "TOKEN", "FakeRegistry", "Faults", "Hit"]
