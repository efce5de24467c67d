"""Registry authentication (spec §7.4): challenges, token URLs, credentials and tokens.

A ``401`` carries a challenge::

    WWW-Authenticate: Bearer realm="https://host/token",service="svc",scope="repo:a/b:pull,push"
    WWW-Authenticate: Basic realm="registry"

Values are tokens or quoted strings (which may contain commas and ``\\``-escapes); when a header
lists several challenges, the first one is used. For ``Bearer``, :meth:`Auth.token_request`
builds the token URL (the realm plus ``service``, one ``scope`` per space-separated scope, ``ts``
and ``nonce``; encoded like Go's ``url.Values``, keys sorted) and refuses a realm on any other host
than the registry's, or plain http for an https registry, before anything is sent. The token
request carries, in order of preference, Basic credentials for this registry host, a signature
from the ed25519 key (:mod:`pollama.registry.signing`), or nothing (an anonymous token).
For ``Basic``, credentials for the host are sent directly.

Credentials come from an injected provider; :func:`env_credentials` reads
``OLLAMA_REGISTRY_USER``, ``OLLAMA_REGISTRY_PASSWORD`` and ``OLLAMA_REGISTRY_HOST`` (the
``host[:port]`` they belong to; without it they are never sent anywhere).
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from pollama.errors import RegistryError
from pollama.registry.policy import authority

_PARAM_RE = re.compile(
    r'\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)', re.DOTALL
)
_TOKEN_RE = re.compile(r"[\x21-\x7e]{1,16384}")


@dataclass(frozen=True, slots=True)
class Challenge:
    """One parsed ``WWW-Authenticate`` challenge; ``scheme`` is lower-case."""

    scheme: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")

    @property
    def service(self) -> str:
        return self.params.get("service", "")

    @property
    def scopes(self) -> list[str]:
        return [s for s in self.params.get("scope", "").split(" ") if s]


def parse_challenge(header: str) -> Challenge | None:
    """The first challenge of a ``WWW-Authenticate`` value, or None when there is none."""
    text = header.strip()
    scheme, _, rest = text.partition(" ")
    if not scheme or "=" in scheme:
        return None
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        match = _PARAM_RE.match(rest, pos)
        if match is None or match.end() == pos:
            break  # the next challenge, or junk: the first challenge is complete
        key, quoted, bare = match.groups()
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        params.setdefault(key.lower(), value)
        pos = match.end()
    return Challenge(scheme.lower(), params)


def token_url(challenge: Challenge, *, ts: int, nonce: str) -> httpx.URL:
    """The token endpoint URL for ``challenge``; RegistryError when the realm is not a URL."""
    realm = urllib.parse.urlsplit(challenge.realm)
    if realm.scheme not in ("http", "https") or not realm.netloc:
        raise RegistryError(f"registry sent an invalid auth realm {challenge.realm[:200]!r}")
    query = urllib.parse.parse_qsl(realm.query, keep_blank_values=True)
    query.append(("service", challenge.service))
    query.extend(("scope", scope) for scope in challenge.scopes)
    query += [("ts", str(ts)), ("nonce", nonce)]
    # Go's url.Values.Encode: keys sorted, QueryEscape; the signature covers this exact string.
    query.sort(key=lambda item: item[0])
    encoded = urllib.parse.urlencode(query, quote_via=urllib.parse.quote_plus, safe="")
    return httpx.URL(urllib.parse.urlunsplit(realm._replace(query=encoded, fragment="")))


def check_realm(url: httpx.URL, registry: httpx.URL) -> None:
    """Refuse a token URL that would carry our identity to another host or over plain http."""
    if authority(url) != authority(registry):
        raise RegistryError(
            f'realm host "{authority(url)}" does not match original host "{authority(registry)}"'
        )
    if registry.scheme == "https" and url.scheme != "https":
        raise RegistryError(f'realm "{url}" must use https')


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user name and password for one registry."""

    username: str
    password: str = field(repr=False)

    def basic_header(self) -> str:
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


CredentialProvider = Callable[[str], Credentials | None]
"""Maps a registry ``host[:port]`` to its credentials, or None."""


def env_credentials(environ: Mapping[str, str]) -> CredentialProvider:
    """Credentials from ``OLLAMA_REGISTRY_USER`` and ``_PASSWORD``, for ``OLLAMA_REGISTRY_HOST``."""
    user = environ.get("OLLAMA_REGISTRY_USER", "").strip()
    password = environ.get("OLLAMA_REGISTRY_PASSWORD", "")
    host = environ.get("OLLAMA_REGISTRY_HOST", "").strip().lower()
    found = Credentials(user, password) if user and password and host else None

    def provide(registry_host: str) -> Credentials | None:
        return found if registry_host.lower() == host else None

    return provide


class Signer(Protocol):
    """Signs token requests with the user's key (``pollama.registry.signing``)."""

    def sign(self, data: bytes) -> str:
        """The ``Authorization`` value ``<public key>:<signature>`` for ``data``."""
        ...


def _no_credentials(host: str) -> Credentials | None:
    return None


def _random_nonce() -> bytes:
    return os.urandom(16)


class Auth:
    """How to answer a registry's challenges; the clock and randomness are injected."""

    def __init__(
        self,
        credentials: CredentialProvider = _no_credentials,
        signer: Signer | None = None,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], bytes] = _random_nonce,
    ) -> None:
        self._credentials = credentials
        self._signer = signer
        self._clock = clock
        self._nonce = nonce

    def basic(self, registry: httpx.URL) -> str | None:
        """The ``Authorization`` value answering a Basic challenge, None without credentials."""
        found = self._credentials(authority(registry))
        return found.basic_header() if found else None

    def token_request(
        self, challenge: Challenge, registry: httpx.URL
    ) -> tuple[httpx.URL, dict[str, str]]:
        """The checked token URL for a Bearer ``challenge`` and the headers to send with it."""
        if not challenge.realm:
            raise RegistryError("registry sent an authentication challenge without a realm")
        nonce = base64.urlsafe_b64encode(self._nonce()).rstrip(b"=").decode("ascii")
        url = token_url(challenge, ts=int(self._clock()), nonce=nonce)
        check_realm(url, registry)
        headers: dict[str, str] = {}
        if (basic := self.basic(registry)) is not None:
            headers["Authorization"] = basic
        elif self._signer is not None:
            headers["Authorization"] = self._signer.sign(signing_payload(str(url)))
        return url, headers


def signing_payload(url: str) -> bytes:
    """``GET,<url>,<base64(hex(sha256("")))>``: what the token request signature covers."""
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    return f"GET,{url},{base64.b64encode(empty.encode()).decode('ascii')}".encode()


def parse_token(body: bytes) -> str:
    """The token of a token-endpoint JSON body (``token`` or ``access_token``)."""
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        obj = None
    token = None
    if isinstance(obj, dict):
        token = obj.get("token") or obj.get("access_token")
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        raise RegistryError("registry sent an invalid token response")
    return token


__all__ = [
    "Auth",
    "Challenge",
    "CredentialProvider",
    "Credentials",
    "Signer",
    "check_realm",
    "env_credentials",
    "parse_challenge",
    "parse_token",
    "signing_payload",
    "token_url",
]
