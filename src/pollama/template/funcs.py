"""The functions a template can call: Go's built-ins plus Ollama's additions.

Go built-ins: ``and or not eq ne lt le gt ge len index slice print printf println html js
urlquery call``. Ollama adds ``json``, ``currentDate``, ``yesterdayDate`` and ``toTypeScriptType``
(``template/template.go`` upstream).

``and`` and ``or`` are listed here for their arity only: they short-circuit, so the executor
evaluates them itself. A function reports a failure by raising :class:`FuncError`; the executor
turns it into ``error calling <name>: <message>`` (or the bare message for an argument of the
wrong type, as Go does).
"""

from __future__ import annotations

import datetime
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pollama.template.gofmt import format_value, sprint, sprintf, sprintln
from pollama.template.values import (
    JSONError,
    JSONList,
    Struct,
    basic_kind,
    go_type_name,
    is_true,
    to_json,
)


class FuncError(Exception):
    """A function failed; ``str(err)`` is Go's message."""


class ArgTypeError(FuncError):
    """An argument has the wrong type; reported without the ``error calling`` prefix."""


@dataclass(frozen=True, slots=True)
class Func:
    """A callable with its arity: ``max_args`` None means variadic."""

    fn: Callable[..., Any]
    min_args: int
    max_args: int | None


# -- comparison -------------------------------------------------------------------------------

_BAD_COMPARISON = "incompatible types for comparison"
_BAD_COMPARISON_TYPE = "invalid type for comparison"
_UNCOMPARABLE = (list, tuple, dict, bytes)  # Go slices and maps


def _eq(arg1: Any, *others: Any) -> bool:
    if not others:
        raise FuncError("missing argument for comparison")
    k1 = basic_kind(arg1)
    for arg in others:
        k2 = basic_kind(arg)
        if k1 != k2:
            # Go compares a nil (missing) value with anything as unequal, without error.
            if k1 != "nil" and k2 != "nil":
                raise FuncError(_BAD_COMPARISON)
            continue
        if k1 == "other":
            if isinstance(arg1, _UNCOMPARABLE) or isinstance(arg, _UNCOMPARABLE):
                raise FuncError(f"non-comparable type {format_value(arg1)}: {go_type_name(arg1)}")
            if arg1 is arg or (not isinstance(arg1, Struct) and arg1 == arg):
                return True
        elif arg1 == arg:
            return True
    return False


def _ne(arg1: Any, arg2: Any) -> bool:
    return not _eq(arg1, arg2)


def _lt(arg1: Any, arg2: Any) -> bool:
    k1, k2 = basic_kind(arg1), basic_kind(arg2)
    if k1 in ("nil", "other") or k2 in ("nil", "other"):
        raise FuncError(_BAD_COMPARISON_TYPE)
    if k1 != k2:
        raise FuncError(_BAD_COMPARISON)
    if k1 == "bool":
        raise FuncError(_BAD_COMPARISON_TYPE)
    if k1 == "string":
        return bool(arg1.encode("utf-8", "surrogatepass") < arg2.encode("utf-8", "surrogatepass"))
    return bool(arg1 < arg2)


def _le(arg1: Any, arg2: Any) -> bool:
    return _lt(arg1, arg2) or _eq(arg1, arg2)


def _gt(arg1: Any, arg2: Any) -> bool:
    return not _le(arg1, arg2)


def _ge(arg1: Any, arg2: Any) -> bool:
    return not _lt(arg1, arg2)


# -- collections ------------------------------------------------------------------------------


def _len(item: Any) -> int:
    if item is None:
        raise FuncError("len of untyped nil")
    if isinstance(item, str):
        return len(item.encode("utf-8", "surrogatepass"))
    if isinstance(item, bytes | list | tuple | dict):
        return len(item)
    raise FuncError(f"len of type {go_type_name(item)}")


def _index_arg(index: Any, cap: int) -> int:
    if index is None:
        raise FuncError("cannot index slice/array with nil")
    if isinstance(index, bool) or not isinstance(index, int):
        raise FuncError(f"cannot index slice/array with type {go_type_name(index)}")
    if index < 0 or index > cap:
        raise FuncError(f"index out of range: {index}")
    return index


def _index(item: Any, *indexes: Any) -> Any:
    if item is None:
        raise FuncError("index of untyped nil")
    for index in indexes:
        if item is None:
            raise FuncError("index of nil pointer")
        if isinstance(item, str):
            item = item.encode("utf-8", "surrogatepass")
        if isinstance(item, bytes | list | tuple):
            i = _index_arg(index, len(item))
            if i == len(item):
                raise FuncError(f"index out of range: {i}")
            item = item[i]
        elif isinstance(item, dict):
            if not isinstance(index, str):
                raise FuncError(f"value has type {go_type_name(index)}; should be string")
            item = item.get(index)
        else:
            raise FuncError(f"can't index item of type {go_type_name(item)}")
    return item


