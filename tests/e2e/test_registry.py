"""Issue acceptance: pull and push through a real ``pollama serve`` against registries on loopback.

The real registry is Debian's ``docker-registry`` (tests/support/real_registry.py); faults come
from the fake one (tests/support/fake_registry.py); a counting TCP proxy
(tests/support/counting_proxy.py) measures what the server really fetched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import ollama
import pytest

from pollama.cli.pull import NOT_AUTHORIZED
from pollama.names import ModelName
from pollama.registry import (
    DownloadOptions,
    RegistryClient,
    default_http_client,
    push_to_registry,
)
from pollama.registry.parts import plan_parts
from pollama.store import CONFIG_MEDIA_TYPE, Layer, Manifest, MediaType, Store
from tests.conftest import ServerProcess
from tests.support.counting_proxy import CountingProxy
from tests.support.fake_registry import MANIFEST_TYPE, FakeRegistry, Faults
from tests.support.models import create_from_gguf
from tests.support.real_registry import RealRegistry, running_registry

MODEL = "application/vnd.ollama.image.model"
TEMPLATE = "application/vnd.ollama.image.template"
CONFIG = b'{"model_format":"gguf","model_family":"llama"}'
CLI_TIMEOUT = 300
RATE = 64 << 20  # bytes per second through a slowed proxy: downloads last long enough to meet


# -- fixtures and helpers --------------------------------------------------------------------------
@pytest.fixture
def registry(tmp_path: Path) -> Iterator[RealRegistry]:
    """A fresh docker-registry for each test, so that no test finds another's blobs there."""
    with running_registry(tmp_path / "registry") as running:
        yield running


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The parent of the server's models directory, holding nothing else: whatever a pull
    writes outside the store shows up here."""
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess], root: Path) -> ServerProcess:
    return server_factory(root / "models")


@pytest.fixture
def fake() -> Iterator[FakeRegistry]:
    """The fault-injecting registry, well behaved until a test sets its faults."""
    registry = FakeRegistry(Faults()).start()
    yield registry
    registry.stop()


def pollama(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI against ``server``."""
    return subprocess.run(
        [sys.executable, "-m", "pollama", *args],
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )


def sha256_file(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def random_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path) with the sha256 of its bytes."""
    return {
        str(path.relative_to(root)): sha256_file(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def manifest_file(server: ServerProcess, name: str) -> Path:
    parsed = ModelName.parse(name)
    return server.models.joinpath("manifests", *parsed.parts())


def model_files(server: ServerProcess, name: str) -> dict[str, str]:
    """The manifest digest (sha256 of its file's bytes) and the sha256 of each blob it names."""
    raw = manifest_file(server, name).read_bytes()
    manifest = Manifest.parse(raw)
    blobs = {str(d): sha256_file(Store(server.models).blob_path(d)) for d in manifest.all_digests()}
    return {"manifest": hashlib.sha256(raw).hexdigest(), **blobs}


def publish(registry: RealRegistry, name: str, gguf: Path, scratch: Path) -> Manifest:
    """Put a model made from ``gguf`` on ``registry`` with pollama's own push (production
    part sizes), from a scratch store that is deleted afterwards."""
    parsed = ModelName.parse(name)
    store = Store(scratch)
    manifest = create_from_gguf(store, parsed, gguf)
    with contextlib.closing(default_http_client()) as http:
        client = RegistryClient(http, parsed, insecure=True)
        events = list(push_to_registry(store, parsed, client))
    assert events[-1].status == "success"
    shutil.rmtree(scratch)
    return manifest


def statuses(events: list[dict[str, object]]) -> list[str]:
    """The status lines without byte progress, in order."""
    return [str(e["status"]) for e in events if "digest" not in e]


def post_pull(server: ServerProcess, name: str, **body: object) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/pull",
        json={"model": name, "insecure": True, **body},
        timeout=CLI_TIMEOUT,
    )


