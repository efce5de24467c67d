"""The HTTP side of the OCI distribution protocol, for one repository on one registry (spec §7.1).

Every request goes through :meth:`RegistryClient.send`, which:

* sends ``User-Agent``, ``Accept-Encoding: identity`` and, only to the registry's own scheme, host
  and port, the ``Authorization`` obtained from the last challenge;
* never follows redirects by itself (callers check each one with :mod:`pollama.registry.policy`);
* answers a ``401`` by following its challenge (:mod:`pollama.registry.auth`) and retrying once;
  a second ``401`` is ``unauthorized: access denied``;
* retries 429/5xx answers and dropped connections with backoff (:mod:`pollama.registry.retry`),
  but not a host name that does not resolve;
* maps ``404`` to NotFound ``file does not exist`` and other errors to RegistryError
  ``<code>: <body>``; a registry that cannot be reached is :class:`RegistryUnreachable`.

Bodies are read with caps (:mod:`pollama.registry.bounded`).
"""

from __future__ import annotations

import functools
import platform
import socket
import ssl
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterable

import httpx

from pollama import OLLAMA_COMPAT_VERSION
from pollama.digest import Digest
from pollama.errors import BadRequest, InvalidName, NotFound, RegistryError
from pollama.names import ModelName
from pollama.registry.auth import Auth, parse_challenge, parse_token
from pollama.registry.blobbody import BlobBody, HttpxBody, open_direct
from pollama.registry.bounded import (
    MANIFEST_CAP,
    TOKEN_CAP,
    error_text,
    read_capped,
)
from pollama.registry.errors import (
    FILE_DOES_NOT_EXIST,
    INSECURE_PROTOCOL,
    UNAUTHORIZED,
    RegistryStatusError,
    RegistryUnreachable,
)
from pollama.registry.policy import check_redirect, same_authority
from pollama.registry.retry import RETRY_STATUSES, RetryPolicy

MANIFEST_ACCEPT = (
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.oci.image.manifest.v1+json"
)
MAX_REDIRECTS = 10

Body = bytes | Iterable[bytes]
BodyFactory = Callable[[], Body]
"""Makes a fresh request body, so that a request can be sent again after a challenge."""

_GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "amd64": "amd64"}


def default_user_agent() -> str:
    """``ollama/<version> (<arch> <os>) Python/<version>``, as registries expect (spec §7)."""
    machine = platform.machine().lower()
    system = {"win32": "windows"}.get(sys.platform, sys.platform)
    python = ".".join(map(str, sys.version_info[:3]))
    arch = _GO_ARCH.get(machine, machine)
    return f"ollama/{OLLAMA_COMPAT_VERSION} ({arch} {system}) Python/{python}"


def default_http_client(ssl_context: ssl.SSLContext | None = None) -> httpx.Client:
    """An httpx client for registries: no redirects, proxies from ``HTTPS_PROXY``/``NO_PROXY``,
    certificates checked with ``ssl_context`` (default: :func:`default_ssl_context`)."""
    return httpx.Client(
        timeout=httpx.Timeout(30.0, connect=10.0),
        follow_redirects=False,
        verify=ssl_context or default_ssl_context(),
    )


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """httpx's certificate checks (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``), made once."""
    return httpx.create_ssl_context()


