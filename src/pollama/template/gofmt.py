"""Go's ``fmt`` printing for template values: ``%v``, ``Sprint``, ``Sprintln`` and ``Sprintf``.

Supported ``Sprintf`` verbs: ``%v %+v %s %q %d %b %o %O %x %X %c %U %e %E %f %F %g %G %t %T %%``,
flags ``+ - # 0 space``, width and precision (also ``*``). Go's error forms are reproduced:
``%!d(string=x)`` for a wrong type, ``%!s(MISSING)``, ``%!(EXTRA int=1)``, ``%!(NOVERB)``.
Explicit argument indexes (``%[2]d``) are not supported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pollama.template.literals import quote
from pollama.template.values import (
    GoStringer,
    JSONError,
    Struct,
    format_exponent,
    format_fixed,
    go_type_name,
    shortest_digits,
    sorted_items,
    to_json,
)

_INT_VERBS = "bcdoOqxXU"
_FLOAT_VERBS = "eEfFgG"
_TOO_LARGE = 1_000_000  # Go's fmt rejects larger widths and precisions (BADWIDTH/BADPREC)


def format_value(value: Any, *, plus: bool = False) -> str:
    """``%v`` (``%+v`` with ``plus``): how Go's fmt prints a value; nil is ``<nil>``."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, GoStringer):
        return value.go_string()
    if isinstance(value, Struct):
        return _format_struct(value, plus, lambda v: format_value(v, plus=plus))
    if isinstance(value, bytes):
        return "[" + " ".join(str(b) for b in value) + "]"
    if isinstance(value, Mapping):
        inner = (f"{format_value(k)}:{format_value(v, plus=plus)}" for k, v in sorted_items(value))
        return "map[" + " ".join(inner) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(format_value(v, plus=plus) for v in value) + "]"
    if callable(value):
        return f"0x{id(value):x}"
    return str(value)


def _format_struct(value: Struct, plus: bool, fmt_field: Callable[[Any], str]) -> str:
    if value.stringer:
        try:
            return to_json(value)
        except JSONError:
            return ""
    if plus:
        return "{" + " ".join(f"{k}:{fmt_field(v)}" for k, v in value.fields.items()) + "}"
    return "{" + " ".join(fmt_field(v) for v in value.fields.values()) + "}"


def format_float(value: float) -> str:
    """``%v`` of a float64 (Go's ``%g`` at shortest precision): the shortest round-trip digits,
    in exponent form when the decimal exponent is below -4 or at least 6 (``1e+06``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    digits, point = shortest_digits(value)
    if point - 1 < -4 or point - 1 >= 6:
        return sign + format_exponent(digits, point)
    return sign + format_fixed(digits, point)


def sprint(args: Sequence[Any]) -> str:
    """Go's ``fmt.Sprint``: a space between operands when neither side is a string."""
    out: list[str] = []
    prev_string = False
    for i, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if i and not is_string and not prev_string:
            out.append(" ")
        out.append(format_value(arg))
        prev_string = is_string
    return "".join(out)


def sprintln(args: Sequence[Any]) -> str:
    """Go's ``fmt.Sprintln``: operands separated by spaces, then a newline."""
    return " ".join(format_value(a) for a in args) + "\n"


@dataclass(slots=True)
class _Spec:
    flags: str = ""
    width: int | None = None
    prec: int | None = None


