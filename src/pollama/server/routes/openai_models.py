"""``GET /v1/models`` and ``GET /v1/models/{model}`` (spec §3.15): the local models as OpenAI
model objects."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pollama.errors import ModelNotFound
from pollama.names import ModelName
from pollama.openai import model_list, model_object
from pollama.server.openai_wire import OpenAIRoute
from pollama.server.state import AppState, state_of
from pollama.server.streaming import json_response

router = APIRouter(route_class=OpenAIRoute)


@router.get("/v1/models")
async def list_models(request: Request) -> Response:
    entries = await run_in_threadpool(state_of(request).store.list_models)
    return json_response(model_list((entry.name, entry.modified) for entry in entries))


# ``:path`` because names may hold slashes (``namespace/model``, ``host/namespace/model``).
@router.get("/v1/models/{model:path}")
async def retrieve_model(request: Request, model: str) -> Response:
    name = ModelName.parse(model)
    modified = await run_in_threadpool(_modified, state_of(request), name, model)
    return json_response(model_object(name, modified, model_id=model))


def _modified(state: AppState, name: ModelName, text: str) -> datetime:
    """When the model's manifest was written; raises ModelNotFound (named as requested)."""
    try:
        if not name.is_valid():
            raise ModelNotFound(text)
        state.store.read_manifest(name)
        return state.store.manifest_mtime(name)
    except (ModelNotFound, FileNotFoundError):
        raise ModelNotFound(f"model '{text}' not found") from None


__all__ = ["router"]
