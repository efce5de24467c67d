"""Registry-specific errors and the fixed messages Ollama's clients match on.

::

    RegistryError (pollama.errors)      a registry answered badly
    ├── RegistryStatusError             an HTTP error status (``<code>: <body>``)
    └── RegistryUnreachable             no answer at all: DNS, refused, timeouts, dropped
                                        connections that outlasted every retry

``404`` answers raise :class:`pollama.errors.NotFound` with :data:`FILE_DOES_NOT_EXIST`; the pull
turns a missing manifest into :class:`pollama.errors.ModelNotFound` with :data:`MANIFEST_NOT_FOUND`.
"""

from __future__ import annotations

from pollama.errors import RegistryError

FILE_DOES_NOT_EXIST = "file does not exist"
MANIFEST_NOT_FOUND = "pull model manifest: file does not exist"
UNAUTHORIZED = "unauthorized: access denied"
INSECURE_PROTOCOL = "insecure protocol http"


class RegistryStatusError(RegistryError):
    """The registry answered with an HTTP error status; ``status`` and ``retry_after`` keep it."""

    def __init__(self, status: int, body: str, retry_after: str | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.retry_after = retry_after


class RegistryUnreachable(RegistryError):
    """The registry could not be reached; another model source may be tried instead."""


__all__ = [
    "FILE_DOES_NOT_EXIST",
    "INSECURE_PROTOCOL",
    "MANIFEST_NOT_FOUND",
    "UNAUTHORIZED",
    "RegistryStatusError",
    "RegistryUnreachable",
]
