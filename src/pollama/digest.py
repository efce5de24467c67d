"""Content digests: ``sha256:<64 lower-case hex>``.

Ollama accepts ``sha256:<hex>`` and ``sha256-<hex>`` (the blob file name form) in its API, with
hex in either case; everything else is ``invalid digest format``. A :class:`Digest` is always
normalised to lower-case hex, so that it can name a file safely.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import IO

from pollama.errors import InvalidDigest

_DIGEST_RE = re.compile(r"sha256[:-]([0-9a-fA-F]{64})")
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Digest:
    """A validated sha256 digest."""

    hex: str

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Parse ``sha256:<hex>`` or ``sha256-<hex>``; raises :class:`InvalidDigest` otherwise."""
        match = _DIGEST_RE.fullmatch(text)
        if match is None:
            raise InvalidDigest()
        return cls(match.group(1).lower())

    @classmethod
    def of_bytes(cls, data: bytes) -> Digest:
        return cls(hashlib.sha256(data).hexdigest())

    @classmethod
    def of_file(cls, stream: IO[bytes]) -> Digest:
        """Hash a binary stream from its current position to its end."""
        h = hashlib.sha256()
        while chunk := stream.read(_CHUNK):
            h.update(chunk)
        return cls(h.hexdigest())

    @property
    def filename(self) -> str:
        """The blob file name, ``sha256-<hex>``."""
        return f"sha256-{self.hex}"

    @property
    def short(self) -> str:
        """The first 12 hex digits, as progress lines and ``pollama list`` show them."""
        return self.hex[:12]

    def __str__(self) -> str:
        return f"sha256:{self.hex}"


def is_digest(text: str) -> bool:
    return _DIGEST_RE.fullmatch(text) is not None


__all__ = ["Digest", "is_digest"]
