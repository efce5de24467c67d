"""Signing token requests with an OpenSSH ed25519 key, and making that key."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from pollama.registry.signing import ensure_keypair, load_signer


def test_missing_key_means_no_signer(tmp_path: Path) -> None:
    assert load_signer(tmp_path / "id_ed25519") is None


def test_signature_verifies_with_the_public_key(tmp_path: Path) -> None:
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    ed25519 = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")

    key = ed25519.Ed25519PrivateKey.generate()
    path = tmp_path / "id_ed25519"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    signer = load_signer(path)
    assert signer is not None
    pub, sig = signer.sign(b"GET,https://r/token?x=1,abc").split(":")
    line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    assert pub == line.split()[1].decode()
    public = serialization.load_ssh_public_key(line)
    assert isinstance(public, ed25519.Ed25519PublicKey)
    public.verify(base64.b64decode(sig), b"GET,https://r/token?x=1,abc")


def test_the_server_key_is_made_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / ".ollama" / "id_ed25519"
    assert ensure_keypair(path) is True
    assert path.stat().st_mode & 0o777 == 0o600
    first = path.read_bytes()
    signer = load_signer(path)
    assert signer is not None
    assert (tmp_path / ".ollama" / "id_ed25519.pub").read_text().split()[1] == signer.public_key
    assert ensure_keypair(path) is False
    assert path.read_bytes() == first


def test_a_key_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "id_ed25519"
    path.write_bytes(b"not a key")
    with pytest.raises(ValueError):
        load_signer(path)
