"""``POST /api/pull`` and ``POST /api/push`` (spec §3.13, §3.14): NDJSON progress, or with
``stream: false`` the last status alone.

A pull asks the model's registry first and, when no registry answers or it lacks the model, the
catalog of model packs. A push sends the model to the registry its name names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from pollama.api.types import Request as RequestBody
from pollama.errors import BadRequest, InvalidName, PollamaError
from pollama.names import ModelName
from pollama.progress import Progress
from pollama.pull import pull_from
from pollama.registry import push_to_registry
from pollama.server.body import read_body
from pollama.server.state import state_of
from pollama.server.streaming import iterate_in_thread, stream_or_collapse
from pollama.sources import CatalogSource, default_catalog

router = APIRouter()


class TransferRequest(RequestBody):
    """``{"model" (or "name"), "insecure"?, "stream"?}``; ``username``/``password`` are ignored."""

    model: str = ""
    name: str = ""
    insecure: bool = False
    stream: bool = True

    def model_name(self) -> ModelName:
        """The named model; InvalidName (400) for a malformed name."""
        name = ModelName.parse(self.model or self.name)
        if not name.is_valid():
            raise InvalidName("invalid model name")
        return name


@router.post("/api/pull")
async def pull(request: Request) -> Response:
    state = state_of(request)
    req = await read_body(request, TransferRequest)
    name = req.model_name()
    sources = (
        state.registry.source(),
        CatalogSource(default_catalog(), state.packs, state.gguf.read),
    )
    return await _progress_response(
        request,
        req.stream,
        lambda: pull_from(
            state.store,
            name,
            sources,
            insecure=req.insecure,
            noprune=state.settings.noprune,
        ),
    )


@router.post("/api/push")
async def push(request: Request) -> Response:
    state = state_of(request)
    req = await read_body(request, TransferRequest)
    if not (req.model or req.name):
        raise BadRequest("model is required")  # Ollama's push checks this before the name
    name = req.model_name()
    return await _progress_response(
        request,
        req.stream,
        lambda: push_to_registry(state.store, name, state.registry.client(name, req.insecure)),
    )


async def _progress_response(
    request: Request, stream: bool, make: Callable[[], Generator[Progress, None, None]]
) -> Response:
    async def events() -> AsyncIterator[dict[str, Any]]:
        try:
            async for item in iterate_in_thread(make):
                yield item.to_json()
        except PollamaError as err:
            if stream:
                raise
            # Ollama answers a failed transfer without streaming with 500, whatever the cause.
            raise PollamaError(str(err)) from err

    return await stream_or_collapse(events(), stream, request=request)
