"""Messages and tools as Ollama's templates see them: Go-shaped values for the executor.

Upstream converts ``api.Message``/``api.Tool`` to template structs (``templateMessage``,
``templateTool``...) before executing. The shapes below reproduce what templates can observe:

* field names (``.Role``, ``.ToolCalls``, ``.Function.Arguments``, ``.Function.Parameters.
  Properties``...);
* printed forms: a tool, a tool list, a tool function, tool-call arguments and a properties map
  print as compact JSON; a property's ``.Type`` prints as ``string`` (or ``[string null]``);
* JSON forms: Go's ``json`` tags and ``omitempty`` rules; the arguments map and the top-level
  properties map are Go maps, so their keys come out sorted, while nested property maps keep
  their order (upstream's ordered map);
* only the schema keys Go's structs declare survive (``default``, ``minimum``... are dropped).

One deliberate difference: upstream's ``templateToolFunction`` lost its ``String()`` method, so
``{{ .Function }}`` prints a Go struct there; here it prints JSON, as it did before that change and
as templates such as qwen2.5's expect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.template.messages import Message, Tool, ToolCall
from pollama.template.values import JSONList, JSONMap, OrderedJSONMap, Struct, to_json

TOOL_PROPERTY_TYPE = "api.ToolProperty"


class PropertyType(tuple[str, ...]):
    """A JSON-schema ``type``: one name or several (Go's ``api.PropertyType``)."""

    go_type = "api.PropertyType"

    def go_string(self) -> str:
        if len(self) == 1:
            return self[0]
        return "[" + " ".join(self) + "]" if self else ""

    def go_json(self) -> str:
        return to_json(self[0] if len(self) == 1 else list(self))


def message_value(message: Message) -> Struct:
    """``*template.templateMessage``; nil slices marshal as JSON null, as in Go."""
    calls = tuple(tool_call_value(tc) for tc in message.tool_calls)
    fields = {
        "Role": message.role,
        "Content": message.content,
        "Thinking": message.thinking,
        "Images": tuple(message.images),
        "ToolCalls": calls,
        "ToolName": message.tool_name,
        "ToolCallID": message.tool_call_id,
    }
    json = dict(fields, Images=list(message.images) or None, ToolCalls=list(calls) or None)
    return Struct("*template.templateMessage", fields, json=json)


def tool_call_value(call: ToolCall) -> Struct:
    """``template.templateToolCall`` with ``.ID`` and ``.Function.{Index,Name,Arguments}``."""
    function = Struct(
        "template.templateToolCallFunction",
        {"Index": call.index, "Name": call.name, "Arguments": JSONMap(call.arguments)},
    )
    return Struct("template.templateToolCall", {"ID": call.id, "Function": function})


def tools_value(tools: Sequence[Tool]) -> JSONList:
    """``.Tools``: prints as the JSON array of the tools (``null`` when there are none)."""
    return JSONList((tool_value(t) for t in tools), nil=True)


def tool_value(tool: Tool) -> Struct:
    """``template.templateTool``: ``.Type``, ``.Items``, ``.Function``; prints as JSON."""
    params = parameters_value(tool.parameters)
    function = Struct(
        "template.templateToolFunction",
        {"Name": tool.name, "Description": tool.description, "Parameters": params},
        json={"name": tool.name, "description": tool.description, "parameters": params},
        stringer=True,
    )
    json: dict[str, Any] = {"type": tool.type}
    if tool.items is not None:
        json["items"] = tool.items
    json["function"] = function
    fields = {"Type": tool.type, "Items": tool.items, "Function": function}
    return Struct("template.templateTool", fields, json=json, stringer=True)


def parameters_value(schema: Mapping[str, Any]) -> Struct:
    """``template.templateToolFunctionParameters``: ``.Type``, ``.Required``, ``.Properties``."""
    raw_props = schema.get("properties")
    props = JSONMap()
    if isinstance(raw_props, Mapping):
        props = JSONMap({str(k): property_value(v) for k, v in raw_props.items()})
    required = _strings(schema.get("required"))
    fields = {
        "Type": _string(schema.get("type")),
        "Defs": schema.get("$defs"),
        "Items": schema.get("items"),
        "Required": required,
        "Properties": props,
    }
    json: dict[str, Any] = {"type": fields["Type"]}
    _put(json, "$defs", fields["Defs"], fields["Defs"] is not None)
    _put(json, "items", fields["Items"], fields["Items"] is not None)
    _put(json, "required", required, bool(required))
    # A missing properties map is a nil map in Go: null in JSON, "{}" when printed.
    json["properties"] = props if isinstance(raw_props, Mapping) else None
    return Struct("template.templateToolFunctionParameters", fields, json=json, stringer=True)


def property_value(schema: Any) -> Struct:
    """``api.ToolProperty`` for one JSON-schema property (non-objects give an empty one)."""
    prop = schema if isinstance(schema, Mapping) else {}
    any_of = tuple(property_value(p) for p in prop.get("anyOf") or () if isinstance(p, Mapping))
    raw_type = prop.get("type")
    types = PropertyType((raw_type,) if isinstance(raw_type, str) else _strings(raw_type))
    nested = prop.get("properties")
    properties = None
    if isinstance(nested, Mapping):
        properties = OrderedJSONMap({str(k): property_value(v) for k, v in nested.items()})
    fields = {
        "AnyOf": any_of,
        "Type": types,
        "Items": prop.get("items"),
        "Description": _string(prop.get("description")),
        "Enum": tuple(prop.get("enum") or ()),
        "Properties": properties,
        "Required": _strings(prop.get("required")),
    }
    json: dict[str, Any] = {}
    for key, name in (("anyOf", "AnyOf"), ("type", "Type"), ("items", "Items")):
        _put(json, key, fields[name], fields[name] not in (None, ()))
    for key, name in (("description", "Description"), ("enum", "Enum")):
        _put(json, key, fields[name], bool(fields[name]))
    _put(json, "properties", properties, properties is not None)
    _put(json, "required", fields["Required"], bool(fields["Required"]))
    return Struct(TOOL_PROPERTY_TYPE, fields, json=json)


def _put(target: dict[str, Any], key: str, value: Any, present: bool) -> None:
    if present:
        target[key] = value


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(v for v in value if isinstance(v, str))
    return ()


__all__ = [
    "PropertyType",
    "TOOL_PROPERTY_TYPE",
    "message_value",
    "parameters_value",
    "property_value",
    "tool_call_value",
    "tool_value",
    "tools_value",
]
