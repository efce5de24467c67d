"""Structured outputs: a request's ``format`` as a llama.cpp constraint (spec §3.2, §11.1).

``format_constraint(fmt)`` returns the ``/completion`` fields that make every sampled token keep
the answer valid:

* ``"json"`` -> ``{"grammar": JSON_GRAMMAR}``, a GBNF grammar for one JSON object;
* a JSON Schema object -> ``{"json_schema": schema}``, which llama.cpp compiles to a grammar;
* ``None`` or ``""`` -> ``{}`` (unconstrained).

Anything else raises BadRequest with Ollama's message. A schema is checked here first because
llama.cpp, when it cannot compile a schema, logs the problem and samples *unconstrained*; the
check catches malformed keywords and dangling local ``$ref``s so that they answer 400 instead.

Two adjustments keep small models from generating forever inside a valid prefix (both are what
Ollama's own schema converter does): an object schema that lists ``properties`` without saying
``additionalProperties`` gets ``additionalProperties: false``, and whitespace between tokens is
bounded (for a schema: the single-line layout of Python's ``json.dumps``; for ``"json"``: one
space, or a newline and some indentation).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pollama.errors import BadRequest

JSON_GRAMMAR = r"""root   ::= object
value  ::= object | array | string | number | "true" | "false" | "null"
object ::= "{" ws ( member ( "," ws member )* )? "}"
member ::= string ws ":" ws value ws
array  ::= "[" ws ( value ws ( "," ws value ws )* )? "]"
string ::= "\"" char* "\""
char   ::= [^"\\\x7F\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} )
number ::= "-"? ( "0" | [1-9] [0-9]{0,15} ) ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,3} )?
ws     ::= | " " | "\n" [ \t]{0,20}
"""
"""One JSON object, the root Ollama's ``format: "json"`` requires. Whitespace and number lengths
are bounded so that a sampler cannot loop on them; strings and containers are not."""

# llguidance (the JSON-schema compiler in xllamacpp's llama.cpp) reads this extension key; other
# compilers ignore it. Its flexible whitespace is unbounded (small models then emit newlines
# forever), so the layout is fixed instead, as Python's json.dumps writes it.
_LAYOUT = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}

_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("not", "additionalProperties", "contains", "if", "then", "else", "propertyNames")
_NUMBERS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_COUNTS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
# Keywords whose values hold subschemas that stand alone (an allOf member is only one part of a
# schema, so closing it would reject the properties its siblings declare).
_NAMED_CHILDREN = ("properties", "$defs", "definitions")
_DIRECT_CHILDREN = ("items", "prefixItems", "anyOf", "oneOf", "additionalProperties")


def format_constraint(fmt: object) -> dict[str, Any]:
    """The llama.cpp ``/completion`` fields for a request's ``format``; raises BadRequest."""
    if fmt is None or fmt == "":
        return {}
    if fmt == "json":
        return {"grammar": JSON_GRAMMAR}
    if isinstance(fmt, Mapping):
        check_schema(fmt)
        return {"json_schema": prepare_schema(fmt)}
    raw = json.dumps(fmt, ensure_ascii=False, separators=(",", ":"))
    quoted = json.dumps(raw, ensure_ascii=False)
    raise BadRequest(f'invalid format: {quoted}; expected "json" or a valid JSON Schema object')


def prepare_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` with objects closed and whitespace bounded (see module docstring)."""
    prepared = _closed(schema)
    assert isinstance(prepared, dict)
    prepared.setdefault("x-guidance", _LAYOUT)
    return prepared


def _closed(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    out = dict(schema)
    for key in _NAMED_CHILDREN:
        if isinstance(out.get(key), Mapping):
            out[key] = {name: _closed(sub) for name, sub in out[key].items()}
    for key in _DIRECT_CHILDREN:
        if key in out:
            out[key] = _closed(out[key])
    if isinstance(out.get("properties"), Mapping) and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def check_schema(schema: Mapping[str, Any]) -> None:
    """Raise BadRequest unless ``schema`` is a well-formed JSON Schema as far as llama.cpp cares:
    known type names, keyword values of the right kinds, and local ``$ref``s that resolve."""
    problem = _problem(schema, schema, "#")
    if problem is not None:
        raise BadRequest(f"invalid JSON schema in format: {problem}")


def _problem(schema: Any, root: Mapping[str, Any], at: str) -> str | None:
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, Mapping):
        return f"{at} is not a schema object"
    for check in (_type_problem, _keyword_problem, _ref_problem):
        problem = check(schema, root, at)
        if problem is not None:
            return problem
    return _children_problem(schema, root, at)


def _type_problem(schema: Mapping[str, Any], root: Mapping[str, Any], at: str) -> str | None:
    kind = schema.get("type")
    names = kind if isinstance(kind, list) else [kind] if "type" in schema else []
    if any(not isinstance(name, str) or name not in _TYPES for name in names):
        return f"{at}/type: unknown type {json.dumps(kind)}"
    return None


def _keyword_problem(schema: Mapping[str, Any], root: Mapping[str, Any], at: str) -> str | None:
    for key in _NUMBERS:
        value = schema.get(key)
        if key in schema and (isinstance(value, bool) or not isinstance(value, int | float)):
            return f"{at}/{key} must be a number"
    for key in _COUNTS:
        value = schema.get(key)
        if key in schema and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            return f"{at}/{key} must be a non-negative integer"
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        return f"{at}/required must be an array of strings"
    if "enum" in schema and not isinstance(schema["enum"], list):
        return f"{at}/enum must be an array"
    if "pattern" in schema and not isinstance(schema["pattern"], str):
        return f"{at}/pattern must be a string"
    return None


def _ref_problem(schema: Mapping[str, Any], root: Mapping[str, Any], at: str) -> str | None:
    if "$ref" not in schema:
        return None
    ref = schema["$ref"]
    if not isinstance(ref, str) or not ref.startswith("#"):
        return f"{at}/$ref: only local references (#/...) are supported"
    target: Any = root
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, Mapping) or part not in target:
            return f"{at}/$ref: {ref} does not resolve"
        target = target[part]
    return None


def _children_problem(schema: Mapping[str, Any], root: Mapping[str, Any], at: str) -> str | None:
    children: list[tuple[str, Any]] = []
    for key in _SCHEMA_MAPS:
        if key in schema:
            value = schema[key]
            if not isinstance(value, Mapping):
                return f"{at}/{key} must be an object"
            children += [(f"{at}/{key}/{name}", sub) for name, sub in value.items()]
    for key in _SCHEMA_LISTS:
        if key in schema:
            value = schema[key]
            if not isinstance(value, list) or not value:
                return f"{at}/{key} must be a non-empty array"
            children += [(f"{at}/{key}/{i}", sub) for i, sub in enumerate(value)]
    for key in _SCHEMA_ONE:
        if key in schema:
            children.append((f"{at}/{key}", schema[key]))
    if "items" in schema:
        items = schema["items"]
        subs = items if isinstance(items, list) else [items]  # draft-4 tuple form
        children += [(f"{at}/items", sub) for sub in subs]
    for where, sub in children:
        problem = _problem(sub, root, where)
        if problem is not None:
            return problem
    return None


__all__ = ["JSON_GRAMMAR", "check_schema", "format_constraint", "prepare_schema"]
