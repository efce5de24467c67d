"""llama.cpp's HTTP wire format as the runner client sees it: SSE events and error bodies.

A streamed ``/completion`` answers ``text/event-stream`` with one ``data: {json}`` line per event,
each followed by a blank line. An error body is ``{"error": {"code", "message", "type"}}``; an error
after streaming began arrives as an event carrying that ``"error"`` object.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterable
from typing import Any

from pollama.errors import EngineError


class RunnerHTTPError(EngineError):
    """llama.cpp refused a request.

    ``status_code`` is its HTTP status (400 context too long, 501 no embeddings, 503 busy or
    loading), ``error_type`` its error type and ``str(err)`` its message.
    """

    def __init__(self, message: str, status_code: int, error_type: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_type = error_type


async def sse_events(chunks: AsyncIterable[bytes]) -> AsyncGenerator[dict[str, Any], None]:
    """Yield each ``data:`` event of an SSE byte stream as soon as its line is complete.

    Raises ``RunnerHTTPError`` for an event that carries ``"error"``; ignores comments, blank
    lines and non-JSON payloads such as ``[DONE]``.
    """
    partial = b""
    async for chunk in chunks:
        lines = (partial + chunk).split(b"\n") if partial else chunk.split(b"\n")
        partial = lines.pop()
        for line in lines:
            event = _decode(line)
            if event is not None:
                yield event
    event = _decode(partial)
    if event is not None:
        yield event


def _decode(line: bytes) -> dict[str, Any] | None:
    if not line.startswith(b"data: ") or line[6:7] != b"{":
        return None
    try:
        event: dict[str, Any] = json.loads(line[6:])
    except ValueError:
        raise EngineError(f"malformed event from the model runner: {line[:200]!r}") from None
    if "error" in event:
        raise error_from_body(event, 500)
    return event


def error_from_body(body: Any, status_code: int) -> RunnerHTTPError:
    """The ``RunnerHTTPError`` for a decoded llama.cpp error body (any shape is tolerated)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        return RunnerHTTPError(
            str(error.get("message") or "runner error"),
            code if isinstance(code, int) else status_code,
            str(error.get("type") or ""),
        )
    return RunnerHTTPError(str(error or body or "runner error"), status_code)


def error_from_response(status_code: int, content: bytes) -> RunnerHTTPError:
    """The ``RunnerHTTPError`` for a non-200 response body, JSON or not."""
    try:
        body = json.loads(content)
    except ValueError:
        body = content.decode("utf-8", "replace").strip()
    return error_from_body(body, status_code)