def sprintf(template: str, args: Sequence[Any]) -> str:
    """Go's ``fmt.Sprintf`` for the verbs listed in the module docstring."""
    out: list[str] = []
    argi, i, end = 0, 0, len(template)
    while i < end:
        j = template.find("%", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        spec = _Spec()
        i = j + 1
        while i < end and template[i] in "+-# 0":
            spec.flags += template[i]
            i += 1
        i, argi, spec.width, bad = _number(template, i, args, argi)
        if bad:
            out.append("%!(BADWIDTH)")
        if spec.width is not None and spec.width < 0:
            spec.flags, spec.width = spec.flags + "-", -spec.width
        if i < end and template[i] == ".":
            i, argi, prec, bad = _number(template, i + 1, args, argi)
            spec.prec = 0 if prec is None else prec
            if bad or spec.prec < 0:
                out.append("%!(BADPREC)")
                spec.prec = None
        if i >= end:
            out.append("%!(NOVERB)")
            break
        verb = template[i]
        i += 1
        if verb == "%":
            out.append("%")
        elif argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
        else:
            out.append(format_verb(args[argi], verb, spec))
            argi += 1
    if argi < len(args):
        extra = ", ".join(f"{go_type_name(a)}={format_value(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _number(
    template: str, i: int, args: Sequence[Any], argi: int
) -> tuple[int, int, int | None, bool]:
    """Parse a width/precision at ``i``: digits or ``*`` (taken from the arguments)."""
    if i < len(template) and template[i] == "*":
        if argi < len(args) and type(args[argi]) is int and abs(args[argi]) <= _TOO_LARGE:
            return i + 1, argi + 1, args[argi], False
        return i + 1, argi + 1, None, True
    start = i
    while i < len(template) and "0" <= template[i] <= "9":
        i += 1
    if i == start:
        return i, argi, None, False
    if i - start > 7 or int(template[start:i]) > _TOO_LARGE:
        return i, argi, None, True
    return i, argi, int(template[start:i]), False


def format_verb(arg: Any, verb: str, spec: _Spec) -> str:
    """Format one operand; a verb that does not suit the operand gives Go's ``%!x(T=v)``."""
    if verb == "T":
        return _pad(go_type_name(arg), spec, numeric=False)
    if verb == "v":
        if isinstance(arg, float) and spec.prec is not None:
            return _pad(_float(arg, "g", spec), spec, numeric=True)
        numeric = isinstance(arg, int | float) and not isinstance(arg, bool)
        return _pad(format_value(arg, plus="+" in spec.flags), spec, numeric=numeric)
    if isinstance(arg, list | tuple) and not isinstance(arg, GoStringer):
        return "[" + " ".join(format_verb(a, verb, spec) for a in arg) + "]"
    text = _format_typed(arg, verb, spec)
    if text is None:
        return _bad_verb(arg, verb)
    return _pad(text, spec, numeric=verb in _INT_VERBS + _FLOAT_VERBS and verb not in "qcU")


def _format_typed(arg: Any, verb: str, spec: _Spec) -> str | None:
    if isinstance(arg, bool):
        return ("true" if arg else "false") if verb == "t" else None
    if isinstance(arg, int):
        return _int(arg, verb, spec)
    if isinstance(arg, float):
        return _float(arg, verb, spec) if verb in _FLOAT_VERBS else None
    stringer = isinstance(arg, GoStringer) or (isinstance(arg, Struct) and arg.stringer)
    if isinstance(arg, str | bytes) or stringer:
        text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else format_value(arg)
        return _string(text, verb, spec)
    if isinstance(arg, Struct) and verb == "s":
        return _format_struct(arg, "+" in spec.flags, lambda v: format_verb(v, "s", _Spec()))
    if isinstance(arg, Mapping) and verb == "s":
        plain = _Spec()
        pairs = sorted_items(arg)
        inner = (f"{format_verb(k, 's', plain)}:{format_verb(v, 's', plain)}" for k, v in pairs)
        return "map[" + " ".join(inner) + "]"
    return None


def _string(text: str, verb: str, spec: _Spec) -> str | None:
    if spec.prec is not None:
        text = text[: spec.prec]
    if verb == "s":
        return text
    if verb == "q":
        if "#" in spec.flags and "`" not in text and text.isprintable():
            return "`" + text + "`"
        return quote(text, ascii_only="+" in spec.flags)
    if verb in "xX":
        hexed = text.encode("utf-8").hex()
        hexed = hexed.upper() if verb == "X" else hexed
        return ("0" + verb if "#" in spec.flags else "") + hexed
    return None


def _int(value: int, verb: str, spec: _Spec) -> str | None:
    if verb == "c":
        return _rune(value)
    if verb == "q":
        return quote(_rune(value), "'")
    if verb == "U":
        text = f"U+{value:04X}" if value >= 0 else f"U+{value & 0xFFFFFFFFFFFFFFFF:X}"
        return text + f" '{_rune(value)}'" if "#" in spec.flags else text
    bases = {"d": ("d", ""), "b": ("b", "0b"), "o": ("o", "0"), "O": ("o", "0o")}
    bases |= {"x": ("x", "0x"), "X": ("X", "0X")}
    if verb not in bases:
        return None
    code, prefix = bases[verb]
    digits = format(abs(value), code)
    if spec.prec is not None:
        digits = digits.zfill(spec.prec)
    if verb == "O" or ("#" in spec.flags and verb in "boxX"):
        digits = prefix + digits
    return _sign(value < 0, spec) + digits


def _rune(value: int) -> str:
    """A code point as text; invalid ones (negative, too large, surrogates) become U+FFFD."""
    if 0 <= value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF:
        return chr(value)
    return "\ufffd"


def _float(value: float, verb: str, spec: _Spec) -> str:
    if math.isnan(value) or math.isinf(value):
        text = "NaN" if math.isnan(value) else "Inf"
        return (_sign(value < 0, spec) if text == "Inf" else "") + text
    if verb in "gG" and spec.prec is None:
        text = format_float(abs(value))
        text = text.upper() if verb == "G" else text
    else:
        prec = 6 if spec.prec is None else spec.prec
        text = format(abs(value), f"{'#' if '#' in spec.flags else ''}.{prec}{verb}")
    return _sign(value < 0 or math.copysign(1.0, value) < 0, spec) + text


def _sign(negative: bool, spec: _Spec) -> str:
    if negative:
        return "-"
    return "+" if "+" in spec.flags else " " if " " in spec.flags else ""


def _pad(text: str, spec: _Spec, *, numeric: bool) -> str:
    width = spec.width
    if width is None or len(text) >= width:
        return text
    if "-" in spec.flags:
        return text.ljust(width)
    if "0" in spec.flags and numeric:
        sign = text[0] if text[:1] in ("+", "-", " ") else ""
        return sign + text[len(sign) :].rjust(width - len(sign), "0")
    return text.rjust(width)


def _bad_verb(arg: Any, verb: str) -> str:
    if arg is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({go_type_name(arg)}={format_value(arg)})"


__all__ = ["format_float", "format_value", "format_verb", "sprint", "sprintf", "sprintln"]
