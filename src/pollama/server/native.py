"""Running a native route handler on a translated body, for the compatibility APIs.

The OpenAI routes translate their request into a native body and run the native handler
(``/api/chat``, ``/api/generate``, ...) on it, so everything the native API does -- validation,
scheduling, thinking, tool calls, structured outputs, statistics -- applies unchanged (spec
§3.15: "the native handler runs, and the output is re-encoded"). The handler gets a request
like the client's whose body is the translated JSON, with the client's connection behind it, so
a client that goes away still cancels the generation.

Errors: a PollamaError raised by the handler passes through unchanged; an error answer (status
400 or more with ``{"error": ...}``) and an ``{"error": ...}`` line in a stream are raised as
:class:`NativeFailure`, which carries the native status.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Message

from pollama.errors import PollamaError

Handler = Callable[[Request], Awaitable[Response]]


class NativeFailure(PollamaError):
    """A native handler answered with an error; ``status_code`` is its HTTP status."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def rebodied(request: Request, body: bytes) -> Request:
    """A request with ``request``'s scope and connection whose body is ``body``."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await request.receive()  # after the body, only the client's disconnect comes

    return Request(request.scope, receive)


async def _call(handler: Handler, request: Request, body: dict[str, Any]) -> Response:
    response = await handler(rebodied(request, json.dumps(body).encode()))
    if response.status_code >= 400:
        raise _failure(response)
    return response


def _failure(response: Response) -> NativeFailure:
    try:
        message = str(json.loads(bytes(response.body))["error"])
    except (ValueError, KeyError, TypeError):
        message = "client closed request" if response.status_code == 499 else "request failed"
    return NativeFailure(message, response.status_code)


async def native_object(handler: Handler, request: Request, body: dict[str, Any]) -> Any:
    """The JSON answer of ``handler`` to ``body`` (which asks for no stream)."""
    response = await _call(handler, request, body)
    return json.loads(bytes(response.body))


async def native_stream(
    handler: Handler, request: Request, body: dict[str, Any]
) -> AsyncGenerator[dict[str, Any], None]:
    """The objects of ``handler``'s NDJSON stream for ``body``, in order. The handler runs at
    the first step, so errors it reports before streaming surface there."""
    response = await _call(handler, request, body)
    if not isinstance(response, StreamingResponse):  # an empty stream is a plain response
        for line in bytes(response.body).splitlines():
            yield _item(line)
        return
    chunks = response.body_iterator
    buffer = b""
    try:
        async for chunk in chunks:
            buffer += chunk.encode() if isinstance(chunk, str) else bytes(chunk)
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line.strip():
                    yield _item(line)
        if buffer.strip():
            yield _item(buffer)
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()  # stops the generation when our consumer stopped early


def _item(line: bytes) -> dict[str, Any]:
    item: dict[str, Any] = json.loads(line)
    if "error" in item and "done" not in item:  # the native stream's mid-stream error line
        raise NativeFailure(str(item["error"]), 500)
    return item


__all__ = ["Handler", "NativeFailure", "native_object", "native_stream", "rebodied"]
