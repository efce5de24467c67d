"""Debian's ``docker-registry`` (the CNCF distribution registry) on a free loopback port."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx

from bench.server import free_port

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
  secret: pollama-bench
"""


class Registry:
    """A running registry storing under ``workdir/storage``; ``stop()`` ends it.

    Raises RuntimeError when the binary is missing (``scripts/install_registry`` installs it)
    or the registry does not answer ``/v2/`` within 20 s.
    """

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("docker-registry")
        if binary is None:
            raise RuntimeError("docker-registry is not installed (scripts/install_registry)")
        workdir.mkdir(parents=True, exist_ok=True)
        self.root = workdir / "storage"
        self.host = f"127.0.0.1:{free_port()}"
        self.url = f"http://{self.host}"
        config = workdir / "config.yml"
        config.write_text(_CONFIG.format(root=self.root, port=self.host.split(":")[1]))
        with (workdir / "registry.log").open("wb") as log:
            self.process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 20
        with httpx.Client(trust_env=False) as http:
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if http.get(f"{self.url}/v2/", timeout=1).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("docker-registry did not start")

    def blob_file(self, digest: str) -> Path:
        """Where the registry keeps blob ``sha256:<hex>`` on disk."""
        hexdigest = digest.split(":", 1)[1]
        return self.root / "docker/registry/v2/blobs/sha256" / hexdigest[:2] / hexdigest / "data"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["Registry"]
