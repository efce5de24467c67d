"""Issue acceptance: `pollama pull` of a default model with no model registry in reach.

The server finds SmolLM2 in the model cache (``POLLAMA_MODEL_CACHE``) and has no package index
either (``PIP_NO_INDEX``), and its registry requests go to a proxy that does not exist, so the pull
can only succeed by importing the cached copy.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pollama.names import DEFAULT_HOST
from pollama.sources import default_catalog
from tests.conftest import ServerProcess

SMOLLM2 = next(pack for pack in default_catalog() if pack.name == "smollm2:135m")
PARIS = [{"role": "user", "content": "What is the capital of France?"}]


def pollama(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pollama", *args],
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def offline_server(
    server_factory: Callable[..., ServerProcess], tmp_path: Path, smollm2_path: Path
) -> ServerProcess:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / f"{SMOLLM2.model.sha256}.gguf").symlink_to(smollm2_path)
    (cache / f"{SMOLLM2.model.sha256}.verified").touch()
    # No registry in reach, whatever the machine's network: registry requests go through a proxy
    # whose name never resolves (RFC 2606 reserves ".invalid").
    return server_factory(
        POLLAMA_MODEL_CACHE=str(cache), PIP_NO_INDEX="1", HTTPS_PROXY="http://proxy.invalid:3128"
    )


def test_pull_imports_smollm2_from_the_cache(offline_server: ServerProcess) -> None:
    pulled = pollama(offline_server, "pull", "smollm2:135m")
    assert pulled.returncode == 0, pulled.stderr
    for line in ("pulling manifest", "verifying sha256 digest", "writing manifest", "success"):
        assert line in pulled.stderr.splitlines()
    assert f"pulling {SMOLLM2.model.digest.short}: 100% " in pulled.stderr
    assert pulled.stdout == ""

    listing = pollama(offline_server, "list")
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line.split() for line in listing.stdout.splitlines()[1:]}
    assert rows["smollm2:135m"][2:4] == ["98", "MB"]

    show = offline_server.client.show("smollm2:135m")
    assert show["template"] == SMOLLM2.template
    assert show["system"] == "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
    assert show["parameters"].split() == ["stop", '"<|im_start|>"', "stop", '"<|im_end|>"']
    assert "Apache" in show["license"]
    details = show["details"]
    assert (details["family"], details["parameter_size"]) == ("llama", "134.52M")
    assert details["quantization_level"] == "Q4_1"


def test_pulling_again_is_immediate_and_unknown_models_fail(offline_server: ServerProcess) -> None:
    assert pollama(offline_server, "pull", "smollm2:135m").returncode == 0
    manifest = offline_server.models / "manifests" / DEFAULT_HOST / "library/smollm2/135m"
    before = manifest.read_bytes()
    started = time.perf_counter()
    events = list(offline_server.client.pull("smollm2:135m"))
    assert time.perf_counter() - started < 1.0
    assert [e["status"] for e in events if "digest" not in e] == [
        "pulling manifest",
        "verifying sha256 digest",
        "writing manifest",
        "success",
    ]
    model = [e for e in events if e.get("digest") == str(SMOLLM2.model.digest)]
    assert len(model) == 1 and model[0]["completed"] == model[0]["total"] == SMOLLM2.model.size
    assert manifest.read_bytes() == before

    missing = pollama(offline_server, "pull", "nosuchmodel")
    assert missing.returncode == 1
    # With no registry in reach and no pack of that name, the registry's failure is the answer.
    last = missing.stderr.splitlines()[-1]
    assert last.startswith("Error: pull model manifest: GET https://registry.ollama.ai/v2/")


def test_pull_api_answers_like_ollama(offline_server: ServerProcess) -> None:
    url = f"{offline_server.url}/api/pull"
    done = httpx.post(url, json={"name": "smollm2:135m", "stream": False}, timeout=60)
    assert (done.status_code, done.json()) == (200, {"status": "success"})
    assert done.headers["content-type"].startswith("application/json")

    missing = httpx.post(url, json={"model": "nosuchmodel", "stream": False}, timeout=60)
    assert missing.status_code == 500
    unreachable = missing.json()["error"]
    assert unreachable.startswith("pull model manifest: GET https://registry.ollama.ai/v2/")

    streamed = httpx.post(url, json={"model": "nosuchmodel"}, timeout=60)
    assert streamed.status_code == 200
    assert streamed.headers["content-type"] == "application/x-ndjson"
    assert streamed.text.splitlines() == [
        '{"status":"pulling manifest"}',
        json.dumps({"error": unreachable}, separators=(",", ":")),
    ]

    invalid = httpx.post(url, json={"model": "bad name!"}, timeout=60)
    assert (invalid.status_code, invalid.json()) == (400, {"error": "invalid model name"})


def chat(server: ServerProcess, messages: list[dict[str, str]]) -> str:
    body = {"model": "smollm2:135m", "messages": messages, "stream": False}
    response = httpx.post(
        f"{server.url}/api/chat", json={**body, "options": {"temperature": 0}}, timeout=120
    )
    assert response.status_code == 200, response.text
    content: str = response.json()["message"]["content"]
    return content


@pytest.mark.engine
def test_the_pulled_model_answers(offline_server: ServerProcess) -> None:
    assert [e["status"] for e in offline_server.client.pull("smollm2:135m")][-1] == "success"
    # Under Ollama's SYSTEM prompt this Q4_1 file answers the France question greedily with
    # nonsense ("L'Etoile, la Marseillaise, ..."), so that question gets a plain system prompt;
    # the model's own prompt is exercised by a question it does answer.
    system = {"role": "system", "content": "You are a helpful assistant."}
    assert "Paris" in chat(offline_server, [system, *PARIS])
    germany = [{"role": "user", "content": "What is the capital of Germany?"}]
    assert "Berlin" in chat(offline_server, germany)
