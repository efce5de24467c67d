"""Parser for Go ``text/template``: tokens in, parse tree out (pure, no I/O).

Grammar (``{{`` and ``}}`` delimit actions; ``[...]`` optional, ``{...}`` repeated)::

    template   = list
    list       = { TEXT | action | control | "{{template" NAME [pipeline] "}}"
                 | "{{break}}" | "{{continue}}" }
    control    = "{{if" pipeline "}}" list
                     { "{{else if" pipeline "}}" list } ["{{else}}" list] "{{end}}"
               | "{{with" pipeline "}}" list
                     { "{{else with" pipeline "}}" list } ["{{else}}" list] "{{end}}"
               | "{{range" pipeline "}}" list ["{{else}}" list] "{{end}}"
               | "{{block" NAME pipeline "}}" list "{{end}}"
    definition = "{{define" NAME "}}" list "{{end}}"          (top level only)
    pipeline   = [decl] command { "|" command }
    decl       = VAR (":=" | "=")  |  VAR "," VAR ":="        (the pair form in range only)
    command    = operand { operand }
    operand    = term { FIELD }
    term       = IDENT | "." | "nil" | VAR | FIELD | BOOL | NUMBER | CHAR | STRING
               | RAW_STRING | "(" pipeline ")"

Parse-time checks follow Go: function names must exist, variables must be declared in scope,
``break``/``continue`` must be inside a range, a name may be defined once. Errors raise
:class:`~pollama.errors.TemplateError` as ``template: :<line>: <message>``, the text Go prints for a
template named "" (Ollama's name for every prompt template).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import NoReturn

from pollama.errors import TemplateError
from pollama.template import nodes as n
from pollama.template.lexer import Kind, Token, lex
from pollama.template.literals import (
    LiteralError,
    parse_number,
    quote,
    unquote_char,
    unquote_string,
)

#: Nesting of control structures and parentheses; Python's stack, not Go, sets this bound.
MAX_NESTING = 100

_OPERAND_START = frozenset(
    {
        Kind.BOOL,
        Kind.CHAR_CONSTANT,
        Kind.COMPLEX,
        Kind.DOT,
        Kind.FIELD,
        Kind.IDENTIFIER,
        Kind.NUMBER,
        Kind.RAW_STRING,
        Kind.STRING,
        Kind.VARIABLE,
        Kind.LEFT_PAREN,
    }
)
_NON_EXECUTABLE = (n.BoolNode, n.DotNode, n.NilNode, n.NumberNode, n.StringNode)


@dataclass(frozen=True, slots=True)
class ParsedTree:
    """The main template's root list and the templates it defines (``define``/``block``)."""

    root: n.ListNode
    defines: dict[str, n.ListNode]


@dataclass(frozen=True, slots=True)
class _End:
    pos: int

    def __str__(self) -> str:
        return "{{end}}"


@dataclass(frozen=True, slots=True)
class _Else:
    pos: int

    def __str__(self) -> str:
        return "{{else}}"


def parse(source: str, functions: Collection[str]) -> ParsedTree:
    """Parse template source; ``functions`` are the names callable from the template.

    Raises TemplateError on any syntax error.
    """
    parser = _Parser(source, functions)
    try:
        return parser.parse()
    except RecursionError:
        raise TemplateError("template: :1: max expression depth exceeded") from None