class RegistryClient:
    """Requests to the repository of ``name`` on its registry.

    The base URL is ``https://<host>``, or ``http://<host>`` with ``insecure``; a name written with
    an explicit ``http://`` scheme is refused without ``insecure`` (BadRequest ``insecure protocol
    http``). Safe to share between threads.

    Blob ranges are read over connections of their own (:mod:`pollama.registry.blobbody`) unless
    ``direct_bodies`` is False or a proxy is configured for the URL's scheme in the environment;
    ``ssl_context`` should be the one ``http`` checks certificates with. A client whose ``http``
    was given a proxy of its own (``proxy=``) needs ``direct_bodies=False``.
    """

    def __init__(
        self,
        http: httpx.Client,
        name: ModelName,
        *,
        insecure: bool = False,
        user_agent: str | None = None,
        auth: Auth | None = None,
        retry: RetryPolicy | None = None,
        ssl_context: ssl.SSLContext | None = None,
        direct_bodies: bool = True,
    ) -> None:
        if not name.is_valid():
            raise InvalidName("invalid model name")
        if name.explicit_scheme and name.scheme == "http" and not insecure:
            raise BadRequest(INSECURE_PROTOCOL)
        self.name = name
        self.base = httpx.URL(f"{'http' if insecure else 'https'}://{name.host}/")
        self.retry = retry or RetryPolicy()
        self._http = http
        self._user_agent = user_agent or default_user_agent()
        self._auth = auth or Auth()
        self._authorization: str | None = None
        self._lock = threading.Lock()
        self._ssl_context = ssl_context
        self._direct_bodies = direct_bodies

    # -- URLs ----------------------------------------------------------------------------------
    def url(self, path: str) -> httpx.URL:
        """``<base>/v2/<namespace>/<model>/<path>``."""
        return self.base.join(f"/v2/{self.name.repository}/{path}")

    def blob_url(self, digest: Digest) -> httpx.URL:
        return self.url(f"blobs/{digest}")

    # -- the one request path --------------------------------------------------------------------
    def send(
        self,
        method: str,
        url: httpx.URL,
        *,
        headers: dict[str, str] | None = None,
        body: BodyFactory | None = None,
        timeout: httpx.Timeout | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """Send one request, answering challenges and retrying; the caller closes the response.

        Returns a streamed response with a status below 400. With ``retry=False`` transient
        failures are not retried here (the caller has its own loop), but challenges still are.
        """
        failures, challenged = 0, False
        while True:
            try:
                response = self._http.send(
                    self._build(method, url, headers, body, timeout),
                    stream=True,
                    follow_redirects=False,
                )
            except httpx.TransportError as err:
                failures += 1
                if not retry or failures >= self._attempts_for(err):
                    raise RegistryUnreachable(f"{method} {url}: {_describe(err)}") from err
                self.retry.wait(failures)
                continue
            status = response.status_code
            if status == 401:
                self._challenged(response, already=challenged)
                challenged = True
                continue
            if status in RETRY_STATUSES and retry and failures + 1 < self.retry.attempts:
                failures += 1
                retry_after = response.headers.get("retry-after")
                response.close()
                self.retry.wait(failures, retry_after)
                continue
            if status >= 400:
                _raise_for(response)
            return response

    def _attempts_for(self, err: httpx.TransportError) -> int:
        if _unresolvable(err):
            # A host name that does not resolve now will not a second later (an offline machine
            # says so at once): give up at once, so that another model source is asked instead.
            return 1
        if isinstance(err, httpx.ConnectError | httpx.ConnectTimeout):
            return self.retry.connect_attempts
        return self.retry.attempts

    def _build(
        self,
        method: str,
        url: httpx.URL,
        headers: dict[str, str] | None,
        body: BodyFactory | None,
        timeout: httpx.Timeout | None,
    ) -> httpx.Request:
        content = body() if body is not None else None
        return self._http.build_request(
            method,
            url,
            headers=self._headers(url, headers),
            content=content,
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )

    def _headers(self, url: httpx.URL, extra: dict[str, str] | None) -> dict[str, str]:
        """Every request's headers; credentials only for the registry's scheme, host and port."""
        merged = {"User-Agent": self._user_agent, "Accept-Encoding": "identity", **(extra or {})}
        with self._lock:
            authorization = self._authorization
        if authorization and same_authority(url, self.base):
            merged["Authorization"] = authorization
        return merged

    def _challenged(self, response: httpx.Response, *, already: bool) -> None:
        """Obtain new credentials from a 401 answer, or raise when that cannot help."""
        try:
            challenge = parse_challenge(response.headers.get("www-authenticate", ""))
            if already:
                raise RegistryError(UNAUTHORIZED)
            if challenge is None:
                raise RegistryError(f"401: {error_text(response)}")
        finally:
            response.close()
        if challenge.scheme == "basic":
            authorization = self._auth.basic(self.base)
            if authorization is None:
                raise RegistryError(UNAUTHORIZED)
        elif challenge.scheme == "bearer":
            authorization = (
                f"Bearer {self._fetch_token(*self._auth.token_request(challenge, self.base))}"
            )
        else:
            raise RegistryError(f"unsupported authentication scheme {challenge.scheme!r}")
        with self._lock:
            self._authorization = authorization

    def _fetch_token(self, url: httpx.URL, headers: dict[str, str]) -> str:
        request_headers = {"User-Agent": self._user_agent, "Accept-Encoding": "identity", **headers}
        try:
            response = self._http.send(
                self._http.build_request("GET", url, headers=request_headers),
                stream=True,
                follow_redirects=False,
            )
        except httpx.TransportError as err:
            raise RegistryUnreachable(f"GET {url}: {_describe(err)}") from err
        try:
            if response.status_code >= 400:
                raise RegistryError(f"{response.status_code}: {error_text(response)}")
            if response.status_code != 200:
                raise RegistryError(f"token endpoint answered {response.status_code}")
            return parse_token(read_capped(response, TOKEN_CAP, "token response"))
        finally:
            response.close()

    # -- pulling ---------------------------------------------------------------------------------
    def manifest(self, tag: str) -> bytes:
        """The raw bytes of the manifest ``tag`` (at most 4 MiB)."""
        response = self.send(
            "GET", self.url(f"manifests/{tag}"), headers={"Accept": MANIFEST_ACCEPT}
        )
        try:
            if response.status_code != 200:
                raise RegistryError(f"unexpected status {response.status_code} for the manifest")
            return read_capped(response, MANIFEST_CAP, "registry manifest")
        finally:
            response.close()

    def blob_exists(self, digest: Digest) -> bool:
        """``HEAD`` the blob: True on 200, False on 404."""
        try:
            self.send("HEAD", self.blob_url(digest)).close()
        except NotFound:
            return False
        return True

    def blob_size(self, digest: Digest) -> int | None:
        """The blob's ``Content-Length`` from a ``HEAD`` (None when not given)."""
        response = self.send("HEAD", self.blob_url(digest))
        response.close()
        value = response.headers.get("content-length", "")
        return int(value) if value.isdigit() and response.status_code == 200 else None

    def resolve_blob(self, digest: Digest) -> httpx.URL:
        """The URL to fetch ranges of ``digest`` from.

        Redirects within the registry's host name are followed (at most 10); the first one to
        another host, once the policy allows it, is the answer; a blob served directly is fetched
        from the registry itself.
        """
        url = self.blob_url(digest)
        for _ in range(MAX_REDIRECTS):
            response = self.send("GET", url, headers={"Range": "bytes=0-0"})
            try:
                if response.status_code in (200, 206):
                    return url
                if not response.has_redirect_location:
                    raise RegistryError(f"unexpected status {response.status_code} for {digest}")
                target = url.join(response.headers["location"])
            finally:
                response.close()
            check_redirect(self.base, target)
            if target.host != url.host:
                return target
            url = target
        raise RegistryError(f"too many redirects for {digest}")

    def open_range(
        self, url: httpx.URL, start: int, end: int | None, *, timeout: httpx.Timeout
    ) -> BlobBody:
        """``GET`` bytes ``start..end`` (inclusive; to the end when None) without retrying.

        The answer has a status below 400 (errors raise as :meth:`send`'s do); a plain 200/206
        comes over a connection of its own when the client may make one.
        """
        headers = {"Range": f"bytes={start}-{'' if end is None else end}"}
        if self._direct_allowed(url):
            body = open_direct(
                url,
                self._headers(url, headers),
                ssl_context=self._ssl_context or default_ssl_context(),
                connect_timeout=timeout.connect or 10.0,
                read_timeout=timeout.read or 30.0,
            )
            if body is not None:
                return body
        return HttpxBody(self.send("GET", url, headers=headers, timeout=timeout, retry=False))

    def _direct_allowed(self, url: httpx.URL) -> bool:
        """Whether a blob may be read over a bare connection: not through a proxy, which httpx
        alone speaks (any proxy set for the scheme counts, whatever ``NO_PROXY`` says)."""
        if not self._direct_bodies:
            return False
        if not self._http.trust_env:
            return True
        proxies = urllib.request.getproxies_environment()
        return url.scheme not in proxies and "all" not in proxies

    # -- pushing ---------------------------------------------------------------------------------
    def start_upload(self, digest: Digest, mount_from: str | None = None) -> httpx.URL | None:
        """``POST`` a new upload; the upload URL, or None when a cross-repository mount worked."""
        url = self.url("blobs/uploads/")
        if mount_from:
            url = url.copy_merge_params({"mount": str(digest), "from": mount_from})
        response = self.send("POST", url, body=lambda: b"", retry=True)
        try:
            if response.status_code == 201 and mount_from:
                return None
            return self._next_location(response)
        finally:
            response.close()

    def upload_chunk(
        self, location: httpx.URL, body: BodyFactory, start: int, size: int
    ) -> httpx.URL:
        """``PATCH`` bytes ``start..start+size-1``; returns the next upload URL.

        A 307 answer means "PUT this chunk to the redirect URL instead" (without credentials).
        """
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(size),
            "Content-Range": f"{start}-{start + size - 1}",
            "X-Redirect-Uploads": "1",
        }
        response = self.send("PATCH", location, headers=headers, body=body, retry=False)
        try:
            next_url = self._next_location(response)
            redirect = None
            if response.status_code == 307:
                redirect = location.join(response.headers["location"])
        finally:
            response.close()
        if redirect is not None:
            check_redirect(self.base, redirect)
            put_headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
            self.send("PUT", redirect, headers=put_headers, body=body, retry=False).close()
        return next_url

    def finish_upload(self, location: httpx.URL, digest: Digest, etag: str) -> None:
        """``PUT <location>?digest=<d>&etag=<e>`` with an empty body."""
        url = location.copy_merge_params({"digest": str(digest), "etag": etag})
        headers = {"Content-Type": "application/octet-stream", "Content-Length": "0"}
        self.send("PUT", url, headers=headers, body=lambda: b"").close()

    def put_manifest(self, tag: str, raw: bytes, media_type: str) -> None:
        """``PUT`` the manifest bytes exactly as stored, with their media type."""
        headers = {"Content-Type": media_type}
        self.send("PUT", self.url(f"manifests/{tag}"), headers=headers, body=lambda: raw).close()

    def _next_location(self, response: httpx.Response) -> httpx.URL:
        value = response.headers.get("docker-upload-location") or response.headers.get("location")
        if not value:
            raise RegistryError(f"registry answered {response.status_code} without an upload URL")
        target = response.request.url.join(value)
        check_redirect(self.base, target)
        return target


def _raise_for(response: httpx.Response) -> None:
    try:
        if response.status_code == 404:
            raise NotFound(FILE_DOES_NOT_EXIST)
        retry_after = response.headers.get("retry-after")
        raise RegistryStatusError(response.status_code, error_text(response), retry_after)
    finally:
        response.close()


def _unresolvable(err: BaseException) -> bool:
    """Whether name resolution (``getaddrinfo``) failed somewhere in ``err``'s chain of causes."""
    cause: BaseException | None = err
    for _ in range(8):  # httpx wraps httpcore, which wraps the socket error
        if cause is None:
            return False
        if isinstance(cause, socket.gaierror):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _describe(err: httpx.TransportError) -> str:
    return str(err) or type(err).__name__


__all__ = [
    "MANIFEST_ACCEPT",
    "BodyFactory",
    "RegistryClient",
    "default_http_client",
    "default_user_agent",
]
