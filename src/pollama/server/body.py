"""Reading JSON request bodies with Ollama's error messages instead of FastAPI's 422s."""

from __future__ import annotations

import json
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from pollama.errors import BadRequest

T = TypeVar("T", bound=BaseModel)
MAX_JSON_BODY = 64 << 20


async def read_body(request: Request, model: type[T]) -> T:
    """Parse the request body as ``model``; raises BadRequest with a readable message."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_JSON_BODY:
            raise BadRequest("request body is too large")
    if not raw.strip():
        raise BadRequest("missing request body")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as err:
        raise BadRequest(f"invalid JSON: {err}") from None
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise BadRequest(_describe(err)) from None


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"invalid value for {where}: {first['msg']}" if where else first["msg"]


__all__ = ["read_body"]
