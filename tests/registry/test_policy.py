"""The redirect policy, one row per case; nothing here resolves a name or connects."""

from __future__ import annotations

import httpx
import pytest

from pollama.errors import RegistryError
from pollama.registry.policy import (
    authority,
    check_redirect,
    ip_literal,
    is_loopback_host,
    redirect_refusal,
    same_authority,
)

PUBLIC = "https://registry.ollama.ai/"
LOOPBACK = "http://127.0.0.1:5000/"

ROWS = [
    # (registry, target, allowed)
    (PUBLIC, "https://cdn.example/blob", True),
    (PUBLIC, "https://registry.ollama.ai:8443/v2/x", True),
    (PUBLIC, "http://cdn.example/blob", False),
    (PUBLIC, "http://registry.ollama.ai/v2/x", False),
    (PUBLIC, "ftp://cdn.example/blob", False),
    (PUBLIC, "file:///etc/passwd", False),
    (PUBLIC, "https://169.254.169.254/latest/meta-data", False),
    (PUBLIC, "https://[fe80::1]/x", False),
    (PUBLIC, "https://127.0.0.1/x", False),
    (PUBLIC, "https://10.0.0.8/x", False),
    (PUBLIC, "https://192.168.1.1/x", False),
    (PUBLIC, "https://[::1]/x", False),
    (PUBLIC, "https://[::ffff:169.254.169.254]/x", False),
    (PUBLIC, "https://0.0.0.0/x", False),
    (PUBLIC, "https://2852039166/x", False),
    (PUBLIC, "https://0xa9.0xfe.0xa9.0xfe/x", False),
    (PUBLIC, "https://localhost/x", False),
    (PUBLIC, "https://a.localhost/x", False),
    (PUBLIC, "https://8.8.8.8/x", True),
    (PUBLIC, "https://[2606:4700::1111]/x", True),
    (LOOPBACK, "http://127.0.0.1:6000/blob", True),
    (LOOPBACK, "http://127.0.0.1:5000/other", True),
    (LOOPBACK, "https://127.0.0.2/blob", True),
    (LOOPBACK, "https://10.1.2.3/blob", True),
    (LOOPBACK, "http://169.254.169.254/latest/meta-data", False),
    (LOOPBACK, "https://169.254.169.254/latest/meta-data", False),
    (LOOPBACK, "http://cdn.example/blob", False),
    ("http://localhost:5000/", "https://localhost:7000/x", True),
]


@pytest.mark.parametrize(
    ("registry", "target", "allowed"), ROWS, ids=[f"{r[1]}-from-{r[0]}" for r in ROWS]
)
def test_redirect_policy(registry: str, target: str, allowed: bool) -> None:
    reason = redirect_refusal(httpx.URL(registry), httpx.URL(target))
    assert (reason is None) == allowed, reason
    if not allowed:
        with pytest.raises(RegistryError, match="refusing redirect to"):
            check_redirect(httpx.URL(registry), httpx.URL(target))


@pytest.mark.parametrize(
    ("host", "literal"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2852039166", "169.254.169.254"),
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("127.1", "127.0.0.1"),
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("cafe.example", None),
        ("abc", None),
        ("", None),
    ],
    ids=str,
)
def test_ip_literal(host: str, literal: str | None) -> None:
    found = ip_literal(host)
    assert (str(found) if found else None) == literal


def test_loopback_and_authority_helpers() -> None:
    assert (
        is_loopback_host("localhost") and is_loopback_host("LOCALHOST.") and is_loopback_host("::1")
    )
    assert not is_loopback_host("example.com")
    assert authority(httpx.URL("https://h.example:443/x")) == "h.example"
    assert authority(httpx.URL("http://[::1]:8/x")) == "[::1]:8"
    assert same_authority(httpx.URL("http://a:1/x"), httpx.URL("http://a:1/y"))
    assert not same_authority(httpx.URL("http://a:1/x"), httpx.URL("http://a:2/x"))
    assert not same_authority(httpx.URL("http://a/x"), httpx.URL("https://a/x"))
