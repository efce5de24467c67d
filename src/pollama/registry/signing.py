"""Signing token requests with Ollama's ed25519 key (``~/.ollama/id_ed25519``, spec §7.4).

The key is an OpenSSH private key. The ``Authorization`` value is ``<pub>:<sig>``: ``<pub>`` is the
base64 field of the ``ssh-ed25519 <base64>`` public key line, ``<sig>`` the standard base64 of the
64-byte signature of :func:`pollama.registry.auth.signing_payload`.

The ``cryptography`` package is used when it is importable; pollama does not depend on it, so
:func:`load_signer` returns None without it, and token requests then go out unsigned (anonymous),
which is all public pulls need.
"""

from __future__ import annotations

import base64
import importlib
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("pollama.registry")


class Ed25519Signer:
    """Signs with an ed25519 private key object from ``cryptography``."""

    def __init__(self, private_key: Any, public_key_field: str) -> None:
        self._key = private_key
        self.public_key = public_key_field

    def sign(self, data: bytes) -> str:
        signature: bytes = self._key.sign(data)
        return f"{self.public_key}:{base64.b64encode(signature).decode('ascii')}"


def load_signer(key_path: Path) -> Ed25519Signer | None:
    """A signer for the OpenSSH ed25519 key at ``key_path``.

    Returns None when the file does not exist or ``cryptography`` is not installed; raises
    ValueError when the file is not an unencrypted ed25519 OpenSSH key.
    """
    if not key_path.is_file():
        return None
    try:
        serialization = importlib.import_module("cryptography.hazmat.primitives.serialization")
        ed25519 = importlib.import_module("cryptography.hazmat.primitives.asymmetric.ed25519")
    except ImportError:
        log.info("the cryptography package is not installed; registry requests go unsigned")
        return None
    key = serialization.load_ssh_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ValueError(f"{key_path} is not an ed25519 key")
    line: bytes = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return Ed25519Signer(key, line.split()[1].decode("ascii"))


__all__ = ["Ed25519Signer", "load_signer"]
