"""The native-handler bridge and the SSE/error layer of the OpenAI routes, with fake handlers.

Streaming and cancellation over real sockets are proven in tests/e2e/test_openai.py; these pin
down how native answers and errors are read and re-encoded.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Message

from pollama.errors import BadRequest, ModelNotFound
from pollama.server.errors import error_response
from pollama.server.native import NativeFailure, native_object, native_stream, rebodied
from pollama.server.openai_wire import openai_error, sse_response
from pollama.server.streaming import json_response

SCOPE = {"type": "http", "method": "POST", "path": "/v1/x", "headers": [], "query_string": b""}


def client_request() -> Request:
    """A request whose client sends nothing more and then disconnects."""

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    return Request(dict(SCOPE), receive)


def test_handler_gets_the_translated_body_then_the_clients_disconnect() -> None:
    async def run() -> list[Message]:
        request = rebodied(client_request(), b'{"a":1}')
        return [await request.receive(), await request.receive()]

    assert asyncio.run(run()) == [
        {"type": "http.request", "body": b'{"a":1}', "more_body": False},
        {"type": "http.disconnect"},
    ]


def test_native_object() -> None:
    seen: list[Any] = []

    async def handler(request: Request) -> Response:
        seen.append(await request.json())
        return json_response({"done": True})

    assert asyncio.run(native_object(handler, client_request(), {"model": "m"})) == {"done": True}
    assert seen == [{"model": "m"}]


@pytest.mark.parametrize(
    ("response", "status", "message"),
    [
        (error_response("model 'x' not found", 404), 404, "model 'x' not found"),
        (error_response("server busy", 503), 503, "server busy"),
        (Response(status_code=499), 499, "client closed request"),
    ],
)
def test_native_error_answers_keep_their_status(
    response: Response, status: int, message: str
) -> None:
    async def handler(request: Request) -> Response:
        return response

    with pytest.raises(NativeFailure) as err:
        asyncio.run(native_object(handler, client_request(), {}))
    assert (err.value.status_code, str(err.value)) == (status, message)


async def collect(items: AsyncIterator[Any]) -> list[Any]:
    out = []
    try:
        async for item in items:
            out.append(item)
    except NativeFailure as err:
        out.append((err.status_code, str(err)))
    return out


def test_native_stream_splits_lines_across_chunks_and_raises_error_lines() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"a":1}\n{"b"'
        yield b':2}\n\n{"error":"runner stopped"}\n'

    async def handler(request: Request) -> Response:
        return StreamingResponse(body())

    items = asyncio.run(collect(native_stream(handler, client_request(), {})))
    assert items == [{"a": 1}, {"b": 2}, (500, "runner stopped")]


def test_native_stream_of_a_plain_answer() -> None:
    async def handler(request: Request) -> Response:
        return Response(b"", media_type="application/x-ndjson")

    assert asyncio.run(collect(native_stream(handler, client_request(), {}))) == []


def test_closing_the_native_stream_closes_the_handlers_body() -> None:
    closed = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b'{"a":1}\n'
        finally:
            closed.set()

    async def handler(request: Request) -> Response:
        return StreamingResponse(body())

    async def run() -> bool:
        stream = native_stream(handler, client_request(), {})
        assert await anext(stream) == {"a": 1}
        await stream.aclose()
        return closed.is_set()

    assert asyncio.run(run())


@pytest.mark.parametrize(
    ("err", "status", "kind", "message"),
    [
        (BadRequest("bad"), 400, "invalid_request_error", "bad"),
        (ModelNotFound("model 'x' not found"), 404, "not_found_error", "model 'x' not found"),
        (NativeFailure("server busy", 503), 503, "api_error", "server busy"),
        (RuntimeError("secret detail"), 500, "api_error", "internal server error"),
    ],
)
def test_openai_error(err: Exception, status: int, kind: str, message: str) -> None:
    response = openai_error(err)
    assert response.status_code == status
    assert json.loads(bytes(response.body)) == {
        "error": {"message": message, "type": kind, "param": None, "code": None}
    }
    assert (response.headers.get("retry-after") == "1") == (status == 503)


async def events(*items: Any) -> AsyncGenerator[dict[str, Any], None]:
    for item in items:
        if isinstance(item, Exception):
            raise item
        yield item


async def sse(*items: Any) -> tuple[int, bytes]:
    response = await sse_response(events(*items))
    if not isinstance(response, StreamingResponse):
        return response.status_code, bytes(response.body)
    assert response.media_type == "text/event-stream"
    chunks = [c async for c in response.body_iterator]
    return response.status_code, b"".join(
        c if isinstance(c, bytes) else str(c).encode() for c in chunks
    )


def test_sse_events_end_with_done() -> None:
    status, body = asyncio.run(sse({"a": "é"}, {"b": 2}))
    assert status == 200
    assert body == 'data: {"a":"é"}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n'.encode()


def test_sse_error_before_the_first_event_is_an_error_answer() -> None:
    status, body = asyncio.run(sse(ModelNotFound("model 'x' not found")))
    assert status == 404 and json.loads(body)["error"]["type"] == "not_found_error"


def test_sse_error_after_the_first_event_is_the_last_event() -> None:
    status, body = asyncio.run(sse({"a": 1}, NativeFailure("runner stopped", 500)))
    assert status == 200
    assert body == (
        b'data: {"a":1}\n\n'
        b'data: {"error":{"message":"runner stopped","type":"api_error","param":null,"code":null}}\n\n'
    )