class _Parser:
    def __init__(self, source: str, functions: Collection[str]) -> None:
        self.tokens = lex(source)
        self.functions = functions
        self.i = 0
        self.line = 1
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.depth = 0
        self.action_line = 0
        self.defines: dict[str, n.ListNode] = {}

    # -- token stream -------------------------------------------------------------------------

    def next(self) -> Token:
        tok = self.tokens[min(self.i, len(self.tokens) - 1)]
        self.i += 1
        self.line = tok.line
        return tok

    def backup(self) -> None:
        self.i -= 1

    def peek(self) -> Token:
        return self.tokens[min(self.i, len(self.tokens) - 1)]

    def next_non_space(self) -> Token:
        tok = self.next()
        while tok.kind is Kind.SPACE:
            tok = self.next()
        return tok

    def peek_non_space(self) -> Token:
        tok = self.next_non_space()
        self.backup()
        return tok

    def error(self, message: str) -> NoReturn:
        raise TemplateError(f"template: :{self.line}: {message}")

    def unexpected(self, tok: Token, context: str) -> NoReturn:
        if tok.kind is Kind.ERROR:
            extra = ""
            if self.action_line and self.action_line != tok.line:
                extra = f" in action started at :{self.action_line}"
                if tok.value.endswith(" action"):
                    extra = extra[len(" in action") :]
            self.error(f"{tok}{extra}")
        self.error(f"unexpected {tok} in {context}")

    def expect(self, kind: Kind, context: str) -> Token:
        tok = self.next_non_space()
        if tok.kind is not kind:
            self.unexpected(tok, context)
        return tok

    # -- lists and actions --------------------------------------------------------------------

    def parse(self) -> ParsedTree:
        nodes: list[n.Node] = []
        while self.peek().kind is not Kind.EOF:
            if self.peek().kind is Kind.LEFT_DELIM:
                mark = self.i
                self.next()
                tok = self.next_non_space()
                if tok.kind is Kind.KEYWORD and tok.value == "define":
                    self.parse_definition()
                    continue
                self.i = mark
            node = self.text_or_action()
            if isinstance(node, _End | _Else):
                self.error(f"unexpected {node}")
            nodes.append(node)
        return ParsedTree(n.ListNode(0, tuple(nodes)), self.defines)

    def parse_definition(self) -> None:
        context = "define clause"
        name = self.template_name(self.next_non_space(), context)
        self.expect(Kind.RIGHT_DELIM, context)
        body = self.sub_tree(context)
        self.add_define(name, body)

    def sub_tree(self, context: str) -> n.ListNode:
        """Parse a define/block body, which has its own variable scope (only ``$``)."""
        saved = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        body, end = self.item_list()
        if not isinstance(end, _End):
            self.error(f"unexpected {end} in {context}")
        self.vars, self.range_depth = saved
        return body

    def add_define(self, name: str, body: n.ListNode) -> None:
        old = self.defines.get(name)
        if old is None or _is_empty(old):
            self.defines[name] = body
        elif not _is_empty(body):
            self.error(f"template: multiple definition of template {quote(name)}")

    def item_list(self) -> tuple[n.ListNode, _End | _Else]:
        pos = self.peek_non_space().pos
        nodes: list[n.Node] = []
        while self.peek_non_space().kind is not Kind.EOF:
            node = self.text_or_action()
            if isinstance(node, _End | _Else):
                return n.ListNode(pos, tuple(nodes)), node
            nodes.append(node)
        self.error("unexpected EOF")

    def text_or_action(self) -> n.Node | _End | _Else:
        tok = self.next_non_space()
        if tok.kind is Kind.TEXT:
            return n.TextNode(tok.pos, tok.value)
        if tok.kind is Kind.LEFT_DELIM:
            saved, self.action_line = self.action_line, tok.line
            try:
                return self.action()
            finally:
                self.action_line = saved
        self.unexpected(tok, "input")

    def action(self) -> n.Node | _End | _Else:
        tok = self.next_non_space()
        if tok.kind is Kind.KEYWORD:
            match tok.value:
                case "block":
                    return self.block_control(tok)
                case "break" | "continue":
                    return self.break_control(tok)
                case "else":
                    return self.else_control(tok)
                case "end":
                    return self.end_control(tok)
                case "if" | "range" | "with":
                    return self.branch_control(tok, tok.value)
                case "template":
                    return self.template_control(tok)
        self.backup()
        start = self.peek()
        return n.ActionNode(start.pos, start.line, self.pipeline("command", Kind.RIGHT_DELIM))

    def break_control(self, tok: Token) -> n.Node:
        word = "{{" + tok.value + "}}"
        end = self.next_non_space()
        if end.kind is not Kind.RIGHT_DELIM:
            self.unexpected(end, word)
        if self.range_depth == 0:
            self.error(f"{word} outside {{{{range}}}}")
        if tok.value == "break":
            return n.BreakNode(tok.pos, tok.line)
        return n.ContinueNode(tok.pos, tok.line)

    def end_control(self, tok: Token) -> _End:
        self.expect(Kind.RIGHT_DELIM, "end")
        return _End(tok.pos)

    def else_control(self, tok: Token) -> _Else:
        nxt = self.peek_non_space()
        # "{{else if" / "{{else with": leave the keyword for branch_control to pick up.
        if nxt.kind is Kind.KEYWORD and nxt.value in ("if", "with"):
            return _Else(tok.pos)
        self.expect(Kind.RIGHT_DELIM, "else")
        return _Else(tok.pos)

    def branch_control(self, tok: Token, context: str) -> n.Node:
        self.enter()
        mark = len(self.vars)
        pipe = self.pipeline(context, Kind.RIGHT_DELIM)
        if context == "range":
            self.range_depth += 1
        body, nxt = self.item_list()
        if context == "range":
            self.range_depth -= 1
        else_list = None
        if isinstance(nxt, _Else):
            else_list = self.else_branch(context, nxt)
        del self.vars[mark:]
        self.depth -= 1
        if context == "range":
            return n.RangeNode(pipe.pos, pipe.line, pipe, body, else_list)
        if context == "with":
            return n.WithNode(pipe.pos, pipe.line, pipe, body, else_list)
        return n.IfNode(pipe.pos, pipe.line, pipe, body, else_list)

    def else_branch(self, context: str, node: _Else) -> n.ListNode:
        tok = self.peek()
        if context in ("if", "with") and tok.kind is Kind.KEYWORD and tok.value == context:
            # "{{if a}}x{{else if b}}y{{end}}" is "{{if a}}x{{else}}{{if b}}y{{end}}{{end}}".
            self.next()
            return n.ListNode(node.pos, (self.branch_control(tok, context),))
        else_list, end = self.item_list()
        if not isinstance(end, _End):
            self.error(f"expected end; found {end}")
        return else_list

    def block_control(self, tok: Token) -> n.Node:
        context = "block clause"
        name = self.template_name(self.next_non_space(), context)
        pipe = self.pipeline(context, Kind.RIGHT_DELIM)
        self.add_define(name, self.sub_tree(context))
        return n.TemplateNode(tok.pos, tok.line, name, pipe)

    def template_control(self, tok: Token) -> n.Node:
        context = "template clause"
        name = self.template_name(self.next_non_space(), context)
        pipe = None
        if self.next_non_space().kind is not Kind.RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, Kind.RIGHT_DELIM)
        return n.TemplateNode(tok.pos, tok.line, name, pipe)

    def template_name(self, tok: Token, context: str) -> str:
        if tok.kind not in (Kind.STRING, Kind.RAW_STRING):
            self.unexpected(tok, context)
        return self.unquote(tok.value)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.error("max expression depth exceeded")

    # -- pipelines ----------------------------------------------------------------------------

    def pipeline(self, context: str, end: Kind) -> n.PipeNode:
        start = self.peek_non_space()
        decl, is_assign = self.declarations(context)
        cmds: list[n.CommandNode] = []
        while True:
            tok = self.next_non_space()
            if tok.kind is end:
                pipe = n.PipeNode(start.pos, start.line, is_assign, tuple(decl), tuple(cmds))
                self.check_pipeline(pipe, context)
                return pipe
            if tok.kind not in _OPERAND_START and not _is_nil(tok):
                self.unexpected(tok, context)
            self.backup()
            cmds.append(self.command())

    def declarations(self, context: str) -> tuple[list[n.VariableNode], bool]:
        decl: list[n.VariableNode] = []
        while True:
            mark = self.i
            var = self.next_non_space()
            if var.kind is not Kind.VARIABLE:
                self.i = mark
                return decl, False
            nxt = self.next_non_space()
            if nxt.kind in (Kind.DECLARE, Kind.ASSIGN):
                decl.append(n.VariableNode(var.pos, (var.value,)))
                self.vars.append(var.value)
                return decl, nxt.kind is Kind.ASSIGN
            if nxt.kind is not Kind.CHAR or nxt.value != ",":
                self.i = mark
                return decl, False
            decl.append(n.VariableNode(var.pos, (var.value,)))
            self.vars.append(var.value)
            follow = self.peek_non_space().kind
            if context != "range" or len(decl) >= 2:
                self.error(f"too many declarations in {context}")
            if follow not in (Kind.VARIABLE, Kind.RIGHT_DELIM, Kind.RIGHT_PAREN):
                self.error("range can only initialize variables")

    def check_pipeline(self, pipe: n.PipeNode, context: str) -> None:
        if not pipe.cmds:
            self.error(f"missing value for {context}")
        for i, cmd in enumerate(pipe.cmds[1:]):
            if isinstance(cmd.args[0], _NON_EXECUTABLE):
                self.error(f"non executable command in pipeline stage {i + 2}")

    def command(self) -> n.CommandNode:
        pos = self.peek_non_space().pos
        args: list[n.Arg] = []
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                args.append(operand)
            tok = self.next()
            if tok.kind is Kind.SPACE:
                continue
            if tok.kind in (Kind.RIGHT_DELIM, Kind.RIGHT_PAREN):
                self.backup()
            elif tok.kind is not Kind.PIPE:
                self.unexpected(tok, "operand")
            break
        if not args:
            self.error("empty command")
        return n.CommandNode(pos, tuple(args))

    def operand(self) -> n.Arg | None:
        node = self.term()
        if node is None or self.peek().kind is not Kind.FIELD:
            return node
        fields: list[str] = []
        while self.peek().kind is Kind.FIELD:
            fields.append(self.next().value[1:])
        if isinstance(node, n.FieldNode):
            return n.FieldNode(node.pos, node.ident + tuple(fields))
        if isinstance(node, n.VariableNode):
            return n.VariableNode(node.pos, node.ident + tuple(fields))
        if isinstance(node, _NON_EXECUTABLE):
            self.error(f"unexpected . after term {quote(str(node))}")
        return n.ChainNode(node.pos, node, tuple(fields))

    def term(self) -> n.Arg | None:
        tok = self.next_non_space()
        kind, value, pos = tok.kind, tok.value, tok.pos
        if kind is Kind.IDENTIFIER:
            if value not in self.functions:
                self.error(f"function {quote(value)} not defined")
            return n.IdentifierNode(pos, value)
        if kind is Kind.DOT:
            return n.DotNode(pos)
        if kind is Kind.KEYWORD and value == "nil":
            return n.NilNode(pos)
        if kind is Kind.VARIABLE:
            if value not in self.vars:
                self.error(f"undefined variable {quote(value)}")
            return n.VariableNode(pos, (value,))
        if kind is Kind.FIELD:
            return n.FieldNode(pos, (value[1:],))
        if kind is Kind.BOOL:
            return n.BoolNode(pos, value == "true")
        if kind in (Kind.NUMBER, Kind.CHAR_CONSTANT, Kind.COMPLEX):
            return n.NumberNode(pos, value, self.number(tok))
        if kind is Kind.LEFT_PAREN:
            self.enter()
            pipe = self.pipeline("parenthesized pipeline", Kind.RIGHT_PAREN)
            self.depth -= 1
            return pipe
        if kind in (Kind.STRING, Kind.RAW_STRING):
            return n.StringNode(pos, value, self.unquote(value))
        self.backup()
        return None

    def number(self, tok: Token) -> int | float:
        try:
            if tok.kind is Kind.CHAR_CONSTANT:
                return unquote_char(tok.value)
            return parse_number(tok.value)
        except LiteralError as err:
            self.error(str(err))

    def unquote(self, quoted: str) -> str:
        try:
            return unquote_string(quoted)
        except LiteralError as err:
            self.error(str(err))


def _is_nil(tok: Token) -> bool:
    return tok.kind is Kind.KEYWORD and tok.value == "nil"


def _is_empty(body: n.ListNode) -> bool:
    """Go's ``IsEmptyTree``: nothing but whitespace text."""
    return all(isinstance(x, n.TextNode) and not x.text.strip() for x in body.nodes)


__all__ = ["MAX_NESTING", "ParsedTree", "parse"]