# -- push, remove, pull: the same model comes back -------------------------------------------------
def test_cli_push_remove_pull_gives_back_the_same_model(
    registry: RealRegistry, server: ServerProcess, smollm2_path: Path, tmp_path: Path
) -> None:
    name = f"{registry.host}/library/smollm2:135m"
    (tmp_path / "Modelfile").write_text(f"FROM {smollm2_path}\n")
    created = pollama(server, "create", name, "-f", str(tmp_path / "Modelfile"))
    assert created.returncode == 0, created.stderr
    before = model_files(server, name)
    local_manifest = manifest_file(server, name).read_bytes()
    weights = Manifest.parse(local_manifest).layers_of(MODEL)[0].digest

    pushed = pollama(server, "push", name, "--insecure")
    assert pushed.returncode == 0, pushed.stderr
    for line in ("retrieving manifest", "pushing manifest", "success"):
        assert line in pushed.stderr.splitlines()
    assert f"pushing {weights.short}: 100% " in pushed.stderr
    assert pushed.stdout == f"\nYou can find your model at:\n\n\t{name}\n"
    served = httpx.get(
        f"{registry.url}/v2/library/smollm2/manifests/135m",
        headers={"Accept": MANIFEST_TYPE},
        timeout=30,
    )
    assert served.content == local_manifest  # pushed byte for byte: same digest on the registry

    removed = pollama(server, "rm", name)
    assert removed.returncode == 0, removed.stderr
    assert not manifest_file(server, name).exists()
    assert not any(server.models.joinpath("blobs").iterdir())

    pulled = pollama(server, "pull", name, "--insecure")
    assert pulled.returncode == 0, pulled.stderr
    lines = pulled.stderr.splitlines()
    for line in ("pulling manifest", "verifying sha256 digest", "writing manifest", "success"):
        assert line in lines
    assert f"pulling {weights.short}: 100% " in pulled.stderr
    assert model_files(server, name) == before
    assert sha256_file(Store(server.models).blob_path(weights)) == sha256_file(smollm2_path)


def test_the_ollama_package_pushes_and_pulls(
    registry: RealRegistry, server: ServerProcess, smollm2_path: Path
) -> None:
    name = f"{registry.host}/library/smollm2:135m"
    with ollama.Client(host=server.url) as client:
        digest = client.create_blob(smollm2_path)
        assert list(client.create(model=name, files={"model.gguf": digest}, stream=True))
        before = model_files(server, name)

        pushed = [
            e.model_dump(exclude_none=True) for e in client.push(name, insecure=True, stream=True)
        ]
        assert statuses(pushed) == ["retrieving manifest", "pushing manifest", "success"]
        done = {e["digest"] for e in pushed if "digest" in e and e["completed"] == e["total"]}
        assert done == set(before) - {"manifest"}
        # Everything is on the registry now: a second push uploads nothing and just succeeds.
        assert client.push(name, insecure=True).status == "success"

        client.delete(name)
        pulled = [
            e.model_dump(exclude_none=True) for e in client.pull(name, insecure=True, stream=True)
        ]
        assert statuses(pulled) == [
            "pulling manifest",
            "verifying sha256 digest",
            "writing manifest",
            "success",
        ]
        assert model_files(server, name) == before
        client.delete(name)
        assert client.pull(name, insecure=True).status == "success"
        assert model_files(server, name) == before

        with pytest.raises(ollama.ResponseError, match="file does not exist"):
            client.pull(f"{registry.host}/library/smollm2:nosuchtag", insecure=True)


def test_a_refused_push_tells_the_user_to_use_their_own_namespace(
    fake: FakeRegistry, server: ServerProcess
) -> None:
    name = ModelName.parse(f"{fake.host}/someone/model:t")
    store = Store(server.models)
    layer = Layer(MediaType.MODEL, store.write_blob_bytes(b"weights"), 7)
    config = Layer(CONFIG_MEDIA_TYPE, store.write_blob_bytes(CONFIG), len(CONFIG))
    store.write_manifest(name, Manifest.build(config, [layer]))
    fake.faults.auth_realm, fake.faults.reject_tokens = f"{fake.url}/token", True

    refused = pollama(server, "push", str(name), "--insecure")
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1] == f"Error: {NOT_AUTHORIZED}"
    assert refused.stdout == ""
    assert not fake.blobs and not fake.manifests


