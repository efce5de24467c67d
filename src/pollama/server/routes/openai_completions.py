"""``POST /v1/completions`` (spec §3.15): OpenAI's legacy completions, run by the native
``/api/generate`` handler on a translated body and re-encoded as ``text_completion`` objects
(server-sent events when streaming)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from pollama.openai import (
    CompletionRequest,
    CompletionStream,
    Envelope,
    native_generate_request,
    reencode,
    text_completion,
)
from pollama.server.body import read_body
from pollama.server.native import native_object, native_stream
from pollama.server.openai_wire import OpenAIRoute, sse_response
from pollama.server.routes.generate import generate as native_generate
from pollama.server.streaming import json_response

router = APIRouter(route_class=OpenAIRoute)


@router.post("/v1/completions")
async def completions(request: Request) -> Response:
    req = await read_body(request, CompletionRequest)
    body = native_generate_request(req)
    envelope = Envelope.new("cmpl", req.model)
    echo = body["prompt"] if req.echo else ""
    if not req.stream:
        answer = await native_object(native_generate, request, body)
        return json_response(text_completion(answer, envelope, echo))
    chunks = CompletionStream(envelope, include_usage=req.include_usage, echo=echo)
    return await sse_response(reencode(native_stream(native_generate, request, body), chunks.feed))


__all__ = ["router"]
