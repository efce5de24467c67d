"""HTTP for the OpenAI-compatible routes: OpenAI's error shape and server-sent events.

* :class:`OpenAIRoute` -- the route class of every ``/v1`` router: any error a handler raises
  (invalid JSON, validation, unknown model, engine failure) is answered with the status the
  native API would use and OpenAI's body ``{"error": {"message", "type", "param", "code"}}``.
* :func:`sse_response` -- a stream of objects as ``data: <json>\\n\\n`` events ended by
  ``data: [DONE]``. An error before the first event is an ordinary error answer; one after it
  is a last ``data: {"error": ...}`` event (the OpenAI SDKs raise it), with no ``[DONE]``.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from pollama.errors import PollamaError
from pollama.openai.errors import error_body
from pollama.server.errors import status_of
from pollama.server.streaming import JSON_MEDIA_TYPE

SSE_MEDIA_TYPE = "text/event-stream"
log = logging.getLogger("pollama.server")


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _describe(err: BaseException) -> tuple[str, int]:
    if isinstance(err, ClientDisconnect):  # gone while sending its body: nobody to answer
        return "client disconnected", 499
    if isinstance(err, HTTPException):
        return str(err.detail), err.status_code
    if isinstance(err, PollamaError):
        return str(err), status_of(err)
    log.exception("unhandled error", exc_info=err)
    return "internal server error", 500


def openai_error(err: BaseException) -> Response:
    """The error answer for ``err`` in OpenAI's shape, with the native status."""
    message, status = _describe(err)
    return Response(
        _json(error_body(message, status)),
        status_code=status,
        media_type=JSON_MEDIA_TYPE,
        headers={"Retry-After": "1"} if status == 503 else None,
    )


class OpenAIRoute(APIRoute):
    """A route whose errors are answered in OpenAI's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as err:
                return openai_error(err)

        return route


def _event(obj: Any) -> bytes:
    return b"data: " + _json(obj) + b"\n\n"


async def sse_response(events: AsyncGenerator[dict[str, Any], None]) -> Response:
    """Stream ``events`` as server-sent events (see the module docstring)."""
    try:
        first = await anext(events)
    except StopAsyncIteration:
        first = None
    except Exception as err:
        await events.aclose()
        return openai_error(err)

    async def body() -> AsyncIterator[bytes]:
        async with contextlib.aclosing(events):
            try:
                if first is not None:
                    yield _event(first)
                async for item in events:
                    yield _event(item)
            except Exception as err:
                message, status = _describe(err)
                yield _event(error_body(message, status))
                return
        yield b"data: [DONE]\n\n"

    return StreamingResponse(
        body(), media_type=SSE_MEDIA_TYPE, headers={"Cache-Control": "no-cache"}
    )


__all__ = ["SSE_MEDIA_TYPE", "OpenAIRoute", "openai_error", "sse_response"]
