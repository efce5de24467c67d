"""``POST /api/embed`` (spec §3.6) and the legacy ``POST /api/embeddings`` (spec §3.7)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from pollama.api.types import EmbeddingsRequest, EmbedRequest
from pollama.errors import BadRequest
from pollama.server.body import read_body
from pollama.server.embed import embed
from pollama.server.state import state_of
from pollama.server.streaming import json_response

router = APIRouter()


@router.post("/api/embed")
async def embed_batch(request: Request) -> Response:
    req = await read_body(request, EmbedRequest)
    result = await embed(
        state_of(request),
        req.model,
        embed_inputs(req.input),
        truncate=req.truncate is not False,
        dimensions=req.dimensions or 0,
        keep_alive=req.keep_alive,
        options=req.options,
    )
    return json_response(result.api_embed())


@router.post("/api/embeddings")
async def embed_legacy(request: Request) -> Response:
    req = await read_body(request, EmbeddingsRequest)
    if not req.model:
        raise BadRequest("model is required")
    inputs = [req.prompt] if req.prompt else []
    result = await embed(
        state_of(request),
        req.model,
        inputs,
        keep_alive=req.keep_alive,
        options=req.options,
        normalize=False,  # the legacy endpoint returns the engine's vector as it is
    )
    return json_response({"embedding": result.vectors[0] if result.vectors else []})


def embed_inputs(value: object) -> list[str]:
    """``/api/embed``'s ``input`` as a list: a string is one input (``""`` none), a list must
    hold strings only, null or absent is none; anything else is 400 ``invalid input type``."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise BadRequest("invalid input type")


__all__ = ["embed_inputs", "router"]
