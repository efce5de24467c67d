"""Lexer for Go ``text/template`` source.

Grammar of the token stream (as Go's ``text/template/parse/lex.go`` produces it)::

    source  = { TEXT | action | comment }
    action  = "{{" ["- "] { token } [" -"] "}}"
    comment = "{{" ["- "] "/*" ... "*/" [" -"] "}}"

A left delimiter followed by ``-`` and a space character trims all whitespace (space, tab, CR,
LF) at the end of the preceding text; a space then ``-`` before the right delimiter trims the
whitespace at the start of the following text. Comments produce no token.

:func:`lex` is total: it never raises. A malformed input ends the token list with one ``ERROR``
token whose ``value`` is Go's message (``unclosed action``, ``unterminated quoted string``, ...);
the parser reports it with its line.
"""

from __future__ import annotations

import bisect
import enum
import unicodedata
from dataclasses import dataclass

from pollama.template.literals import describe_char, quote

SPACE_CHARS = " \t\r\n"
KEYWORDS = frozenset(
    {
        "block",
        "break",
        "continue",
        "define",
        "else",
        "end",
        "if",
        "nil",
        "range",
        "template",
        "with",
    }
)


class Kind(enum.Enum):
    """Token kinds."""

    TEXT = "text"
    LEFT_DELIM = "{{"
    RIGHT_DELIM = "}}"
    SPACE = "space"
    IDENTIFIER = "identifier"
    KEYWORD = "keyword"
    BOOL = "bool"
    NUMBER = "number"
    CHAR_CONSTANT = "char constant"
    COMPLEX = "complex"
    STRING = "string"
    RAW_STRING = "raw string"
    FIELD = "field"
    VARIABLE = "variable"
    DOT = "dot"
    DECLARE = ":="
    ASSIGN = "="
    PIPE = "|"
    LEFT_PAREN = "("
    RIGHT_PAREN = ")"
    CHAR = "char"
    ERROR = "error"
    EOF = "EOF"


@dataclass(frozen=True, slots=True)
class Token:
    """One lexeme: its kind, source text (or error message), offset and 1-based line."""

    kind: Kind
    value: str
    pos: int
    line: int

    def __str__(self) -> str:
        """Go's ``item.String()``, used in "unexpected ..." messages."""
        if self.kind is Kind.EOF:
            return "EOF"
        if self.kind is Kind.ERROR:
            return self.value
        if self.kind is Kind.KEYWORD:
            return f"<{self.value}>"
        if len(self.value) > 10:
            return quote(self.value[:10]) + "..."
        return quote(self.value)


def is_alphanumeric(ch: str) -> bool:
    """Go's ``isAlphaNumeric``: underscore, a Unicode letter or a decimal digit."""
    return ch == "_" or ch.isalpha() or unicodedata.category(ch) == "Nd"