def test_push_api_errors(server: ServerProcess) -> None:
    url = f"{server.url}/api/push"
    nameless = httpx.post(url, json={}, timeout=30)
    assert (nameless.status_code, nameless.json()) == (400, {"error": "model is required"})
    invalid = httpx.post(url, json={"model": "bad name!"}, timeout=30)
    assert (invalid.status_code, invalid.json()) == (400, {"error": "invalid model name"})
    missing = httpx.post(url, json={"model": "127.0.0.1:1/ns/nosuch", "insecure": True}, timeout=30)
    lines = [json.loads(line) for line in missing.text.splitlines()]
    assert statuses(lines[:-1]) == ["retrieving manifest", "couldn't retrieve manifest"]
    assert "not found" in lines[-1]["error"]


# -- a complete model is pulled again at once ------------------------------------------------------
def test_pulling_a_complete_model_takes_well_under_a_second(
    registry: RealRegistry, server: ServerProcess, smollm2_path: Path, tmp_path: Path
) -> None:
    manifest = publish(
        registry, f"{registry.host}/library/smollm2:135m", smollm2_path, tmp_path / "scratch"
    )
    proxy = CountingProxy(registry.port).start()
    try:
        name = f"{proxy.host}/library/smollm2:135m"
        first = post_pull(server, name, stream=False)
        assert (first.status_code, first.json()) == (200, {"status": "success"})
        assert proxy.reset() >= manifest.size

        started = time.perf_counter()
        again = post_pull(server, name)
        elapsed = time.perf_counter() - started
        relayed = proxy.reset()
    finally:
        proxy.stop()
    events = [json.loads(line) for line in again.text.splitlines()]
    print(f"pull of a complete model: {elapsed * 1000:.0f} ms, {relayed} bytes from the registry")
    assert statuses(events) == [
        "pulling manifest",
        "verifying sha256 digest",
        "writing manifest",
        "success",
    ]
    layers = {str(layer.digest): layer.size for layer in (*manifest.layers, manifest.config)}
    progress = [e for e in events if "digest" in e]
    assert {e["digest"]: e["completed"] for e in progress} == layers
    assert len(progress) == len(layers) and all(e["total"] == e["completed"] for e in progress)
    assert elapsed < 1.0
    assert relayed < 64 << 10  # the manifest and headers: no blob travelled again


def test_two_pulls_of_one_model_at_once_fetch_it_once(
    registry: RealRegistry, server: ServerProcess, smollm2_path: Path, tmp_path: Path
) -> None:
    manifest = publish(
        registry, f"{registry.host}/library/smollm2:135m", smollm2_path, tmp_path / "scratch"
    )
    proxy = CountingProxy(registry.port, rate=RATE).start()
    try:
        name = f"{proxy.host}/library/smollm2:135m"
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda _: post_pull(server, name, stream=False), range(2)))
        relayed = proxy.reset()
    finally:
        proxy.stop()
    print(f"two pulls of {manifest.size} B fetched {relayed} B")
    assert [(a.status_code, a.json()) for a in answers] == [(200, {"status": "success"})] * 2
    assert manifest.size <= relayed <= manifest.size + (256 << 10)
    assert model_files(server, name)["manifest"] == hashlib.sha256(manifest.raw).hexdigest()


