"""The one exception tree of pollama.

Every error that pollama raises on purpose derives from :class:`PollamaError`. The server maps each
class to exactly one HTTP status (``pollama.server.errors``); the CLI catches the base class once,
prints ``Error: <message>`` and exits 1. Anything else that escapes is a bug.

::

    PollamaError                  500  something went wrong that is not the client's fault
    ├── BadRequest                400  the request itself is wrong
    │   ├── InvalidName                a model name that breaks the naming rules
    │   ├── InvalidDigest              a digest that is not sha256:<64 hex>
    │   ├── ModelfileError             a Modelfile that does not parse (carries the line)
    │   ├── TemplateError              a prompt template that does not parse or execute
    │   ├── GGUFError                  a file that is not a well-formed GGUF
    │   └── DigestMismatch             bytes whose sha256 is not the one promised
    ├── NotFound                  404  a model, blob or runner that does not exist
    │   └── ModelNotFound
    ├── Forbidden                 403  a request the server refuses to serve
    ├── ServerBusy                503  the queue is full; retry later
    ├── EngineError               500  the llama.cpp runner failed
    └── RegistryError             500  a registry answered badly or not at all
"""

from __future__ import annotations


class PollamaError(Exception):
    """Base class of every deliberate pollama error; ``str(err)`` is the user-facing message."""


class BadRequest(PollamaError):
    """The client's request is wrong and retrying it unchanged will not help."""


class InvalidName(BadRequest):
    """A model name that is not valid under Ollama's naming rules."""


class InvalidDigest(BadRequest):
    """A digest string that is not ``sha256:`` (or ``sha256-``) followed by 64 hex digits."""

    def __init__(self, message: str = "invalid digest format") -> None:
        super().__init__(message)


class ModelfileError(BadRequest):
    """A Modelfile that does not parse; ``line`` is 1-based, or 0 for the file as a whole."""

    def __init__(self, message: str, line: int = 0) -> None:
        self.line = line
        self.detail = message
        super().__init__(f"(line {line}): {message}" if line else message)


class TemplateError(BadRequest):
    """A prompt template that does not parse or cannot be executed."""


class GGUFError(BadRequest):
    """A file that is not a well-formed GGUF, or whose header breaks pollama's safety limits."""


class DigestMismatch(BadRequest):
    """Bytes whose sha256 differs from the digest they were sent or stored under."""


class NotFound(PollamaError):
    """Something the request names does not exist."""


class ModelNotFound(NotFound):
    """No manifest exists for the named model."""


class Forbidden(PollamaError):
    """The server refuses to serve this request (foreign Host header, disallowed origin)."""


class ServerBusy(PollamaError):
    """The request queue is full."""

    def __init__(
        self, message: str = "server busy, please try again.  maximum pending requests exceeded"
    ) -> None:
        super().__init__(message)


class EngineError(PollamaError):
    """The llama.cpp runner failed to load a model or to serve a request."""


class RegistryError(PollamaError):
    """A model registry answered with an error, a malformed body, or not at all."""


__all__ = [
    "BadRequest",
    "DigestMismatch",
    "EngineError",
    "Forbidden",
    "GGUFError",
    "InvalidDigest",
    "InvalidName",
    "ModelNotFound",
    "ModelfileError",
    "NotFound",
    "PollamaError",
    "RegistryError",
    "ServerBusy",
    "TemplateError",
]
