"""``POST /api/create`` (spec §3.8, §9.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from pollama.api.types import CreateRequest
from pollama.create import CreateSpec, create_model
from pollama.digest import Digest
from pollama.errors import BadRequest
from pollama.names import ModelName
from pollama.server.body import read_body
from pollama.server.state import state_of
from pollama.server.streaming import iterate_in_thread, stream_or_collapse

router = APIRouter()


@router.post("/api/create")
async def create(request: Request) -> Response:
    state = state_of(request)
    req = await read_body(request, CreateRequest)
    spec = to_spec(req)

    async def events() -> AsyncIterator[dict[str, Any]]:
        progress = iterate_in_thread(lambda: create_model(state.store, spec, state.gguf.read))
        async for item in progress:
            yield item.to_json()

    return await stream_or_collapse(events(), req.stream)


def to_spec(req: CreateRequest) -> CreateSpec:
    """Validate a create request (the immediate 400s of spec §3.8)."""
    name = ModelName.parse(req.target)
    if not name.is_valid():
        raise BadRequest("invalid model name")
    if req.quantize or req.quantization:
        raise BadRequest("quantization is not supported by this server yet")
    return CreateSpec(
        name=name,
        from_model=req.from_,
        files=_digests(req.files),
        adapters=_digests(req.adapters),
        template=req.template,
        system=req.system,
        licenses=tuple(req.licenses),
        parameters=req.parameters,
        messages=[m.model_dump(exclude_none=True) for m in req.messages] if req.messages else None,
        renderer=req.renderer,
        parser=req.parser,
        requires=req.requires,
    )


def _digests(files: dict[str, str] | None) -> dict[str, Digest]:
    out: dict[str, Digest] = {}
    for filename, digest in (files or {}).items():
        path = PurePosixPath(filename)
        if not filename or path.is_absolute() or ".." in path.parts or "\\" in filename:
            raise BadRequest("file path must be relative")
        if not digest:
            raise BadRequest("invalid digest format")
        out[filename] = Digest.parse(digest)
    return out
