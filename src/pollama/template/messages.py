"""Chat messages, tool calls and tool definitions as prompt building receives them.

Plain value objects: the API layer converts its pydantic models to these (``from_dict`` accepts
the wire shape of spec §3.2). Mapping fields hold JSON data as decoded (dicts, lists, scalars).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call made by the assistant: ``{"id", "function": {"index", "name", "arguments"}}``."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    index: int = 0
    id: str = ""

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> ToolCall:
        """Build from the wire shape; missing fields take their defaults."""
        function = obj.get("function") or {}
        return cls(
            name=str(function.get("name") or ""),
            arguments=dict(function.get("arguments") or {}),
            index=int(function.get("index") or 0),
            id=str(obj.get("id") or ""),
        )


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message. ``images`` holds base64 strings or raw bytes, in order."""

    role: str
    content: str
    thinking: str = ""
    images: tuple[str | bytes, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_name: str = ""
    tool_call_id: str = ""

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> Message:
        """Build from the wire shape (``role``, ``content``, ``tool_calls``, ...)."""
        return cls(
            role=str(obj.get("role") or ""),
            content=str(obj.get("content") or ""),
            thinking=str(obj.get("thinking") or ""),
            images=tuple(obj.get("images") or ()),
            tool_calls=tuple(ToolCall.from_dict(tc) for tc in obj.get("tool_calls") or ()),
            tool_name=str(obj.get("tool_name") or ""),
            tool_call_id=str(obj.get("tool_call_id") or ""),
        )


@dataclass(frozen=True, slots=True)
class Tool:
    """A function the model may call. ``parameters`` is the JSON-schema object of the wire
    format (``type``, ``required``, ``properties``, ``$defs``, ``items``), key order preserved."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    type: str = "function"
    items: Any = None

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> Tool:
        """Build from ``{"type", "function": {"name", "description", "parameters"}}``."""
        function = obj.get("function") or {}
        return cls(
            name=str(function.get("name") or ""),
            description=str(function.get("description") or ""),
            parameters=dict(function.get("parameters") or {}),
            type=str(obj.get("type") or "function"),
            items=obj.get("items"),
        )


__all__ = ["Message", "Tool", "ToolCall"]
