"""Decoding of Go literals found in templates: strings, raw strings, characters and numbers.

Each decoder takes the literal's source spelling (as the lexer produced it) and returns the Python
value, raising :class:`LiteralError` with Go's message when the spelling is not valid Go.
"""

from __future__ import annotations

import re

_SIMPLE = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_OCTAL_LEGACY = re.compile(r"0[0-7_]+")


class LiteralError(ValueError):
    """A literal that Go would reject; ``str(err)`` is Go's message."""


def unquote_string(quoted: str) -> str:
    """Decode ``"..."`` (Go escapes) or a backquoted raw string (carriage returns dropped)."""
    if len(quoted) >= 2 and quoted[0] == quoted[-1] == "`":
        return quoted[1:-1].replace("\r", "")
    if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
        raise LiteralError("invalid syntax")
    out = bytearray()
    body, i = quoted[1:-1], 0
    while i < len(body):
        ch = body[i]
        if ch == '"' or ch == "\n":
            raise LiteralError("invalid syntax")
        if ch != "\\":
            out += ch.encode("utf-8", "surrogatepass")
            i += 1
            continue
        i = _decode_escape(body, i + 1, '"', out)
    # \x and octal escapes may produce bytes that are not UTF-8; Go keeps them raw, we replace.
    return out.decode("utf-8", "replace")


def unquote_char(quoted: str) -> int:
    """Decode a character constant such as ``'a'`` or ``'\\n'`` to its code point."""
    if len(quoted) < 3 or quoted[0] != "'" or quoted[-1] != "'":
        raise LiteralError(f"malformed character constant: {quoted}")
    body = quoted[1:-1]
    if body[0] != "\\":
        if len(body) != 1:
            raise LiteralError(f"malformed character constant: {quoted}")
        return ord(body)
    out = bytearray()
    end = _decode_escape(body, 1, "'", out)
    if end != len(body):
        raise LiteralError(f"malformed character constant: {quoted}")
    if body[1] in "xX01234567":
        return out[0]
    return ord(out.decode("utf-8", "surrogatepass"))


def _decode_escape(body: str, i: int, quote: str, out: bytearray) -> int:
    """Decode the escape whose letter is at ``body[i]``; append it to ``out``; return the end."""
    if i >= len(body):
        raise LiteralError("invalid syntax")
    ch = body[i]
    if ch in _SIMPLE:
        out.append(_SIMPLE[ch])
        return i + 1
    if ch == quote:
        out += quote.encode()
        return i + 1
    if ch == "x":
        out.append(_hex(body, i + 1, 2))
        return i + 3
    if ch in "uU":
        width = 4 if ch == "u" else 8
        code = _hex(body, i + 1, width)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise LiteralError("invalid syntax")
        out += chr(code).encode("utf-8")
        return i + 1 + width
    if ch in "01234567":
        digits = body[i : i + 3]
        if len(digits) != 3 or any(d not in "01234567" for d in digits) or int(digits, 8) > 255:
            raise LiteralError("invalid syntax")
        out.append(int(digits, 8))
        return i + 3
    raise LiteralError("invalid syntax")


def _hex(body: str, start: int, width: int) -> int:
    digits = body[start : start + width]
    if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
        raise LiteralError("invalid syntax")
    return int(digits, 16)


def quote(text: str, delim: str = '"', *, ascii_only: bool = False) -> str:
    """Go's ``strconv.Quote`` (``QuoteToASCII`` with ``ascii_only``; ``QuoteRune`` with
    ``delim="'"``): a quoted literal using Go escapes."""
    return delim + "".join(_escape_char(ch, delim, ascii_only) for ch in text) + delim


_SIMPLE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def _escape_char(ch: str, delim: str, ascii_only: bool) -> str:
    if ch == delim or ch == "\\":
        return "\\" + ch
    if ch in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[ch]
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:
        return "\\ufffd"  # a lone surrogate is no rune; Go would hold U+FFFD in its place
    if ch.isprintable() and (code < 0x80 or not ascii_only):
        return ch
    if code < 0x80:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def describe_char(ch: str) -> str:
    """Go's ``%#U`` formatting of a rune, e.g. ``U+0023 '#'``."""
    return f"U+{ord(ch):04X} '{ch}'" if ch.isprintable() else f"U+{ord(ch):04X}"


def parse_number(text: str) -> int | float:
    """The value Go's ``idealConstant`` gives a numeric literal: an int, or a float if the
    spelling has a fraction or exponent."""
    if text.endswith("i"):
        raise LiteralError(f"complex constants are not supported: {text}")
    value = _parse_int(text)
    if value is not None:
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise LiteralError(f"integer overflow: {quote(text)}")
        return value
    number = _parse_float(text)
    if number is None:
        raise LiteralError(f"illegal number syntax: {quote(text)}")
    if not any(c in text for c in ".eEpP"):
        raise LiteralError(f"integer overflow: {quote(text)}")
    return number


def _parse_int(text: str) -> int | None:
    sign, digits = (text[0], text[1:]) if text[:1] in ("+", "-") else ("", text)
    try:
        if _OCTAL_LEGACY.fullmatch(digits):
            value = int(digits[1:].lstrip("_") or "0", 8)
        else:
            value = int(digits, 0)
    except ValueError:
        return None
    if digits[:1] in ("+", "-"):
        return None
    return -value if sign == "-" else value


def _parse_float(text: str) -> float | None:
    try:
        if text.lstrip("+-")[:2] in ("0x", "0X"):
            return float.fromhex(text.replace("_", ""))
        if text.strip(".+-") == "":
            return None
        return float(text)
    except (ValueError, OverflowError):
        return None


__all__ = [
    "LiteralError",
    "describe_char",
    "parse_number",
    "quote",
    "unquote_char",
    "unquote_string",
]
