"""The official `ollama` package and raw HTTP against a real server: model management and bad input."""

from __future__ import annotations

import hashlib
import http.client
import json
import struct
from collections.abc import Iterator
from pathlib import Path

import httpx
import ollama
import pytest

from tests.conftest import ServerProcess


@pytest.fixture
def client(server: ServerProcess) -> Iterator[ollama.Client]:
    with ollama.Client(host=server.url) as client:
        yield client


@pytest.fixture
def base_model(client: ollama.Client, smollm2_path: Path) -> str:
    """smollm2:135m created through the ollama package's blob upload and create calls."""
    digest = client.create_blob(smollm2_path)
    list(client.create(model="smollm2:135m", files={"model.gguf": digest}, stream=True))
    return "smollm2:135m"


def test_ollama_package_round_trip(client: ollama.Client, base_model: str) -> None:
    progress = list(
        client.create(model="kid", from_=base_model, system="You are a kid.", stream=True)
    )
    assert progress[-1].status == "success"
    assert any((p.status or "").startswith("using existing layer sha256:") for p in progress)

    listed = {m.model: m for m in client.list().models}
    assert set(listed) == {"kid:latest", "smollm2:135m"}
    kid = listed["kid:latest"]
    assert kid.size and kid.size > 98_000_000 and kid.digest and len(kid.digest) == 64
    assert (
        kid.details and kid.details.family == "llama" and kid.details.quantization_level == "Q4_1"
    )
    assert kid.details.parent_model == "smollm2:135m"

    shown = client.show("kid")
    assert shown.modelinfo is not None and shown.modelinfo["general.architecture"] == "llama"
    assert shown.modelinfo["llama.context_length"] == 8192
    assert shown.capabilities == ["completion"]
    assert shown.modelfile and "SYSTEM You are a kid." in shown.modelfile
    assert shown.modified_at is not None

    assert client.copy("kid", "kid2").status == "success"
    assert "kid2:latest" in {m.model for m in client.list().models}
    assert client.delete("kid2").status == "success"
    with pytest.raises(ollama.ResponseError) as err:
        client.delete("kid2")
    assert err.value.status_code == 404


def test_root_version_and_tags(server: ServerProcess) -> None:
    assert httpx.get(server.url).text == "Ollama is running"
    assert httpx.head(server.url).status_code == 200
    assert "version" in httpx.get(f"{server.url}/api/version").json()
    assert httpx.get(f"{server.url}/api/tags").json() == {"models": []}
    assert httpx.get(f"{server.url}/api/show").status_code == 405
    missing = httpx.get(f"{server.url}/api/nothing")
    assert missing.status_code == 404 and missing.text == "404 page not found"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("POST", "/api/show", {"model": "a/b/c/d"}, 404, "model 'a/b/c/d' not found"),
        ("POST", "/api/show", {}, 400, "model is required"),
        ("POST", "/api/show", None, 400, "missing request body"),
        (
            "POST",
            "/api/copy",
            {"source": "x", "destination": "../y"},
            400,
            'destination "../y" is invalid',
        ),
        (
            "DELETE",
            "/api/delete",
            {"model": "../../etc/passwd"},
            400,
            'name "../../etc/passwd" is invalid',
        ),
        ("POST", "/api/create", {"model": "../x", "from": "y"}, 400, "invalid model name"),
        ("POST", "/api/create", {"model": "x"}, 400, "neither 'from' or 'files' was specified"),
        (
            "POST",
            "/api/create",
            {"model": "x", "files": {"../a.gguf": "sha256:" + "0" * 64}},
            400,
            "file path must be relative",
        ),
        (
            "POST",
            "/api/create",
            {"model": "x", "files": {"a.gguf": "sha256:../../etc"}},
            400,
            "invalid digest format",
        ),
        (
            "POST",
            "/api/create",
            {"model": "x", "from": "nosuch"},
            404,
            "model 'nosuch:latest' not found",
        ),
        ("HEAD", "/api/blobs/sha256-..-..-etc-passwd", None, 400, None),
        ("HEAD", "/api/blobs/sha256:..%2F..%2Fetc", None, 404, None),
        ("HEAD", "/api/blobs/sha256:" + "0" * 64, None, 404, None),
    ],
)
def test_bad_requests(
    server: ServerProcess, method: str, path: str, body: object, status: int, error: str | None
) -> None:
    response = (
        httpx.request(method, server.url + path, json=body)
        if body is not None
        else httpx.request(method, server.url + path)
    )
    assert response.status_code == status, response.text
    if error is not None:
        assert response.json() == {"error": error}
    assert not (server.models / "manifests").exists()


def test_blob_upload_verifies_digest(server: ServerProcess) -> None:
    data = b"some bytes"
    good = "sha256:" + hashlib.sha256(data).hexdigest()
    wrong = "sha256:" + hashlib.sha256(b"other").hexdigest()
    response = httpx.post(f"{server.url}/api/blobs/{wrong}", content=data)
    assert response.status_code == 400
    assert response.json()["error"].startswith("digest mismatch")
    assert list((server.models / "blobs").iterdir()) == []
    assert httpx.post(f"{server.url}/api/blobs/{good}", content=data).status_code == 201
    assert httpx.post(f"{server.url}/api/blobs/{good}", content=data).status_code == 200
    assert httpx.head(f"{server.url}/api/blobs/{good}").status_code == 200


def crafted_gguf() -> bytes:
    """A GGUF header that claims 2**60 metadata entries."""
    return b"GGUF" + struct.pack("<IQQ", 3, 0, 1 << 60)


@pytest.mark.parametrize("payload", [crafted_gguf(), b"GGUF\x03\x00\x00\x00", b"not a gguf at all"])
def test_create_from_bad_gguf_is_refused(server: ServerProcess, payload: bytes) -> None:
    digest = "sha256:" + hashlib.sha256(payload).hexdigest()
    assert httpx.post(f"{server.url}/api/blobs/{digest}", content=payload).status_code == 201
    response = httpx.post(
        f"{server.url}/api/create",
        json={"model": "bad", "files": {"m.gguf": digest}, "stream": False},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]
    assert not (server.models / "manifests").exists()


def test_foreign_host_header_is_refused(server: ServerProcess) -> None:
    host, port = server.host.split(":")
    for bad in ("evil.example.com", "attacker.com:11434"):
        conn = http.client.HTTPConnection(host, int(port))
        conn.request("GET", "/api/tags", headers={"Host": bad})
        assert conn.getresponse().status == 403
        conn.close()
    for good in ("localhost", f"127.0.0.1:{port}", "myhost.local", "10.0.0.1"):
        conn = http.client.HTTPConnection(host, int(port))
        conn.request("GET", "/api/tags", headers={"Host": good})
        assert conn.getresponse().status == 200
        conn.close()


def test_cors(server: ServerProcess) -> None:
    allowed = httpx.get(f"{server.url}/api/tags", headers={"Origin": "http://localhost:3000"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
    denied = httpx.get(f"{server.url}/api/tags", headers={"Origin": "https://evil.example.com"})
    assert denied.status_code == 403
    preflight = httpx.options(
        f"{server.url}/api/chat",
        headers={"Origin": "app://x", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert "Content-Type" in preflight.headers["access-control-allow-headers"]


def test_extra_origins(server_factory: object) -> None:
    server = server_factory(OLLAMA_ORIGINS="https://ok.example.com")  # type: ignore[operator]
    ok = httpx.get(f"{server.url}/api/tags", headers={"Origin": "https://ok.example.com"})
    assert ok.status_code == 200
    assert json.loads(ok.text) == {"models": []}
