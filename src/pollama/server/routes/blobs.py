"""Blob upload: ``HEAD`` and ``POST /api/blobs/{digest}`` (spec §3.9)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pollama.digest import Digest
from pollama.errors import NotFound
from pollama.server.state import state_of

router = APIRouter()
_WRITE_BATCH = 4 << 20


@router.head("/api/blobs/{digest}")
async def has_blob(request: Request, digest: str) -> Response:
    parsed = Digest.parse(digest)
    if not state_of(request).store.has_blob(parsed):
        raise NotFound(f'blob "{digest}" not found')
    return Response(status_code=200)


@router.post("/api/blobs/{digest}")
async def upload_blob(request: Request, digest: str) -> Response:
    """Store the request body under ``digest``; 201 when written, 200 when already present."""
    expected = Digest.parse(digest)
    store = state_of(request).store
    if store.has_blob(expected):
        return Response(status_code=200)
    writer = await run_in_threadpool(store.blob_writer, expected)
    with writer:
        batch = bytearray()
        async for chunk in request.stream():
            batch += chunk
            if len(batch) >= _WRITE_BATCH:
                await run_in_threadpool(writer.write, bytes(batch))
                batch.clear()
        await run_in_threadpool(writer.write, bytes(batch))
        await run_in_threadpool(writer.commit)
    return Response(status_code=201)