class _Lexer:
    def __init__(self, src: str) -> None:
        self.src = src
        self.pos = 0
        self.tokens: list[Token] = []
        self._line_starts = [0] + [i + 1 for i, c in enumerate(src) if c == "\n"]

    def line_of(self, pos: int) -> int:
        return bisect.bisect_right(self._line_starts, pos)

    def emit(self, kind: Kind, start: int, end: int) -> None:
        self.tokens.append(Token(kind, self.src[start:end], start, self.line_of(start)))

    def fail(self, message: str, start: int) -> bool:
        self.tokens.append(Token(Kind.ERROR, message, start, self.line_of(start)))
        return False

    def peek(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.src[i] if i < len(self.src) else ""

    def at_right_delim(self) -> tuple[bool, bool]:
        """Whether a right delimiter starts here, and whether it carries a trim marker."""
        src, pos = self.src, self.pos
        if pos < len(src) and src[pos] in SPACE_CHARS and src.startswith("-}}", pos + 1):
            return True, True
        return src.startswith("}}", pos), False

    def at_terminator(self) -> bool:
        ch = self.peek()
        return (
            ch == "" or ch in SPACE_CHARS or ch in ".,|:()" or self.src.startswith("}}", self.pos)
        )

    def run(self) -> list[Token]:
        while self.lex_text():
            if not self.lex_after_left_delim():
                return self.tokens
        return self.tokens

    def lex_text(self) -> bool:
        """Emit text up to the next ``{{``; return False (after emitting EOF) at the end."""
        src, start = self.src, self.pos
        x = src.find("{{", start)
        if x < 0:
            if start < len(src):
                self.emit(Kind.TEXT, start, len(src))
            self.tokens.append(Token(Kind.EOF, "", len(src), self.line_of(len(src))))
            return False
        end = x
        if _has_left_trim(src, x + 2):
            end = len(src[start:x].rstrip(SPACE_CHARS)) + start
        if end > start:
            self.emit(Kind.TEXT, start, end)
        self.pos = x
        return True

    def lex_after_left_delim(self) -> bool:
        src, delim = self.src, self.pos
        self.pos += 2
        if _has_left_trim(src, self.pos):
            self.pos += 2
        if src.startswith("/*", self.pos):
            return self.lex_comment()
        self.emit(Kind.LEFT_DELIM, delim, delim + 2)
        return self.lex_action()

    def lex_comment(self) -> bool:
        start = self.pos
        end = self.src.find("*/", self.pos + 2)
        if end < 0:
            return self.fail("unclosed comment", start)
        self.pos = end + 2
        delim, trim = self.at_right_delim()
        if not delim:
            return self.fail("comment ends before closing delimiter", start)
        self.pos += 4 if trim else 2
        if trim:
            self.skip_leading_space()
        return True

    def skip_leading_space(self) -> None:
        while self.pos < len(self.src) and self.src[self.pos] in SPACE_CHARS:
            self.pos += 1

    def lex_action(self) -> bool:
        """Emit the tokens of one action, up to and including its right delimiter."""
        parens = 0
        while True:
            delim, trim = self.at_right_delim()
            if delim:
                if parens:
                    return self.fail("unclosed left paren", self.pos)
                if trim:
                    self.pos += 2
                self.emit(Kind.RIGHT_DELIM, self.pos, self.pos + 2)
                self.pos += 2
                if trim:
                    self.skip_leading_space()
                return True
            ch = self.peek()
            if ch == "":
                return self.fail("unclosed action", self.pos)
            if ch == "(":
                parens += 1
            elif ch == ")":
                parens -= 1
                if parens < 0:
                    return self.fail("unexpected right paren", self.pos)
            if not self.lex_action_token(ch):
                return False

    def lex_action_token(self, ch: str) -> bool:
        start = self.pos
        single = {"=": Kind.ASSIGN, "|": Kind.PIPE, "(": Kind.LEFT_PAREN, ")": Kind.RIGHT_PAREN}
        if ch in SPACE_CHARS:
            return self.lex_space()
        if ch in single:
            self.pos += 1
            self.emit(single[ch], start, self.pos)
            return True
        if ch == ":":
            if self.peek(1) != "=":
                return self.fail("expected :=", start)
            self.pos += 2
            self.emit(Kind.DECLARE, start, self.pos)
            return True
        if ch == '"':
            return self.lex_quote('"', Kind.STRING, "unterminated quoted string")
        if ch == "'":
            return self.lex_quote("'", Kind.CHAR_CONSTANT, "unterminated character constant")
        if ch == "`":
            return self.lex_raw_quote()
        if ch == "$":
            return self.lex_field_or_variable(Kind.VARIABLE)
        if ch == "." and not ("0" <= self.peek(1) <= "9" and self.peek(1) != ""):
            return self.lex_field_or_variable(Kind.FIELD)
        if ch in "+-." or "0" <= ch <= "9":
            return self.lex_number()
        if is_alphanumeric(ch):
            return self.lex_identifier()
        if ord(ch) < 0x80 and ch.isprintable():
            self.pos += 1
            self.emit(Kind.CHAR, start, self.pos)
            return True
        return self.fail(f"unrecognized character in action: {describe_char(ch)}", start)

    def lex_space(self) -> bool:
        start = self.pos
        while self.peek() != "" and self.peek() in SPACE_CHARS:
            self.pos += 1
        # The last space may belong to a trim-marked right delimiter " -}}".
        if self.src.startswith("-}}", self.pos):
            self.pos -= 1
        if self.pos > start:
            self.emit(Kind.SPACE, start, self.pos)
        return True

    def lex_quote(self, delim: str, kind: Kind, error: str) -> bool:
        start = self.pos
        self.pos += 1
        while True:
            ch = self.peek()
            if ch == "\\":
                if self.peek(1) in ("", "\n"):
                    return self.fail(error, start)
                self.pos += 2
                continue
            if ch in ("", "\n"):
                return self.fail(error, start)
            self.pos += 1
            if ch == delim:
                break
        self.emit(kind, start, self.pos)
        return True

    def lex_raw_quote(self) -> bool:
        start = self.pos
        end = self.src.find("`", start + 1)
        if end < 0:
            return self.fail("unterminated raw quoted string", start)
        self.pos = end + 1
        self.emit(Kind.RAW_STRING, start, self.pos)
        return True

    def lex_field_or_variable(self, kind: Kind) -> bool:
        start = self.pos
        self.pos += 1
        if self.at_terminator():
            self.emit(Kind.DOT if kind is Kind.FIELD else kind, start, self.pos)
            return True
        while self.peek() != "" and is_alphanumeric(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            return self.fail(f"bad character {describe_char(self.peek())}", start)
        self.emit(kind, start, self.pos)
        return True

    def lex_identifier(self) -> bool:
        start = self.pos
        while self.peek() != "" and is_alphanumeric(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            return self.fail(f"bad character {describe_char(self.peek())}", start)
        word = self.src[start : self.pos]
        if word in KEYWORDS:
            kind = Kind.KEYWORD
        elif word in ("true", "false"):
            kind = Kind.BOOL
        else:
            kind = Kind.IDENTIFIER
        self.emit(kind, start, self.pos)
        return True

    def lex_number(self) -> bool:
        start = self.pos
        if not self.scan_number():
            return self.fail(f"bad number syntax: {quote(self.src[start : self.pos])}", start)
        if self.peek() in ("+", "-") and self.peek() != "":
            # A complex constant such as 1+2i: no spaces, must end in "i".
            if not self.scan_number() or self.src[self.pos - 1] != "i":
                return self.fail(f"bad number syntax: {quote(self.src[start : self.pos])}", start)
            self.emit(Kind.COMPLEX, start, self.pos)
            return True
        self.emit(Kind.NUMBER, start, self.pos)
        return True

    def accept(self, valid: str) -> bool:
        if self.peek() != "" and self.peek() in valid:
            self.pos += 1
            return True
        return False

    def accept_run(self, valid: str) -> None:
        while self.accept(valid):
            pass

    def scan_number(self) -> bool:
        """Go's permissive number scanner; the parser validates the text afterwards."""
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if self.peek() != "" and is_alphanumeric(self.peek()):
            self.pos += 1
            return False
        return True


def _has_left_trim(src: str, pos: int) -> bool:
    return src.startswith("-", pos) and pos + 1 < len(src) and src[pos + 1] in SPACE_CHARS


def lex(src: str) -> list[Token]:
    """Split template source into tokens, ending with EOF or a single ERROR token."""
    return _Lexer(src).run()


__all__ = ["KEYWORDS", "Kind", "Token", "is_alphanumeric", "lex"]