def _slice(item: Any, *indexes: Any) -> Any:
    if item is None:
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str):
        if len(indexes) == 3:
            raise FuncError("cannot 3-index slice a string")
        data: bytes | list[Any] | tuple[Any, ...] = item.encode("utf-8", "surrogatepass")
    elif isinstance(item, list | tuple | bytes):
        data = item
    else:
        raise FuncError(f"can't slice item of type {go_type_name(item)}")
    bounds = [0, len(data)]
    for i, index in enumerate(indexes):
        value = _index_arg(index, len(data))
        if i < 2:
            bounds[i] = value
    if bounds[0] > bounds[1]:
        raise FuncError(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    if len(indexes) == 3 and bounds[1] > indexes[2]:
        raise FuncError(f"invalid slice index: {bounds[1]} > {indexes[2]}")
    part = data[bounds[0] : bounds[1]]
    if isinstance(item, str):
        assert isinstance(part, bytes)
        return part.decode("utf-8", "replace")
    if isinstance(item, JSONList):
        return JSONList(part)
    return part


# -- printing and escaping --------------------------------------------------------------------


def _printf(template: Any, *args: Any) -> str:
    if not isinstance(template, str):
        raise ArgTypeError(f"wrong type for value; expected string; got {go_type_name(template)}")
    return sprintf(template, args)


def _eval_args(args: Sequence[Any]) -> str:
    """Go's ``evalArgs``: a lone string as is, otherwise Sprint (missing values print)."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(["<no value>" if a is None else a for a in args])


_HTML = {ord('"'): "&#34;", ord("'"): "&#39;", ord("&"): "&amp;", ord("<"): "&lt;"}
_HTML |= {ord(">"): "&gt;", 0: "\ufffd"}


def _html(*args: Any) -> str:
    return _eval_args(args).translate(_HTML)


_JS = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026"}
_JS["="] = "\\u003D"


def _js(*args: Any) -> str:
    out: list[str] = []
    for ch in _eval_args(args):
        if ch in _JS:
            out.append(_JS[ch])
        elif ch < " ":
            out.append(f"\\u00{ord(ch):02X}")
        elif ord(ch) >= 0x80 and not ch.isprintable():
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def _urlquery(*args: Any) -> str:
    data = _eval_args(args).encode("utf-8", "replace")
    return urllib.parse.quote_plus(data, safe="")


def _call(fn: Any, *args: Any) -> Any:
    if fn is None:
        raise FuncError("call of nil")
    if not callable(fn):
        raise FuncError(f"non-function of type {go_type_name(fn)}")
    try:
        return fn(*args)
    except Exception as err:  # a data-supplied callable: report, never crash the renderer
        raise FuncError(str(err)) from err


# -- Ollama's functions -----------------------------------------------------------------------


def _json(value: Any) -> str:
    try:
        return to_json(value)
    except JSONError:
        return ""  # Ollama ignores the marshal error and prints nothing


_TS_TYPES = {"string": "string", "number": "number", "integer": "number", "boolean": "boolean"}
_TS_TYPES |= {"array": "any[]", "object": "Record<string, any>", "null": "null"}


def _to_typescript_type(prop: Any) -> str:
    """A tool property's TypeScript type (``api.ToolProperty.ToTypeScriptType``)."""
    if isinstance(prop, Struct) and prop.type_name == "api.ToolProperty":
        any_of, types = prop.fields.get("AnyOf") or (), prop.fields.get("Type") or ()
    elif isinstance(prop, Mapping):
        any_of = prop.get("anyOf") or ()
        raw = prop.get("type")
        types = (raw,) if isinstance(raw, str) else tuple(raw or ())
    else:
        return "any"
    if any_of:
        return " | ".join(_to_typescript_type(p) for p in any_of)
    if not types:
        return "any"
    return " | ".join(_TS_TYPES.get(t, "any") if isinstance(t, str) else "any" for t in types)


def _date_func(today: datetime.date) -> Callable[..., str]:
    def date(*args: Any) -> str:
        for arg in args:
            if not isinstance(arg, str):
                msg = f"wrong type for value; expected string; got {go_type_name(arg)}"
                raise ArgTypeError(msg)
        return today.isoformat()  # the format argument is accepted and ignored, as upstream

    return date


def builtin_names() -> frozenset[str]:
    """Names a template may call (the parser rejects any other identifier)."""
    return frozenset(make_funcs(datetime.date(2000, 1, 1)))


def make_funcs(today: datetime.date) -> dict[str, Func]:
    """The function table for one execution; ``today`` feeds the date functions."""
    return {
        "and": Func(is_true, 1, None),
        "or": Func(is_true, 1, None),
        "not": Func(lambda a: not is_true(a), 1, 1),
        "eq": Func(_eq, 1, None),
        "ne": Func(_ne, 2, 2),
        "lt": Func(_lt, 2, 2),
        "le": Func(_le, 2, 2),
        "gt": Func(_gt, 2, 2),
        "ge": Func(_ge, 2, 2),
        "len": Func(_len, 1, 1),
        "index": Func(_index, 1, None),
        "slice": Func(_slice, 1, None),
        "print": Func(lambda *a: sprint(a), 0, None),
        "printf": Func(_printf, 1, None),
        "println": Func(lambda *a: sprintln(a), 0, None),
        "html": Func(_html, 0, None),
        "js": Func(_js, 0, None),
        "urlquery": Func(_urlquery, 0, None),
        "call": Func(_call, 1, None),
        "json": Func(_json, 1, 1),
        "currentDate": Func(_date_func(today), 0, None),
        "yesterdayDate": Func(_date_func(today - datetime.timedelta(days=1)), 0, None),
        "toTypeScriptType": Func(_to_typescript_type, 1, 1),
    }


__all__ = ["ArgTypeError", "Func", "FuncError", "builtin_names", "make_funcs"]
