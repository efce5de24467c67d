"""Tool calls between OpenAI's shape and the native one (spec §3.2 ToolCall, §3.15).

OpenAI: ``{"id", "index"?, "type": "function", "function": {"name", "arguments": "<JSON text>"}}``.
Native: ``{"id"?, "function": {"index", "name", "arguments": {...}}}``, arguments a JSON object.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Mapping
from typing import Any

from pollama.errors import BadRequest
from pollama.openai.types import ToolCall

_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_call_id() -> str:
    """A tool call id in Ollama's form: ``call_`` and 8 characters from ``[a-z0-9]``."""
    return "call_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def native_tool_call(call: ToolCall, index: int) -> dict[str, Any]:
    """An assistant message's OpenAI tool call as a native one; raises BadRequest
    ``invalid tool call arguments`` when the arguments are not a JSON object."""
    function = {"index": index, "name": call.function.name, "arguments": _arguments(call)}
    native: dict[str, Any] = {"function": function}
    if call.id:
        native["id"] = call.id
    return native


def _arguments(call: ToolCall) -> dict[str, Any]:
    raw = call.function.arguments
    if raw is None or raw == "":
        return {}  # a call without parameters; some clients send no arguments at all
    if isinstance(raw, dict):
        return raw  # already decoded: not OpenAI's shape, but unambiguous
    try:
        value = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise BadRequest("invalid tool call arguments")
    return value


def openai_tool_call(native: Mapping[str, Any], index: int) -> dict[str, Any]:
    """A native tool call of the answer in OpenAI's shape; ``index`` is used when the native
    call has none, and an id is made up when it has none."""
    function = native.get("function") or {}
    arguments = function.get("arguments")
    return {
        "id": native.get("id") or new_call_id(),
        "index": function.get("index", index),
        "type": "function",
        "function": {
            "name": function.get("name") or "",
            "arguments": json.dumps(
                arguments if arguments is not None else {},
                ensure_ascii=False,
                separators=(",", ":"),
            ),
        },
    }


__all__ = ["native_tool_call", "new_call_id", "openai_tool_call"]
