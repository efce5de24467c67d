"""How the server reaches registries: one connection pool, credentials and the signing key.

:class:`RegistryAccess` is made once per server from its environment and hands out a
:class:`~pollama.registry.client.RegistryClient` per model name. Credentials come from
``OLLAMA_REGISTRY_USER``/``_PASSWORD`` for ``OLLAMA_REGISTRY_HOST``; requests for a bearer token are
signed with ``~/.ollama/id_ed25519`` when that key exists and ``cryptography`` is installed, as
Ollama's own registry expects.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pollama.names import ModelName
from pollama.registry.auth import Auth, env_credentials
from pollama.registry.client import RegistryClient, default_http_client
from pollama.registry.download import DownloadOptions
from pollama.registry.pull import RegistrySource
from pollama.registry.retry import RetryPolicy
from pollama.registry.signing import load_signer
from pollama.registry.upload import UploadOptions

log = logging.getLogger("pollama.registry")

SIGNING_KEY = "id_ed25519"


@dataclass
class RegistryAccess:
    """Everything a pull or push needs to talk to registries; safe to share between threads."""

    http: httpx.Client = field(default_factory=default_http_client)
    auth: Auth = field(default_factory=Auth)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    download: DownloadOptions | None = None
    upload: UploadOptions | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], home: Path) -> RegistryAccess:
        """Credentials from ``environ``; the signing key from ``home`` (``~/.ollama``)."""
        try:
            signer = load_signer(home / SIGNING_KEY)
        except (OSError, ValueError) as err:
            log.warning("registry requests go unsigned: %s", err)
            signer = None
        return cls(auth=Auth(env_credentials(environ), signer))

    def client(self, name: ModelName, insecure: bool = False) -> RegistryClient:
        """A client for the repository of ``name`` (plain http only with ``insecure``)."""
        return RegistryClient(self.http, name, insecure=insecure, auth=self.auth, retry=self.retry)

    def source(self) -> RegistrySource:
        """The registry as a model source for :func:`pollama.pull.pull_from`."""
        return RegistrySource(self.client, self.download)

    def close(self) -> None:
        self.http.close()


__all__ = ["SIGNING_KEY", "RegistryAccess"]