# -- a registry that lies --------------------------------------------------------------------------
def test_wrong_bytes_fail_the_pull_and_leave_the_store_as_it_was(
    fake: FakeRegistry, server: ServerProcess, root: Path
) -> None:
    template = b"{{ .Prompt }}"
    fake.add_model(
        "ns/model", "t", [(MODEL, random_bytes(300_000, 1)), (TEMPLATE, template)], CONFIG
    )
    fake.add_model("ns/other", "t", [(MODEL, random_bytes(200_000, 2))], CONFIG)
    for model in ("model", "other"):
        done = post_pull(server, f"{fake.host}/ns/{model}:t", stream=False)
        assert (done.status_code, done.json()) == (200, {"status": "success"})
    before = tree(root)

    # The tag now names new weights, and the registry sends them with every byte flipped.
    weights = random_bytes(400_000, 3)
    fake.add_model("ns/model", "t", [(MODEL, weights), (TEMPLATE, template)], CONFIG)
    want = "sha256:" + hashlib.sha256(weights).hexdigest()
    got = "sha256:" + hashlib.sha256(bytes(b ^ 0xFF for b in weights)).hexdigest()
    fake.faults.wrong_bytes.add(want)
    error = f"digest mismatch, file must be downloaded again: want {want}, got {got}"
    name = f"{fake.host}/ns/model:t"

    collapsed = post_pull(server, name, stream=False)
    assert (collapsed.status_code, collapsed.json()) == (500, {"error": error})
    streamed = post_pull(server, name)
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    assert statuses(lines[:-1])[-1] == "verifying sha256 digest"
    assert lines[-1] == {"error": error}
    cli = pollama(server, "pull", name, "--insecure")
    assert cli.returncode == 1
    assert cli.stderr.splitlines()[-1] == f"Error: {error}"

    assert len(fake.blob_hits(want)) >= 3  # the bad bytes really were fetched each time
    assert tree(root) == before  # no blob, no partial file; the old models byte for byte


def _traversal(fake: FakeRegistry, foreign: str) -> str:
    """Digests that climb out of the blobs directory."""
    escape = "sha256:" + ("../" * 21 + "x")  # as long as a real digest
    doc = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/json", "digest": escape, "size": 5},
        "layers": [{"mediaType": MODEL, "digest": escape, "size": 5}],
    }
    fake.manifests[("ns/model", "t")] = json.dumps(doc).encode()
    return "pull model manifest: invalid manifest: invalid digest format"


def _gzip_bomb(fake: FakeRegistry, foreign: str) -> str:
    """A manifest body of 64 KiB that inflates to 64 MiB."""
    fake.add_model("ns/model", "t", [(MODEL, random_bytes(1000, 4))], CONFIG)
    fake.faults.gzip_bomb = True
    return (
        f"pull model manifest: registry manifest is larger than {4 << 20} bytes after decompression"
    )


def _foreign_realm(fake: FakeRegistry, foreign: str) -> str:
    """A Bearer challenge that sends us to another host for a token."""
    fake.add_model("ns/model", "t", [(MODEL, random_bytes(1000, 5))], CONFIG)
    fake.faults.auth_realm = f"http://{foreign}/token"
    return f'pull model manifest: realm host "{foreign}" does not match original host "{fake.host}"'


