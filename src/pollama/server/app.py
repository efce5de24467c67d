"""The FastAPI application: routes, the error mapping and the request guard."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from pollama import __version__
from pollama.errors import PollamaError
from pollama.server.errors import response_for
from pollama.server.guard import GuardMiddleware
from pollama.server.routes import (
    blobs,
    chat,
    create,
    embed,
    generate,
    meta,
    models,
    openai_chat,
    openai_completions,
    openai_embeddings,
    openai_models,
    ps,
    pull,
)
from pollama.server.state import AppState


def create_app(state: AppState) -> FastAPI:
    """An application serving Ollama's API over ``state``'s store."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await state.scheduler.shutdown()  # no runner outlives the server
        state.registry.close()

    app = FastAPI(
        title="pollama", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan
    )
    app.state.pollama = state
    for module in (meta, models, blobs, create, generate, chat, embed, ps, pull):
        app.include_router(module.router)
    # The OpenAI-compatible API (/v1), translated to and from the native routes above.
    for module in (openai_models, openai_chat, openai_completions, openai_embeddings):
        app.include_router(module.router)
    app.add_exception_handler(PollamaError, _pollama_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(
        GuardMiddleware,
        check_host=state.settings.host.is_loopback(),
        origins=state.settings.origins,
    )
    return app


async def _pollama_error(request: Request, exc: Exception) -> Response:
    return response_for(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return PlainTextResponse("404 page not found", status_code=404)
    if status == 405:
        return PlainTextResponse("405 method not allowed", status_code=405)
    return response_for(exc)


__all__ = ["create_app"]
