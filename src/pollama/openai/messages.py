"""OpenAI chat messages as native messages (spec §3.15, "Message content").

* ``content`` is a string, or an array of parts: ``text``, ``image_url`` (a base64 data URI; the
  URL is either the part's value or its ``url``) and ``input_audio`` (``data``, base64). The
  parts of one message become one native message: texts joined by a blank line, images and
  audio in order. Ollama makes one message per part and then collates consecutive messages of
  one role in exactly this way when it renders a Go template; merging here gives Jinja
  templates, which do not collate, the same single turn.
* ``content`` may be null only when the message carries ``tool_calls``.
* A ``tool`` message's ``tool_name`` is its ``name``, else the name of the call its
  ``tool_call_id`` answers, found in earlier assistant messages.
* ``reasoning`` (or ``reasoning_content``) becomes ``thinking``; the ``developer`` role, which
  newer OpenAI clients send instead of ``system``, becomes ``system``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from typing import Any

from pollama.errors import BadRequest
from pollama.openai.options import json_type
from pollama.openai.tool_calls import native_tool_call
from pollama.openai.types import ChatMessage

_DATA_URI = re.compile(r"data:(?:image/(?:jpeg|jpg|png|webp))?;base64,", re.IGNORECASE)
_ROLES = {"developer": "system"}


def native_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """The native ``messages`` of a chat request; raises BadRequest with Ollama's messages."""
    call_names: dict[str, str] = {}
    out = []
    for message in messages:
        out.append(_native_message(message, call_names))
        for call in message.tool_calls or ():
            if call.id:
                call_names[call.id] = call.function.name
    return out


def _native_message(message: ChatMessage, call_names: dict[str, str]) -> dict[str, Any]:
    role = message.role.lower()
    role = _ROLES.get(role, role)
    text, images = _content(message)
    native: dict[str, Any] = {"role": role, "content": text}
    if images:
        native["images"] = images
    if message.tool_calls:
        native["tool_calls"] = [native_tool_call(c, i) for i, c in enumerate(message.tool_calls)]
    if thinking := message.reasoning or message.reasoning_content:
        native["thinking"] = thinking
    if role == "tool" and (name := message.name or call_names.get(message.tool_call_id or "")):
        native["tool_name"] = name
    if message.tool_call_id:
        native["tool_call_id"] = message.tool_call_id
    return native


def _content(message: ChatMessage) -> tuple[str, list[str]]:
    content = message.content
    if isinstance(content, str):
        return content, []
    if content is None:
        if message.tool_calls:
            return "", []
        raise BadRequest(f"invalid message content type: {json_type(content)}")
    texts: list[str] = []
    media: list[str] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            texts.append(str(part.get("text") or ""))
        elif kind == "image_url":
            media.append(image_data(part.get("image_url")))
        elif kind == "input_audio":
            media.append(
                _base64((part.get("input_audio") or {}).get("data"), "invalid audio input")
            )
        else:
            raise BadRequest(
                f"invalid message part type: {kind!r}" if kind else "invalid message format"
            )
    return "\n\n".join(texts), media


def image_data(value: object) -> str:
    """The base64 payload of an ``image_url`` part's value (a URL, or ``{"url": ...}``);
    raises BadRequest for remote URLs and for anything that is not a base64 image data URI."""
    url = value.get("url") if isinstance(value, dict) else value
    if not isinstance(url, str):
        raise BadRequest("invalid image input")
    if url.startswith(("http://", "https://")):
        raise BadRequest(
            "image URLs are not currently supported, please use base64 encoded data instead"
        )
    match = _DATA_URI.match(url)
    if match is None:
        raise BadRequest("invalid image input")
    return _base64(url[match.end() :], "invalid image input")


def _base64(payload: object, error: str) -> str:
    """``payload`` when it is valid base64 (the native API takes base64 strings as they are)."""
    if not isinstance(payload, str):
        raise BadRequest(error)
    try:
        base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(error) from None
    return payload


__all__ = ["image_data", "native_messages"]
