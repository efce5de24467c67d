"""Liveness and version: ``/`` and ``/api/version``."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import PlainTextResponse, Response

from pollama import OLLAMA_COMPAT_VERSION
from pollama.server.streaming import json_response

router = APIRouter()


@router.api_route("/", methods=["GET", "HEAD"])
async def root() -> Response:
    return PlainTextResponse("Ollama is running")


@router.api_route("/api/version", methods=["GET", "HEAD"])
async def version() -> Response:
    return json_response({"version": OLLAMA_COMPAT_VERSION})
