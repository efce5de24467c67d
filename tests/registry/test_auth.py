"""Authentication: challenge parsing, token URLs, the realm-host check, credentials, tokens."""

from __future__ import annotations

import base64
import urllib.parse

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pollama.errors import RegistryError
from pollama.registry.auth import (
    Auth,
    Challenge,
    Credentials,
    check_realm,
    env_credentials,
    parse_challenge,
    parse_token,
    signing_payload,
    token_url,
)

CHALLENGES = [
    (
        'Bearer realm="https://r.example/token",service="reg",scope="repository:a/b:pull"',
        Challenge(
            "bearer",
            {"realm": "https://r.example/token", "service": "reg", "scope": "repository:a/b:pull"},
        ),
    ),
    (
        'Bearer realm="https://r.example/token",scope="repository:a/b:pull,push"',
        Challenge(
            "bearer", {"realm": "https://r.example/token", "scope": "repository:a/b:pull,push"}
        ),
    ),
    (
        'Bearer realm="https://r.example/t?x=1,2", service=reg , scope="a b"',
        Challenge(
            "bearer", {"realm": "https://r.example/t?x=1,2", "service": "reg", "scope": "a b"}
        ),
    ),
    ('Basic realm="basic-realm"', Challenge("basic", {"realm": "basic-realm"})),
    ("Basic", Challenge("basic", {})),
    ('BEARER Realm="x"', Challenge("bearer", {"realm": "x"})),
    (r'Bearer realm="a\"b",service="s"', Challenge("bearer", {"realm": 'a"b', "service": "s"})),
    (
        'Basic realm="one", Bearer realm="two"',
        Challenge("basic", {"realm": "one"}),
    ),
    ('realm="no-scheme"', None),
    ("", None),
]


@pytest.mark.parametrize(
    ("header", "expected"),
    CHALLENGES,
    ids=[
        "bearer",
        "comma-in-scope",
        "comma-in-realm-and-bare-values",
        "basic",
        "basic-bare",
        "case",
        "escaped-quote",
        "first-of-two",
        "no-scheme",
        "empty",
    ],
)
def test_parse_challenge(header: str, expected: Challenge | None) -> None:
    assert parse_challenge(header) == expected


@given(st.text(max_size=300))
def test_parse_challenge_never_raises(header: str) -> None:
    parse_challenge(header)


def test_token_url_has_service_scopes_ts_and_nonce_sorted() -> None:
    challenge = Challenge(
        "bearer",
        {
            "realm": "https://r.example/token?a=1",
            "service": "svc",
            "scope": "repo:a:pull repo:b:pull",
        },
    )
    url = token_url(challenge, ts=1700000000, nonce="n0")
    assert str(url).startswith("https://r.example/token?a=1&nonce=n0&scope=repo%3Aa%3Apull")
    query = urllib.parse.parse_qs(url.query.decode())
    assert query == {
        "a": ["1"],
        "nonce": ["n0"],
        "scope": ["repo:a:pull", "repo:b:pull"],
        "service": ["svc"],
        "ts": ["1700000000"],
    }


@pytest.mark.parametrize("realm", ["", "token", "ftp://h/t", "https://"], ids=str)
def test_token_url_refuses_non_urls(realm: str) -> None:
    with pytest.raises(RegistryError, match="invalid auth realm"):
        token_url(Challenge("bearer", {"realm": realm}), ts=0, nonce="n")


REALMS = [
    ("https://registry.example/token", "https://registry.example/", None),
    ("https://registry.example:443/token", "https://registry.example/", None),
    ("http://127.0.0.1:5000/token", "http://127.0.0.1:5000/", None),
    (
        "https://evil.example/token",
        "https://registry.example/",
        'realm host "evil.example" does not match original host "registry.example"',
    ),
    (
        "http://127.0.0.1:5001/token",
        "http://127.0.0.1:5000/",
        'realm host "127.0.0.1:5001" does not match original host "127.0.0.1:5000"',
    ),
    ("http://registry.example/token", "https://registry.example/", "must use https"),
]


