"""``POST /v1/embeddings`` (spec §3.15): OpenAI's embeddings on pollama's shared embedding
path (:func:`pollama.server.embed.embed`, which ``/api/embed`` uses too)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from pollama.openai import EmbeddingRequest, embedding_inputs, embedding_list, encoding_format
from pollama.server.body import read_body
from pollama.server.embed import embed
from pollama.server.openai_wire import OpenAIRoute
from pollama.server.state import state_of
from pollama.server.streaming import json_response

router = APIRouter(route_class=OpenAIRoute)


@router.post("/v1/embeddings")
async def embeddings(request: Request) -> Response:
    req = await read_body(request, EmbeddingRequest)
    encoding = encoding_format(req.encoding_format)
    inputs = embedding_inputs(req.input)
    result = await embed(state_of(request), req.model, inputs, dimensions=req.dimensions or 0)
    body = embedding_list(result.vectors, result.prompt_eval_count, req.model, encoding)
    return json_response(body)


__all__ = ["router"]
