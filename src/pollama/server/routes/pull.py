"""``POST /api/pull`` (spec §3.13): NDJSON progress, or the last status with ``stream: false``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from pollama.api.types import Request as RequestBody
from pollama.errors import InvalidName, PollamaError
from pollama.names import ModelName
from pollama.pull import pull_model
from pollama.server.body import read_body
from pollama.server.state import state_of
from pollama.server.streaming import iterate_in_thread, stream_or_collapse
from pollama.sources import PyPIFetcher, default_catalog

router = APIRouter()


class PullRequest(RequestBody):
    """``{"model" (or "name"), "insecure"?, "stream"?}``; ``username``/``password`` are ignored."""

    model: str = ""
    name: str = ""
    insecure: bool = False
    stream: bool = True


@router.post("/api/pull")
async def pull(request: Request) -> Response:
    state = state_of(request)
    req = await read_body(request, PullRequest)
    name = ModelName.parse(req.model or req.name)
    if not name.is_valid():
        raise InvalidName("invalid model name")
    # The model cache is located by the server's environment, read here at the edge.
    fetcher = PyPIFetcher(os.environ)

    async def events() -> AsyncIterator[dict[str, Any]]:
        progress = iterate_in_thread(
            lambda: pull_model(
                state.store,
                name,
                catalog=default_catalog(),
                fetcher=fetcher,
                insecure=req.insecure,
                noprune=state.settings.noprune,
                read_gguf=state.gguf.read,
            )
        )
        try:
            async for item in progress:
                yield item.to_json()
        except PollamaError as err:
            if req.stream:
                raise
            # Ollama answers a failed pull without streaming with 500, whatever the cause.
            raise PollamaError(str(err)) from err

    return await stream_or_collapse(events(), req.stream, request=request)
