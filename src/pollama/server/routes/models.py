"""Local models: ``/api/tags``, ``/api/show``, ``/api/copy``, ``/api/delete``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pollama.api.types import CopyRequest, DeleteRequest, ShowRequest
from pollama.capabilities import capabilities
from pollama.errors import BadRequest, ModelNotFound
from pollama.gguf import GGUFInfo
from pollama.model import Model, load_model
from pollama.names import ModelName
from pollama.options import coerce_options
from pollama.server.body import read_body
from pollama.server.show import details, show_body
from pollama.server.state import AppState, state_of
from pollama.server.streaming import json_response
from pollama.store import ModelEntry
from pollama.timefmt import rfc3339_nano

router = APIRouter()


@router.api_route("/api/tags", methods=["GET", "HEAD"])
async def tags(request: Request) -> Response:
    state = state_of(request)
    models = await run_in_threadpool(_list_models, state)
    return json_response({"models": models})


def _list_models(state: AppState) -> list[dict[str, Any]]:
    return [_list_entry(state, entry) for entry in state.store.list_models()]


def _list_entry(state: AppState, entry: ModelEntry) -> dict[str, Any]:
    short = entry.name.short()
    out: dict[str, Any] = {
        "name": short,
        "model": short,
        "modified_at": rfc3339_nano(entry.modified),
        "size": entry.manifest.size,
        "digest": entry.manifest.digest.hex,
    }
    try:
        model = load_model(state.store, entry.name)
        out["details"] = details(model)
        out["capabilities"] = capabilities(model, _gguf_or_none(state, model))
    except Exception:  # one damaged model must not hide the others
        out["details"] = {}
    return out


def _gguf_or_none(state: AppState, model: Model) -> GGUFInfo | None:
    if model.model_path is None or not model.model_path.is_file():
        return None
    return state.gguf.read(model.model_path)


def parse_name(text: str) -> ModelName:
    """A valid model name, or BadRequest ``invalid model name``."""
    name = ModelName.parse(text)
    if not name.is_valid():
        raise BadRequest("invalid model name")
    return name


@router.post("/api/show")
async def show(request: Request) -> Response:
    state = state_of(request)
    req = await read_body(request, ShowRequest)
    if not req.target:
        raise BadRequest("model is required")
    name = ModelName.parse(req.target)
    if not name.is_valid():
        raise ModelNotFound(f"model '{req.target}' not found")
    options = coerce_options(req.options or {})[0]
    body = await run_in_threadpool(_show, state, name, req, options)
    return json_response(body)


def _show(state: AppState, name: ModelName, req: ShowRequest, options: dict[str, Any]) -> Any:
    model = load_model(state.store, name)
    projector = model.projectors[0] if model.projectors else None
    return show_body(
        state.store,
        model,
        _gguf_or_none(state, model),
        verbose=req.verbose,
        system=req.system,
        options=options,
        projector_info=state.gguf.read(projector) if projector is not None else None,
    )


@router.post("/api/copy")
async def copy(request: Request) -> Response:
    state = state_of(request)
    req = await read_body(request, CopyRequest)
    source, destination = ModelName.parse(req.source), ModelName.parse(req.destination)
    if not source.is_valid():
        raise BadRequest(f'source "{req.source}" is invalid')
    if not destination.is_valid():
        raise BadRequest(f'destination "{req.destination}" is invalid')
    await run_in_threadpool(_copy, state, source, destination, req.source)
    return Response(status_code=200)


def _copy(state: AppState, source: ModelName, destination: ModelName, raw: str) -> None:
    if state.store.resolve(source).parts() == state.store.resolve(destination).parts():
        return
    try:
        manifest = state.store.read_manifest(source)
    except ModelNotFound:
        raise ModelNotFound(f'model "{raw}" not found') from None
    state.store.write_manifest(destination, manifest)


@router.delete("/api/delete")
async def delete(request: Request) -> Response:
    state = state_of(request)
    req = await read_body(request, DeleteRequest)
    name = ModelName.parse(req.target)
    if not name.is_valid():
        raise BadRequest(f'name "{req.target}" is invalid')
    try:
        await run_in_threadpool(state.store.delete_model, name)
    except ModelNotFound:
        raise ModelNotFound(f"model '{req.target}' not found") from None
    return Response(status_code=200)
