"""Model names: ``[scheme://][host/][namespace/]model[:tag]``.

Grammar (Ollama's, spec §6.4)::

    name      = [scheme "://"] [[host "/"] namespace "/"] model [":" tag]
    host      = [A-Za-z0-9_] [A-Za-z0-9_.:-]{0,349}
    namespace = [A-Za-z0-9_] [A-Za-z0-9_-]{0,79}
    model     = [A-Za-z0-9_] [A-Za-z0-9_.-]{0,79}
    tag       = [A-Za-z0-9_] [A-Za-z0-9_.-]{0,79}

Defaults: host ``registry.ollama.ai``, namespace ``library``, tag ``latest``, scheme ``https``.
The tag is split off at the last ``:`` only when it comes after the last ``/``; the rest is split
on ``/`` from the right. A part promised by a separator but left empty (``a/:b``, ``:t``) makes the
name invalid, as do more than three ``/``-separated parts.

:meth:`ModelName.parse` never raises: it fills defaults and records what it saw, and
:meth:`ModelName.is_valid` says whether the result may be used. Only valid names may be turned
into store paths (``pollama.store`` checks again).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"
DEFAULT_SCHEME = "https"

_HOST_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,349}")
_NAMESPACE_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,79}")
_MODEL_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}")
_TAG_RE = _MODEL_RE


@dataclass(frozen=True, slots=True)
class ModelName:
    """A fully qualified model name; build one with :meth:`parse`."""

    host: str
    namespace: str
    model: str
    tag: str
    scheme: str = DEFAULT_SCHEME
    explicit_scheme: bool = False

    @classmethod
    def parse(cls, text: str) -> ModelName:
        """Parse ``text``, filling defaults; never raises (check :meth:`is_valid`)."""
        scheme, explicit, rest = DEFAULT_SCHEME, False, text
        if "://" in rest:
            scheme, rest = rest.split("://", 1)
            explicit = True
        tag = DEFAULT_TAG
        colon, slash = rest.rfind(":"), rest.rfind("/")
        if colon > slash:
            rest, tag = rest[:colon], rest[colon + 1 :]
        parts = rest.split("/")
        if len(parts) > 3:
            # Mark invalid while keeping the text for error messages.
            return cls("", "", rest, tag, scheme, explicit)
        model = parts[-1]
        namespace = parts[-2] if len(parts) >= 2 else DEFAULT_NAMESPACE
        host = parts[-3] if len(parts) == 3 else DEFAULT_HOST
        return cls(host, namespace, model, tag, scheme, explicit)

    def is_valid(self) -> bool:
        """Whether every part matches the grammar (and the scheme is http or https)."""
        return (
            self.scheme in ("http", "https")
            and _HOST_RE.fullmatch(self.host) is not None
            and _NAMESPACE_RE.fullmatch(self.namespace) is not None
            and _MODEL_RE.fullmatch(self.model) is not None
            and _TAG_RE.fullmatch(self.tag) is not None
        )

    def parts(self) -> tuple[str, str, str, str]:
        """``(host, namespace, model, tag)``: the manifest path components under ``manifests/``."""
        return (self.host, self.namespace, self.model, self.tag)

    @property
    def repository(self) -> str:
        """``namespace/model``, the repository path a registry serves it under."""
        return f"{self.namespace}/{self.model}"

    def short(self) -> str:
        """The display form: host and ``library`` namespace omitted when they are the defaults."""
        if self.host == DEFAULT_HOST:
            if self.namespace == DEFAULT_NAMESPACE:
                return f"{self.model}:{self.tag}"
            return f"{self.namespace}/{self.model}:{self.tag}"
        return str(self)

    def with_tag(self, tag: str) -> ModelName:
        return ModelName(
            self.host, self.namespace, self.model, tag, self.scheme, self.explicit_scheme
        )

    def same_as(self, other: ModelName) -> bool:
        """Equality ignoring case, the way the store matches names."""
        return tuple(p.lower() for p in self.parts()) == tuple(p.lower() for p in other.parts())

    def __str__(self) -> str:
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"


def parse_valid(text: str) -> ModelName | None:
    """Parse ``text`` and return it only when valid."""
    name = ModelName.parse(text)
    return name if name.is_valid() else None


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_NAMESPACE",
    "DEFAULT_TAG",
    "ModelName",
    "parse_valid",
]
