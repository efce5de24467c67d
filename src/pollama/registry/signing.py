"""Signing token requests with Ollama's ed25519 key (``~/.ollama/id_ed25519``, spec §7.4).

The key is an OpenSSH private key, made by :func:`ensure_keypair` when the server first starts, as
Ollama does. The ``Authorization`` value is ``<pub>:<sig>``: ``<pub>`` is the base64 field of the
``ssh-ed25519 <base64>`` public key line, ``<sig>`` the standard base64 of the 64-byte signature
of :func:`pollama.registry.auth.signing_payload`.
"""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

log = logging.getLogger("pollama.registry")


class Ed25519Signer:
    """Signs with an ed25519 private key."""

    def __init__(self, private_key: ed25519.Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = _public_line(private_key).split()[1]

    def sign(self, data: bytes) -> str:
        signature = self._key.sign(data)
        return f"{self.public_key}:{base64.b64encode(signature).decode('ascii')}"


def load_signer(key_path: Path) -> Ed25519Signer | None:
    """A signer for the OpenSSH ed25519 key at ``key_path``; None when the file does not exist.

    Raises ValueError when the file is not an unencrypted ed25519 OpenSSH key.
    """
    if not key_path.is_file():
        return None
    key = serialization.load_ssh_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ValueError(f"{key_path} is not an ed25519 key")
    return Ed25519Signer(key)


def ensure_keypair(key_path: Path) -> bool:
    """Create ``key_path`` (mode 0600) and ``<key_path>.pub`` unless the key exists.

    Returns whether a key was made. The private key is written under a temporary name and
    renamed, so a crash never leaves half a key behind.
    """
    if key_path.exists():
        return False
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = key_path.with_name(f".{key_path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private)
    Path(f"{key_path}.pub").write_text(_public_line(key) + "\n")
    os.replace(temporary, key_path)
    log.info("generated a new private key: %s", key_path)
    return True


def _public_line(key: ed25519.Ed25519PrivateKey) -> str:
    line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return line.decode("ascii")


__all__ = ["Ed25519Signer", "ensure_keypair", "load_signer"]
