"""How Python values stand in for Go values inside templates, and Go's ``encoding/json`` for them.

=====================  =======================================================================
Python                 Go equivalent
=====================  =======================================================================
``None``               a nil interface (a missing map key, JSON null); prints ``<no value>``
``bool/int/float/str`` bool / int / float64 / string
``list``, ``tuple``    a slice (``[]any``)
``bytes``              ``[]byte`` (JSON: base64 string)
``dict``               a map with string keys: fields read keys, range and JSON sort the keys
:class:`Struct`        a struct: named fields in declaration order, unknown fields are errors
:class:`JSONMap`       a map whose ``String()`` is its JSON (Ollama's tool-call arguments)
:class:`JSONList`      a slice whose ``String()`` is its JSON (Ollama's ``.Tools``)
=====================  =======================================================================

Any object with a ``go_string()`` method prints as that string (Go's ``fmt.Stringer``); any object
with ``go_json()`` marshals to that JSON text (Go's ``json.Marshaler``).
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class GoStringer(Protocol):
    """A value with a custom printed form (Go's ``fmt.Stringer``)."""

    def go_string(self) -> str: ...


@runtime_checkable
class GoMarshaler(Protocol):
    """A value with a custom JSON form (Go's ``json.Marshaler``); returns JSON text."""

    def go_json(self) -> str: ...


class Struct:
    """A Go struct: ``fields`` by Go name, in declaration order.

    ``json`` is the struct's JSON object (keys and order as its ``json:"..."`` tags make them);
    by default every field under its Go name. With ``stringer`` the struct prints as its JSON.
    """

    __slots__ = ("type_name", "fields", "json", "stringer")

    def __init__(
        self,
        type_name: str,
        fields: Mapping[str, Any],
        *,
        json: Mapping[str, Any] | None = None,
        stringer: bool = False,
    ) -> None:
        self.type_name = type_name
        self.fields = dict(fields)
        self.json = dict(fields) if json is None else dict(json)
        self.stringer = stringer

    def __repr__(self) -> str:
        return f"Struct({self.type_name!r}, {self.fields!r})"


class JSONMap(dict[str, Any]):
    """A Go map whose printed form is its compact JSON (keys sorted, like ``encoding/json``)."""

    go_type = "map[string]interface {}"

    def go_string(self) -> str:
        return to_json(self)


class OrderedJSONMap(JSONMap):
    """A :class:`JSONMap` whose JSON keeps insertion order (Ollama's ordered property maps)."""


class JSONList(tuple[Any, ...]):
    """A Go slice whose printed form is its compact JSON; ``nil`` marks a nil slice (``null``)."""

    go_type = "[]interface {}"
    nil: bool

    def __new__(cls, items: Iterable[Any] = (), *, nil: bool = False) -> JSONList:
        self = super().__new__(cls, items)
        self.nil = nil and not self
        return self

    def go_string(self) -> str:
        return to_json(self)


class JSONError(ValueError):
    """A value ``encoding/json`` cannot marshal (NaN, infinities, functions...)."""


# -- kinds, truth and type names ---------------------------------------------------------------


def basic_kind(value: Any) -> str:
    """Go's comparison kind: ``bool``, ``int``, ``float``, ``string``, ``nil`` or ``other``."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "other"


def is_true(value: Any) -> bool:
    """Go template truth: false, 0, nil and empty strings, slices and maps are false."""
    if value is None:
        return False
    if isinstance(value, bool | int | float | str | bytes | list | tuple | dict):
        return bool(value)
    return True


def go_type_name(value: Any) -> str:
    """The Go type name used in error messages and ``%T``."""
    if isinstance(value, Struct):
        return value.type_name
    if value is None:
        return "<nil>"
    go_type = getattr(type(value), "go_type", None)
    if isinstance(go_type, str):
        return go_type
    names = {bool: "bool", int: "int", float: "float64", str: "string", bytes: "[]uint8"}
    for cls, name in names.items():
        if isinstance(value, cls):
            return name
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if callable(value):
        return "func"
    return type(value).__name__


def sorted_items(mapping: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """Map entries in Go's order (``fmtsort``): by key, numbers numerically, strings bytewise."""
    try:
        return sorted(mapping.items(), key=lambda kv: kv[0])
    except TypeError:
        return sorted(mapping.items(), key=lambda kv: (type(kv[0]).__name__, str(kv[0])))


# -- floats -----------------------------------------------------------------------------------


def shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of a finite, non-zero |value| and the position of the
    decimal point: ``12.5 -> ("125", 2)``, ``0.001 -> ("1", -2)``."""
    _, digits, exponent = Decimal(repr(abs(value))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    assert isinstance(exponent, int)
    return text, len(digits) + exponent


def format_fixed(digits: str, point: int) -> str:
    """Positional notation (``%f`` with shortest precision) from :func:`shortest_digits`."""
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def format_exponent(digits: str, point: int) -> str:
    """``%e`` with shortest precision: ``1.5e+07``, at least two exponent digits."""
    exp = point - 1
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _json_float(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        raise JSONError(f"json: unsupported value: {value}")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    digits, point = shortest_digits(value)
    if 1e-6 <= abs(value) < 1e21:
        return sign + format_fixed(digits, point)
    text = format_exponent(digits, point)
    # encoding/json writes e-7, not e-07.
    return sign + re.sub(r"e-0(\d)$", r"e-\1", text)


# -- JSON -------------------------------------------------------------------------------------

_HTML_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
_SURROGATES = re.compile("[\ud800-\udfff]")


def json_string(text: str) -> str:
    """A JSON string literal exactly as Go's ``encoding/json`` writes it (HTML-safe)."""
    text = _SURROGATES.sub("\ufffd", text)
    return json.dumps(text, ensure_ascii=False).translate(_HTML_ESCAPES)


def to_json(value: Any) -> str:
    """Compact JSON like Go's ``json.Marshal``; raises :class:`JSONError` when Go would fail."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_json_float(value))
    elif isinstance(value, str):
        out.append(json_string(value))
    elif isinstance(value, bytes):
        out.append('"' + base64.b64encode(value).decode("ascii") + '"')
    elif isinstance(value, GoMarshaler):
        out.append(value.go_json())
    elif isinstance(value, Struct):
        _encode_object(value.json.items(), out)
    elif isinstance(value, OrderedJSONMap):
        _encode_object(value.items(), out)
    elif isinstance(value, Mapping):
        items = [(str(k), v) for k, v in value.items()]
        _encode_object(sorted(items, key=lambda kv: kv[0]), out)
    elif isinstance(value, JSONList) and value.nil:
        out.append("null")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise JSONError(f"json: unsupported type: {go_type_name(value)}")


def _encode_object(items: Iterable[tuple[Any, Any]], out: list[str]) -> None:
    out.append("{")
    for i, (key, item) in enumerate(items):
        if i:
            out.append(",")
        out.append(json_string(str(key)))
        out.append(":")
        _encode(item, out)
    out.append("}")


__all__ = [
    "GoMarshaler",
    "GoStringer",
    "JSONError",
    "JSONList",
    "JSONMap",
    "OrderedJSONMap",
    "Struct",
    "basic_kind",
    "format_exponent",
    "format_fixed",
    "go_type_name",
    "is_true",
    "json_string",
    "shortest_digits",
    "sorted_items",
    "to_json",
]
