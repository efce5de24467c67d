"""A bounded tail of a runner's stderr, and how to pick the line that explains a failure.

llama.cpp log lines look like ``0.00.009.692 E llama_model_load: error loading model: ...``: a
timestamp, a one-letter level (``E`` error, ``W`` warning, ``I`` info, ``D`` debug), the message.
"""

from __future__ import annotations

import re
from collections import deque

_PREFIX = re.compile(r"^\d+\.\d+\.\d+\.\d+ (?P<level>[A-Z]) ")
_ERROR_WORDS = ("error", "ggml_assert", "terminate called", "segmentation fault", "killed")
_MAX_LINE = 2000


class StderrTail:
    """The last ``max_lines`` lines of a byte stream fed in arbitrary chunks.

    Lines longer than 2000 characters are cut; invalid UTF-8 is replaced.
    """

    def __init__(self, max_lines: int = 50) -> None:
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._partial = b""

    def feed(self, chunk: bytes) -> list[str]:
        """Add ``chunk``; returns the lines it completed. Feeding ``b""`` (EOF) flushes the rest."""
        if not chunk:
            rest, self._partial = self._partial, b""
            return self._add([rest] if rest else [])
        pieces = (self._partial + chunk).split(b"\n")
        self._partial = pieces.pop()[-_MAX_LINE * 4 :]
        return self._add(pieces)

    def lines(self) -> list[str]:
        """The kept lines, oldest first, without their newlines."""
        return list(self._lines)

    def first_error(self) -> str | None:
        """The first kept error line, prefix stripped: during a load, the root cause."""
        return next((message(line) for line in self._lines if is_error(line)), None)

    def last_error(self) -> str | None:
        """The last kept error line, prefix stripped: after a crash, what went wrong."""
        return next((message(line) for line in reversed(self._lines) if is_error(line)), None)

    def _add(self, raw: list[bytes]) -> list[str]:
        new = [piece.decode("utf-8", "replace").rstrip("\r")[:_MAX_LINE] for piece in raw]
        self._lines.extend(new)
        return new


def is_error(line: str) -> bool:
    """True for llama.cpp lines logged at level E and for unprefixed crash or exception lines."""
    match = _PREFIX.match(line)
    if match:
        return match["level"] == "E"
    lowered = line.lower()  # Python tracebacks end in "...Error: ...", crashes vary in case
    return any(word in lowered for word in _ERROR_WORDS)


def message(line: str) -> str:
    """``line`` without llama.cpp's timestamp and level prefix."""
    return _PREFIX.sub("", line, count=1).strip()