@contextlib.contextmanager
def listener(host: str) -> Iterator[socket.socket]:
    """A listening socket that nothing should ever connect to."""
    sock = socket.create_server((host, 0))
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def connected(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
    except BlockingIOError:
        return False
    return True


HOSTILE = {"traversal": _traversal, "gzip bomb": _gzip_bomb, "foreign realm": _foreign_realm}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_registries_fail_clearly_and_write_nothing(
    case: str, fake: FakeRegistry, server: ServerProcess, root: Path
) -> None:
    name = f"{fake.host}/ns/model:t"
    with listener("127.0.0.2") as elsewhere:
        error = HOSTILE[case](fake, f"127.0.0.2:{elsewhere.getsockname()[1]}")
        before = tree(root)
        collapsed = post_pull(server, name, stream=False)
        cli = pollama(server, "pull", name, "--insecure")
        assert not connected(elsewhere)  # the foreign realm never saw a request
    assert (collapsed.status_code, collapsed.json()) == (500, {"error": error})
    assert cli.returncode == 1
    assert cli.stderr.splitlines()[-1] == f"Error: {error}"
    assert fake.blob_hits() == []
    assert tree(root) == before


# -- kill -9 midway, restart, resume ---------------------------------------------------------------
KILL_AT = 0.3  # fraction of the weights on disk when the server is killed
BLOCK = 4096  # a file system block: a write that ends inside one allocates all of it


def data_bytes(path: Path) -> int:
    """How many bytes of the sparse file ``path`` hold data (SEEK_DATA/SEEK_HOLE): what a
    killed download really left on disk, whatever its state files say."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size, offset, total = os.fstat(fd).st_size, 0, 0
        while offset < size:
            try:
                start = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError:  # ENXIO: no data after offset
                break
            offset = os.lseek(fd, start, os.SEEK_HOLE)
            total += offset - start
        return total
    finally:
        os.close(fd)


def saved_bytes(partial: Path) -> int:
    """The bytes the part state files (``<blob>-partial-N``) promise are on disk."""
    states = partial.parent.glob(f"{partial.name}-*")
    return sum(json.loads(p.read_bytes())["Completed"] for p in states if p.name[-1].isdigit())


def pull_and_kill(server: ServerProcess, name: str, partial: Path, threshold: int) -> None:
    """Start pulling ``name`` and kill -9 the server once ``threshold`` bytes are on disk."""
    body = {"model": name, "insecure": True}
    with httpx.stream("POST", f"{server.url}/api/pull", json=body, timeout=60) as response:
        for line in response.iter_lines():
            assert "error" not in line and "success" not in line, line
            if partial.exists() and data_bytes(partial) >= threshold:
                os.kill(server.process.pid, signal.SIGKILL)
                server.process.wait(10)
                return
    pytest.fail("the pull ended before the server could be killed")


def resume_slack(size: int, others: int) -> int:
    """The most a resumed pull may fetch beyond what was missing, with the server's own (default)
    download settings: each part in flight saves its state every 1/16 part, after a whole read
    chunk, so up to that much of it can be on disk yet unrecorded; plus the other, small blobs
    and a little HTTP."""
    options = DownloadOptions()
    parts = plan_parts(
        size,
        min_size=options.min_part_size,
        max_size=options.max_part_size,
        count=options.part_count,
    )
    in_flight = sorted(parts, key=lambda p: p.size, reverse=True)[: options.concurrency]
    per_part = [max(p.size // 16, 16 << 10) + options.read_chunk + 2 * BLOCK for p in in_flight]
    return sum(per_part) + others + (64 << 10)


@pytest.mark.slow
def test_a_pull_killed_midway_resumes_where_it_stopped(
    registry: RealRegistry,
    server_factory: Callable[..., ServerProcess],
    root: Path,
    gemma3_path: Path,
    tmp_path: Path,
) -> None:
    manifest = publish(
        registry, f"{registry.host}/library/gemma3:270m", gemma3_path, tmp_path / "scratch"
    )
    weights = manifest.layers_of(MODEL)[0]
    size = weights.size
    others = manifest.size - size + len(manifest.raw)
    store = Store(root / "models")
    final = store.blob_path(weights.digest)
    partial = final.with_name(final.name + "-partial")
    proxy = CountingProxy(registry.port, rate=RATE).start()
    try:
        name = f"{proxy.host}/library/gemma3:270m"
        pull_and_kill(server_factory(root / "models"), name, partial, int(size * KILL_AT))
        first = proxy.reset()
        on_disk, saved = data_bytes(partial), saved_bytes(partial)
        missing = size - on_disk
        assert not final.exists() and 0 < saved <= on_disk < size

        proxy.rate = None
        server = server_factory(root / "models")
        resumed = post_pull(server, name, stream=False)
        again = proxy.reset()

        started = time.perf_counter()
        complete = post_pull(server, name, stream=False)
        elapsed = time.perf_counter() - started
    finally:
        proxy.stop()
    slack = resume_slack(size, others)
    print(
        f"\nweights {size} B; first pull fetched {first} B before kill -9; on disk {on_disk} B "
        f"(state files: {saved} B); missing {missing} B; resumed pull fetched {again} B "
        f"(= missing + {again - missing} B; allowed + {slack} B); "
        f"complete pull {elapsed * 1000:.0f} ms"
    )
    assert (resumed.status_code, resumed.json()) == (200, {"status": "success"})
    assert sha256_file(final) == weights.digest.hex
    assert manifest_file(server, name).read_bytes() == manifest.raw
    assert sorted(p.name for p in final.parent.iterdir() if "-partial" in p.name) == []
    assert missing <= again <= missing + slack
    assert (complete.status_code, complete.json()) == (200, {"status": "success"})
    assert elapsed < 1.0
