"""``POST /v1/chat/completions`` (spec §3.15): the request is translated into a native
``/api/chat`` body, the native chat handler runs on it, and its answer -- one object, or a
stream of chunks -- is re-encoded in OpenAI's shapes (server-sent events when streaming)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from pollama.openai import (
    ChatCompletionRequest,
    ChatStream,
    Envelope,
    chat_completion,
    native_chat_request,
    reencode,
)
from pollama.server.body import read_body
from pollama.server.native import native_object, native_stream
from pollama.server.openai_wire import OpenAIRoute, sse_response
from pollama.server.routes.chat import chat as native_chat
from pollama.server.streaming import json_response

router = APIRouter(route_class=OpenAIRoute)


@router.post("/v1/chat/completions")
async def chat_completions(request: Request) -> Response:
    req = await read_body(request, ChatCompletionRequest)
    body = native_chat_request(req)
    envelope = Envelope.new("chatcmpl", req.model)
    if not req.stream:
        answer = await native_object(native_chat, request, body)
        return json_response(chat_completion(answer, envelope))
    chunks = ChatStream(envelope, include_usage=req.include_usage)
    return await sse_response(reencode(native_stream(native_chat, request, body), chunks.feed))


__all__ = ["router"]
