"""OpenAI's error body, ``{"error": {"message", "type", "param", "code"}}`` (spec §3.15).

The HTTP status is the native one; only the body's shape changes. The ``type`` follows from the
status: 400 is ``invalid_request_error``, 404 ``not_found_error``, anything else ``api_error``.
"""

from __future__ import annotations

from typing import Any

_TYPES = {400: "invalid_request_error", 404: "not_found_error"}


def error_type(status: int) -> str:
    return _TYPES.get(status, "api_error")


def error_body(message: str, status: int) -> dict[str, Any]:
    """The OpenAI error object for ``message`` answered with ``status``."""
    return {"error": {"message": message, "type": error_type(status), "param": None, "code": None}}


__all__ = ["error_body", "error_type"]
