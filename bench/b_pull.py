"""6. Pull of gemma3-270m from a local docker-registry against plain copies of the same bytes.

pollama pushes the model to the registry first. Each measured pull starts from an empty store
(the model is deleted between pulls) and ends when ``/api/pull`` reports success; the pulled
blob's sha256 is then checked against its digest. References, interleaved with the pulls: a
plain HTTP GET of the same blob from the registry written to a file (with curl, and with
httpx as a Python client would), and ``cp`` of the registry's own blob file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx

from bench.context import Context, Section
from bench.registry import RealRegistry, start_registry
from bench.server import PollamaServer
from bench.stats import fmt, median, ratio

MODEL = "gemma3"
TARGET = 0.8
_CHUNK = 1 << 20


def _model_digest(registry: RealRegistry, repo: str) -> tuple[str, int]:
    """The digest and size of the model layer of ``repo:latest``."""
    accept = "application/vnd.docker.distribution.manifest.v2+json"
    reply = httpx.get(f"{registry.url}/v2/{repo}/manifests/latest", headers={"Accept": accept})
    reply.raise_for_status()
    layers = json.loads(reply.content)["layers"]
    biggest = max(layers, key=lambda layer: int(layer["size"]))
    return str(biggest["digest"]), int(biggest["size"])


def _http_get(registry: RealRegistry, repo: str, digest: str, target: Path) -> float:
    started = time.perf_counter()
    with httpx.Client(trust_env=False, timeout=120) as http, target.open("wb") as out:
        with http.stream("GET", f"{registry.url}/v2/{repo}/blobs/{digest}") as resp:
            resp.raise_for_status()
            for chunk in resp.iter_raw(_CHUNK):
                out.write(chunk)
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def _curl(registry: RealRegistry, repo: str, digest: str, target: Path) -> float:
    started = time.perf_counter()
    url = f"{registry.url}/v2/{repo}/blobs/{digest}"
    subprocess.run(["curl", "-sSfo", str(target), url], check=True)
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def _cp(source: Path, target: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["cp", str(source), str(target)], check=True)
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def _pull(server: PollamaServer, name: str) -> float:
    """Seconds for ``/api/pull`` to stream its way to ``success``; RuntimeError otherwise."""
    status = ""
    started = time.perf_counter()
    body = {"model": name, "insecure": True, "stream": True}
    with server.http.stream("POST", "/api/pull", json=body) as resp:
        for line in resp.iter_lines():
            if line:
                event = json.loads(line)
                if "error" in event:
                    raise RuntimeError(f"pull failed: {event['error']}")
                status = event.get("status", status)
    elapsed = time.perf_counter() - started
    if status != "success":
        raise RuntimeError(f"pull ended with {status!r}")
    return elapsed


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def run(ctx: Context) -> Section:
    """Median MB/s of each way over ``runs`` (at least 3) transfers; the target is pull >= 0.8 x
    a plain HTTP GET of the blob (curl when installed: the faster, stricter reference)."""
    runs = max(3, ctx.runs)
    times: dict[str, list[float]] = {"pollama pull": [], "HTTP GET (httpx)": [], "cp": []}
    if shutil.which("curl"):
        times["HTTP GET (curl)"] = []
    with start_registry(ctx.workdir / "registry") as registry:
        repo = "bench/gemma3"
        name = f"{registry.host}/{repo}"
        with PollamaServer(ctx.store, ctx.workdir / "push.server.log") as source:
            source.cli("cp", ctx.tag(MODEL), name)
            source.cli("push", name, "--insecure")
        digest, size = _model_digest(registry, repo)
        scratch = ctx.workdir / "copy.bin"
        with PollamaServer(ctx.workdir / "pulled", ctx.workdir / "pull.server.log") as server:
            for i in range(runs):
                times["pollama pull"].append(_pull(server, name))
                blob = server.models / "blobs" / digest.replace(":", "-")
                verified = _sha256(blob) == digest
                if i < runs - 1:
                    server.cli("rm", name)
                times["HTTP GET (httpx)"].append(_http_get(registry, repo, digest, scratch))
                if "HTTP GET (curl)" in times:
                    times["HTTP GET (curl)"].append(_curl(registry, repo, digest, scratch))
                times["cp"].append(_cp(registry.blob_file(digest), scratch))
    mbps = {way: size / median(t) / 1e6 for way, t in times.items()}
    rows = [[way, fmt(median(t), 3), fmt(mbps[way])] for way, t in times.items()]
    reference = "HTTP GET (curl)" if "HTTP GET (curl)" in times else "HTTP GET (httpx)"
    pulled = ratio(mbps["pollama pull"], mbps[reference])
    return Section(
        f"6. Pull ({MODEL}, {size / 1e6:.0f} MB layer, registry on loopback)",
        ["way", "median s", "MB/s"],
        rows,
        notes=[
            f"{runs} transfers each, interleaved; pull timed from `/api/pull` sent to its "
            "`success` line (manifest, blob download, sha256, store commit; the CLI adds its "
            "start-up, benchmark 5); blob digest verified "
            f"after the last pull: {'yes' if verified else 'NO, MISMATCH'}.",
            f"pull vs `cp`: {fmt(ratio(mbps['pollama pull'], mbps['cp']), 2)}.",
        ],
        targets=[
            (
                f"pull >= {TARGET} x plain {reference}, digest checked",
                pulled >= TARGET and verified,
                f"{fmt(pulled, 2)}",
            )
        ],
    )


__all__ = ["run"]
