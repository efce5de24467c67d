"""What CLI commands share: the client for the configured server, and output helpers."""

from __future__ import annotations

import sys

from pollama.api.client import Client
from pollama.config import Settings


def client() -> Client:
    """A client of the server at ``OLLAMA_HOST``."""
    return Client(Settings.from_env().host.client_url)


def out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


__all__ = ["client", "out"]
