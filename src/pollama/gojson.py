"""JSON bytes written the way Go's ``encoding/json`` Encoder writes them.

Compact separators; ``<``, ``>`` and ``&`` escaped as ``\\u003c``, ``\\u003e`` and ``\\u0026``;
U+2028 and U+2029 escaped; non-ASCII text kept as UTF-8; floats in Go's shortest form (``1`` for
1.0, ``1e-7`` for 1e-07, plain digits up to 1e21); a trailing newline. Blobs written this way hash
to the same digests as Ollama's own. Object keys keep their insertion order (Go writes struct
fields in declaration order and sorts map keys; callers pass dicts in the order they need).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def go_float(value: float) -> str:
    """Format a float like Go's JSON encoder (shortest round-trip digits)."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"unsupported value: {value}")
    magnitude = abs(value)
    if magnitude == 0 or 1e-6 <= magnitude < 1e21:
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, _, exponent = repr(value).partition("e")
    sign, digits = exponent[0], exponent[1:].lstrip("0")
    return f"{mantissa}e{sign}{digits}"


def dumps(value: Any) -> str:
    """Compact Go-style JSON text, without the trailing newline."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    if value is None or isinstance(value, bool | int):
        return json.dumps(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, dict):
        items = (f"{dumps(str(k))}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def encode(value: Any) -> bytes:
    """Go ``json.Encoder.Encode`` output: :func:`dumps` plus ``\\n``, as UTF-8 bytes."""
    return (dumps(value) + "\n").encode()


__all__ = ["dumps", "encode", "go_float"]
