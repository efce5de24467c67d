"""RegistryClient against the fake registry: headers, errors, retries, auth, redirects, caps."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx
import pytest

from pollama.digest import Digest
from pollama.errors import BadRequest, InvalidName, NotFound, RegistryError
from pollama.names import ModelName
from pollama.registry import (
    Auth,
    Credentials,
    RegistryClient,
    RegistryStatusError,
    RegistryUnreachable,
    RetryPolicy,
)
from pollama.registry.client import default_user_agent
from tests.registry.helpers import LoopbackOnly, Sleeps, unused_port
from tests.support.fake_registry import TOKEN, FakeRegistry

Connect = Callable[[str], tuple[ModelName, RegistryClient]]


def test_scheme_follows_insecure_and_explicit_http_needs_it(http: httpx.Client) -> None:
    name = ModelName.parse("example.com/ns/m:t")
    assert str(RegistryClient(http, name).base) == "https://example.com/"
    assert str(RegistryClient(http, name, insecure=True).base) == "http://example.com/"
    explicit = ModelName.parse("http://example.com/ns/m:t")
    with pytest.raises(BadRequest, match="^insecure protocol http$"):
        RegistryClient(http, explicit)
    assert RegistryClient(http, explicit, insecure=True).url("manifests/t") == httpx.URL(
        "http://example.com/v2/ns/m/manifests/t"
    )
    with pytest.raises(InvalidName):
        RegistryClient(http, ModelName.parse("a/b/c/d"))


def test_user_agent_shape() -> None:
    assert default_user_agent().startswith("ollama/")
    assert " Python/3." in default_user_agent()


def test_manifest_request_headers(fake: FakeRegistry, connect: Connect) -> None:
    raw = fake.add_model("ns/m", "t", [("application/vnd.ollama.image.model", b"weights")])
    name, client = connect(f"{fake.host}/ns/m:t")
    assert client.manifest("t") == raw
    headers = fake.hits[-1].headers
    assert headers["accept"].startswith("application/vnd.docker.distribution.manifest.v2+json")
    assert "application/vnd.oci.image.manifest.v1+json" in headers["accept"]
    assert headers["accept-encoding"] == "identity"
    assert headers["user-agent"].startswith("ollama/")
    assert "authorization" not in headers


def test_404_is_file_does_not_exist(fake: FakeRegistry, connect: Connect) -> None:
    _, client = connect(f"{fake.host}/ns/m:t")
    with pytest.raises(NotFound, match="^file does not exist$"):
        client.manifest("t")
    assert not client.blob_exists(Digest("0" * 64))


def test_5xx_then_success_backs_off(fake: FakeRegistry, connect: Connect, sleeps: Sleeps) -> None:
    fake.add_model("ns/m", "t", [("application/vnd.ollama.image.model", b"w")])
    fake.faults.errors_first = 2
    _, client = connect(f"{fake.host}/ns/m:t")
    client.manifest("t")
    assert sleeps.calls == [1.0, 2.0]


def test_429_honours_retry_after(fake: FakeRegistry, connect: Connect, sleeps: Sleeps) -> None:
    fake.add_model("ns/m", "t", [("application/vnd.ollama.image.model", b"w")])
    fake.faults.errors_first, fake.faults.error_status, fake.faults.retry_after = 1, 429, "7"
    _, client = connect(f"{fake.host}/ns/m:t")
    client.manifest("t")
    assert sleeps.calls == [7.0]


def test_persistent_errors_give_code_and_body(
    fake: FakeRegistry, connect: Connect, sleeps: Sleeps
) -> None:
    fake.faults.errors_first, fake.faults.error_status = 100, 503
    _, client = connect(f"{fake.host}/ns/m:t")
    with pytest.raises(RegistryStatusError, match="^503: injected failure$"):
        client.manifest("t")
    assert len(sleeps.calls) == 3  # four attempts in all
    fake.faults.errors_first, fake.faults.error_status = 100, 400
    with pytest.raises(RegistryError, match="^400: injected failure$"):
        client.manifest("t")
    assert len(sleeps.calls) == 3  # a 400 is not retried


def test_unreachable_registry_fails_fast(http: httpx.Client, sleeps: Sleeps) -> None:
    name = ModelName.parse(f"127.0.0.1:{unused_port()}/ns/m:t")
    client = RegistryClient(http, name, insecure=True, retry=RetryPolicy(sleep=sleeps))
    started = time.monotonic()
    with pytest.raises(RegistryUnreachable, match="GET http://127.0.0.1"):
        client.manifest("t")
    assert time.monotonic() - started < 5
    assert sleeps.calls == [1.0]  # connect_attempts=2


class Unresolvable(httpx.BaseTransport):
    """A transport whose every host name fails to resolve, as on a machine without a network."""

    def __init__(self) -> None:
        self.tries = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.tries += 1
        try:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        except socket.gaierror as err:
            raise httpx.ConnectError(str(err), request=request) from err


def test_a_name_that_does_not_resolve_is_not_retried(sleeps: Sleeps) -> None:
    transport = Unresolvable()
    with httpx.Client(transport=transport) as http:
        name = ModelName.parse("registry.invalid/ns/m:t")
        client = RegistryClient(http, name, retry=RetryPolicy(sleep=sleeps))
        with pytest.raises(RegistryUnreachable, match="Name or service not known"):
            client.manifest("t")
    assert (transport.tries, sleeps.calls) == (1, [])


def test_bearer_challenge_gets_a_token_and_retries(fake: FakeRegistry, connect: Connect) -> None:
    raw = fake.add_model("ns/m", "t", [("application/vnd.ollama.image.model", b"w")])
    fake.faults.auth_realm = f"{fake.url}/token"
    _, client = connect(f"{fake.host}/ns/m:t")
    assert client.manifest("t") == raw
    token_hit = next(h for h in fake.hits if h.path.startswith("/token"))
    assert (
        "service=fake" in token_hit.path
        and "scope=repository%3Ax%2Fy%3Apull%2Cpush" in token_hit.path
    )
    assert "ts=" in token_hit.path and "nonce=" in token_hit.path
    assert "authorization" not in token_hit.headers  # no key, no credentials: anonymous
    assert fake.hits[-1].headers["authorization"] == f"Bearer {TOKEN}"
    # The token is reused for later requests.
    client.manifest("t")
    assert sum(h.path.startswith("/token") for h in fake.hits) == 1


def test_second_401_is_access_denied(fake: FakeRegistry, connect: Connect) -> None:
    fake.add_model("ns/m", "t", [("application/vnd.ollama.image.model", b"w")])
    fake.faults.auth_realm, fake.faults.reject_tokens = f"{fake.url}/token", True
    _, client = connect(f"{fake.host}/ns/m:t")
    with pytest.raises(RegistryError, match="^unauthorized: access denied$"):
        client.manifest("t")


def test_foreign_realm_is_refused_before_any_request(
    fake: FakeRegistry, connect: Connect, transport: LoopbackOnly
) -> None:
    fake.add_model("ns/m", "t", [("application/vnd.ollama.image.model", b"w")])
    fake.faults.auth_realm = "https://evil.invalid/token"
    _, client = connect(f"{fake.host}/ns/m:t")
    with pytest.raises(
        RegistryError,
        match=f'^realm host "evil.invalid" does not match original host "{fake.host}"$',
    ):
        client.manifest("t")
    assert set(transport.hosts) == {"127.0.0.1"}
    assert not any(h.path.startswith("/token") for h in fake.hits)


def test_basic_challenge_uses_credentials_for_this_host_only(
    fake: FakeRegistry, http: httpx.Client, retry: RetryPolicy
) -> None:
    fake.add_model("ns/m", "t", [("application/vnd.ollama.image.model", b"w")])
    creds = Credentials("u", "p")
    fake.faults.basic = creds.basic_header()
    name = ModelName.parse(f"{fake.host}/ns/m:t")
    auth = Auth(credentials=lambda host: creds if host == fake.host else None)
    RegistryClient(http, name, insecure=True, auth=auth, retry=retry).manifest("t")
    other = Auth(credentials=lambda host: creds if host == "elsewhere:1" else None)
    with pytest.raises(RegistryError, match="unauthorized"):
        RegistryClient(http, name, insecure=True, auth=other, retry=retry).manifest("t")


def test_gzip_bomb_manifest_fails_fast(fake: FakeRegistry, connect: Connect) -> None:
    fake.add_model("ns/m", "t", [("application/vnd.ollama.image.model", b"w")])
    fake.faults.gzip_bomb = True
    fake.bomb()  # built before timing
    _, client = connect(f"{fake.host}/ns/m:t")
    started = time.monotonic()
    with pytest.raises(RegistryError, match="larger than 4194304 bytes after decompression"):
        client.manifest("t")
    assert time.monotonic() - started < 1.0


def test_oversized_manifest_is_refused(fake: FakeRegistry, connect: Connect) -> None:
    fake.manifests[("ns/m", "t")] = b" " * ((4 << 20) + 1)
    _, client = connect(f"{fake.host}/ns/m:t")
    with pytest.raises(RegistryError, match="registry manifest is larger than 4194304 bytes"):
        client.manifest("t")


def test_redirect_to_metadata_address_is_refused_without_connecting(
    fake: FakeRegistry, connect: Connect, transport: LoopbackOnly
) -> None:
    digest = fake.add_blob(b"data")
    fake.faults.redirect_to = "http://169.254.169.254/latest/meta-data"
    _, client = connect(f"{fake.host}/ns/m:t")
    with pytest.raises(RegistryError, match='refusing redirect to "http://169.254.169.254/'):
        client.resolve_blob(Digest.parse(digest))
    assert set(transport.hosts) == {"127.0.0.1"}


@pytest.mark.parametrize("direct_bodies", [True, False], ids=["direct", "httpx"])
def test_redirect_to_a_cdn_is_the_direct_url_and_gets_no_credentials(
    fake: FakeRegistry, connect: Connect
) -> None:
    cdn = FakeRegistry().start()
    try:
        digest = fake.add_blob(b"data")
        cdn.add_blob(b"data")
        fake.faults.redirect_to = f"{cdn.url}/v2/cdn/x/blobs"
        fake.faults.auth_realm = f"{fake.url}/token"
        _, client = connect(f"{fake.host}/ns/m:t")
        url = client.resolve_blob(Digest.parse(digest))
        assert str(url) == f"{cdn.url}/v2/cdn/x/blobs/{digest}"
        body = client.open_range(url, 1, 2, timeout=httpx.Timeout(5.0))
        try:
            assert body.response.status_code == 206
            assert b"".join(bytes(c) for c in body.chunks(memoryview(bytearray(1)))) == b"at"
        finally:
            body.close()
        assert "authorization" not in cdn.hits[-1].headers
        assert fake.hits[-1].headers["authorization"] == f"Bearer {TOKEN}"
    finally:
        cdn.stop()
