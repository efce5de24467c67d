"""A real registry for tests: Debian's ``docker-registry`` (the CNCF distribution registry 2.x).

:func:`running_registry` starts ``docker-registry serve <config.yml>`` on a free 127.0.0.1 port
with filesystem storage in a temporary folder, waits until ``/v2/`` answers, and stops it at the
end. Without the binary the test is skipped, unless ``CI`` is set: then it fails, because CI
installs it (``apt-get install -y docker-registry``). The benchmarks (``bench/registry.py``) run
the same registry, passing the binary themselves.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

BINARY = "docker-registry"

_CONFIG = """\
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
  secret: pollama-test-secret
"""


@dataclass
class RealRegistry:
    """A running registry: ``host`` is what goes in front of a model name."""

    process: subprocess.Popen[bytes]
    port: int
    root: Path
    log: Path
    tls: bool = False

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    def blob_file(self, digest: str) -> Path:
        """Where the registry keeps blob ``sha256:<hex>`` on disk."""
        hexdigest = digest.split(":", 1)[1]
        return self.root / "docker/registry/v2/blobs/sha256" / hexdigest[:2] / hexdigest / "data"


def registry_binary() -> str:
    """The binary's path; skips the test without it (fails under ``CI``)."""
    found = shutil.which(BINARY)
    if found is None:
        message = f"{BINARY} is not installed (apt-get install -y docker-registry)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_registry(
    workdir: Path,
    timeout: float = 20.0,
    *,
    tls: tuple[Path, Path] | None = None,
    binary: str | None = None,
) -> Iterator[RealRegistry]:
    """Start a registry storing under ``workdir``; stop it when the block ends.

    With ``tls`` (a certificate and its key, see :mod:`tests.support.tls`) it serves https.
    ``binary`` defaults to :func:`registry_binary` (which skips the test without one).
    """
    binary = binary or registry_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    config = workdir / "config.yml"
    text = _CONFIG.format(root=workdir / "storage", port=port)
    if tls is not None:
        text += f"  tls:\n    certificate: {tls[0]}\n    key: {tls[1]}\n"
    config.write_text(text)
    log = workdir / "registry.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [binary, "serve", str(config)], stdout=log_file, stderr=log_file, cwd=workdir
        )
    registry = RealRegistry(process, port, workdir / "storage", log, tls is not None)
    try:
        verify = ssl.create_default_context(cafile=str(tls[0])) if tls is not None else True
        _wait_ready(registry, timeout, verify)
        yield registry
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(registry: RealRegistry, timeout: float, verify: ssl.SSLContext | bool) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(trust_env=False, verify=verify) as client:
        while time.monotonic() < deadline:
            if registry.process.poll() is not None:
                raise RuntimeError(f"{BINARY} exited early:\n{registry.log.read_text()}")
            try:
                if client.get(f"{registry.url}/v2/", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise RuntimeError(f"{BINARY} did not answer in {timeout}s:\n{registry.log.read_text()}")


__all__ = ["BINARY", "RealRegistry", "registry_binary", "running_registry"]