@pytest.mark.parametrize(
    ("realm", "registry", "error"),
    REALMS,
    ids=["same", "default-port", "loopback-port", "foreign", "other-port", "downgrade"],
)
def test_check_realm(realm: str, registry: str, error: str | None) -> None:
    if error is None:
        check_realm(httpx.URL(realm), httpx.URL(registry))
    else:
        with pytest.raises(RegistryError, match=error):
            check_realm(httpx.URL(realm), httpx.URL(registry))


class RecordingSigner:
    def __init__(self) -> None:
        self.signed: list[bytes] = []

    def sign(self, data: bytes) -> str:
        self.signed.append(data)
        return "PUB:SIG"


def test_token_request_signs_the_exact_url_with_injected_clock_and_nonce() -> None:
    signer = RecordingSigner()
    auth = Auth(signer=signer, clock=lambda: 1234.9, nonce=lambda: b"\xff" * 16)
    challenge = Challenge("bearer", {"realm": "https://reg.example/token", "service": "s"})
    url, headers = auth.token_request(challenge, httpx.URL("https://reg.example/"))
    assert "ts=1234" in str(url)
    assert "nonce=_____________________w" in str(url)
    assert headers == {"Authorization": "PUB:SIG"}
    empty_hash = base64.b64encode(
        b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    ).decode()
    assert signer.signed == [f"GET,{url},{empty_hash}".encode()]
    assert signing_payload(str(url)) == signer.signed[0]


def test_token_request_checks_the_realm_before_signing() -> None:
    signer = RecordingSigner()
    challenge = Challenge("bearer", {"realm": "https://evil.example/token"})
    with pytest.raises(RegistryError, match="does not match"):
        Auth(signer=signer).token_request(challenge, httpx.URL("https://reg.example/"))
    assert signer.signed == []


def test_token_request_without_realm_fails() -> None:
    with pytest.raises(RegistryError, match="without a realm"):
        Auth().token_request(Challenge("bearer", {}), httpx.URL("https://reg.example/"))


def test_token_request_prefers_credentials_and_anonymous_has_no_header() -> None:
    challenge = Challenge("bearer", {"realm": "https://reg.example/token"})
    registry = httpx.URL("https://reg.example/")
    creds = Auth(credentials=lambda host: Credentials("u", "p"), signer=RecordingSigner())
    assert creds.token_request(challenge, registry)[1] == {"Authorization": "Basic dTpw"}
    assert Auth().token_request(challenge, registry)[1] == {}


def test_env_credentials_only_for_their_host() -> None:
    provide = env_credentials(
        {
            "OLLAMA_REGISTRY_USER": "me",
            "OLLAMA_REGISTRY_PASSWORD": "secret",
            "OLLAMA_REGISTRY_HOST": "Reg.Example:5000",
        }
    )
    assert provide("reg.example:5000") == Credentials("me", "secret")
    assert provide("reg.example") is None
    assert provide("evil.example") is None
    assert (
        env_credentials({"OLLAMA_REGISTRY_USER": "me", "OLLAMA_REGISTRY_PASSWORD": "x"})("") is None
    )
    assert "secret" not in repr(Credentials("me", "secret"))


def test_basic_header() -> None:
    auth = Auth(credentials=lambda host: Credentials("user", "pa:ss") if host == "h:1" else None)
    assert auth.basic(httpx.URL("http://h:1/")) == "Basic dXNlcjpwYTpzcw=="
    assert auth.basic(httpx.URL("http://other/")) is None


@pytest.mark.parametrize(
    ("body", "token"),
    [
        (b'{"token":"abc"}', "abc"),
        (b'{"access_token":"xyz"}', "xyz"),
        (b'{"token":"abc","access_token":"xyz"}', "abc"),
    ],
    ids=["token", "access_token", "both"],
)
def test_parse_token(body: bytes, token: str) -> None:
    assert parse_token(body) == token


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[]",
        b'{"token":""}',
        b'{"token":1}',
        b'{"token":"a\\r\\nX-Evil: 1"}',
        b"{",
        b'{"x":"y"}',
    ],
    ids=["empty", "list", "blank", "number", "header-injection", "bad-json", "missing"],
)
def test_parse_token_refuses(body: bytes) -> None:
    with pytest.raises(RegistryError, match="invalid token response"):
        parse_token(body)
