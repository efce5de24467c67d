"""Turning event iterators into NDJSON streams or single JSON responses.

Domain code yields events; routes hand the iterator to :func:`stream_or_collapse`. Errors raised
before the first event become an ordinary error response with its status; errors after streaming
began become the stream's last line, ``{"error": "..."}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from pollama.errors import PollamaError
from pollama.server.errors import response_for

JSON_MEDIA_TYPE = "application/json; charset=utf-8"
NDJSON_MEDIA_TYPE = "application/x-ndjson"
_DONE = object()
log = logging.getLogger("pollama.server")


def json_response(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        media_type=JSON_MEDIA_TYPE,
    )


async def iterate_in_thread(make: Callable[[], Generator[Any, None, None]]) -> AsyncIterator[Any]:
    """Run a blocking generator in a worker thread and yield its items on the event loop.

    If the consumer stops early, the generator is closed (in its thread) at its next step.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=64)
    stop = threading.Event()

    def put(item: Any) -> None:
        asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

    def run() -> None:
        try:
            generator = make()
            for item in generator:
                if stop.is_set():
                    generator.close()
                    return
                put(item)
            put(_DONE)
        except BaseException as err:  # handed to the consumer, which re-raises it
            put(err)

    threading.Thread(target=run, name="pollama-worker", daemon=True).start()
    try:
        while True:
            item = await queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        # Unblock a worker waiting on a full queue so that it can see ``stop`` and finish.
        while not queue.empty():
            queue.get_nowait()


class ClientGone(Exception):
    """The client disconnected before the answer was ready."""


async def _collect(
    events: AsyncIterator[dict[str, Any]], request: Request | None
) -> list[dict[str, Any]]:
    async def gather() -> list[dict[str, Any]]:
        return [item async for item in events]

    if request is None:
        return await gather()
    work = asyncio.ensure_future(gather())
    watch = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({work, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
    if not work.done():
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await work
        raise ClientGone()
    return work.result()


async def _disconnected(request: Request) -> None:
    """Returns once the client has gone (the body was already read, so only that can arrive)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _line(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


Collapse = Callable[[list[dict[str, Any]]], dict[str, Any]]


async def stream_or_collapse(
    events: AsyncIterator[dict[str, Any]],
    stream: bool,
    collapse: Collapse | None = None,
    request: Request | None = None,
) -> Response:
    """Stream ``events`` as NDJSON, or answer with the collapse of all of them.

    Without ``collapse`` the last event is the answer (progress streams end in their result).
    With ``request``, a client that disconnects while a collapsed answer is being produced
    cancels the work (a streamed answer is cancelled by the server when its client goes).
    """
    if not stream:
        try:
            items = await _collect(events, request)
        except ClientGone:
            return Response(status_code=499)
        except BaseException as err:
            return response_for(err)
        return json_response(collapse(items) if collapse else (items[-1] if items else {}))
    try:
        first = await anext(events)
    except StopAsyncIteration:
        return Response(b"", media_type=NDJSON_MEDIA_TYPE)
    except BaseException as err:
        return response_for(err)

    async def body() -> AsyncIterator[bytes]:
        yield _line(first)
        try:
            async for item in events:
                yield _line(item)
        except PollamaError as err:
            yield _line({"error": str(err)})
        except Exception:
            log.exception("unhandled error while streaming")
            yield _line({"error": "internal server error"})

    return StreamingResponse(body(), media_type=NDJSON_MEDIA_TYPE)


__all__ = ["iterate_in_thread", "json_response", "stream_or_collapse"]
