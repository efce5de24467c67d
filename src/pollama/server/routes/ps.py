"""``GET /api/ps``: the models loaded in memory (spec §3.14)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from pollama.scheduler import LoadedModel
from pollama.server.state import state_of
from pollama.server.streaming import json_response
from pollama.timefmt import rfc3339_nano

router = APIRouter()
_LATEST = datetime.max.timestamp() - 86400  # datetime cannot hold Go's 292-year horizon


@router.get("/api/ps")
async def ps(request: Request) -> Response:
    loaded = state_of(request).scheduler.loaded()
    return json_response({"models": [_entry(model) for model in loaded]})


def _entry(model: LoadedModel) -> dict[str, Any]:
    expires = datetime.fromtimestamp(min(model.expires_at, _LATEST)).astimezone()
    return {
        **model.info,
        "size": model.size,
        "expires_at": rfc3339_nano(expires),
        "size_vram": 0,
        "context_length": model.context_length,
    }
