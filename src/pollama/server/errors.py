"""The one mapping from pollama's exceptions to HTTP statuses and ``{"error": ...}`` bodies."""

from __future__ import annotations

import json
import logging

from starlette.responses import Response

from pollama.errors import (
    BadRequest,
    EngineError,
    Forbidden,
    NotFound,
    PollamaError,
    RegistryError,
    ServerBusy,
)

log = logging.getLogger("pollama.server")

# Most specific first; the first class an error is an instance of decides its status.
STATUS_BY_ERROR: tuple[tuple[type[PollamaError], int], ...] = (
    (BadRequest, 400),
    (Forbidden, 403),
    (NotFound, 404),
    (ServerBusy, 503),
    (EngineError, 500),
    (RegistryError, 500),
    (PollamaError, 500),
)


def status_of(err: BaseException) -> int:
    """The HTTP status for ``err``: 500 for anything that is not a PollamaError."""
    for cls, status in STATUS_BY_ERROR:
        if isinstance(err, cls):
            return int(getattr(err, "status_code", status))
    return 500


def error_response(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps({"error": message}),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers=headers,
    )


def response_for(err: BaseException) -> Response:
    """The JSON error response for an exception raised while handling a request."""
    status = status_of(err)
    if not isinstance(err, PollamaError):
        log.exception("unhandled error", exc_info=err)
        return error_response("internal server error", 500)
    headers = {"Retry-After": "1"} if status == 503 else None
    return error_response(str(err), status, headers)


__all__ = ["STATUS_BY_ERROR", "error_response", "response_for", "status_of"]
