"""Parse-tree nodes of a Go ``text/template``.

The tree mirrors Go's ``text/template/parse`` package closely, because Ollama's prompt code inspects
it (thinking-tag and tool-call-tag inference, the legacy "truncate after ``{{ .Response }}``" mode).
Nodes are immutable; transformations build new trees.

``str(node)`` gives Go's ``Node.String()``: source text that parses back to an equal tree (trim
markers and comments are gone by then, since they never reach the tree).

Two node families exist:

* list items (:data:`Node`): text, actions, control structures, template calls, break/continue;
* pipeline arguments (:data:`Arg`): fields, variables, chains, identifiers (function names),
  literals, dot, nil and parenthesised pipelines.

Every node carries ``pos``, the offset of its first character in the source text, which execution
errors turn into ``line:column``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pollama.template.literals import quote


@dataclass(frozen=True, slots=True)
class TextNode:
    """Literal text copied to the output (already trimmed by ``{{-``/``-}}`` markers)."""

    pos: int
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class DotNode:
    """The cursor ``.``."""

    pos: int

    def __str__(self) -> str:
        return "."


@dataclass(frozen=True, slots=True)
class NilNode:
    """The untyped ``nil`` constant."""

    pos: int

    def __str__(self) -> str:
        return "nil"


@dataclass(frozen=True, slots=True)
class BoolNode:
    """``true`` or ``false``."""

    pos: int
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(frozen=True, slots=True)
class NumberNode:
    """A numeric or character constant; ``value`` is what Go's ``idealConstant`` yields."""

    pos: int
    text: str
    value: int | float

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class StringNode:
    """A quoted (``"..."``) or raw (backquoted) string; ``quoted`` is the source spelling."""

    pos: int
    quoted: str
    text: str

    def __str__(self) -> str:
        return self.quoted


@dataclass(frozen=True, slots=True)
class FieldNode:
    """A field chain on dot: ``.A.B`` has ``ident == ("A", "B")``."""

    pos: int
    ident: tuple[str, ...]

    def __str__(self) -> str:
        return "".join("." + name for name in self.ident)


@dataclass(frozen=True, slots=True)
class VariableNode:
    """A variable with optional fields: ``$x.A`` has ``ident == ("$x", "A")``."""

    pos: int
    ident: tuple[str, ...]

    def __str__(self) -> str:
        return ".".join(self.ident)


@dataclass(frozen=True, slots=True)
class IdentifierNode:
    """A function name."""

    pos: int
    ident: str

    def __str__(self) -> str:
        return self.ident


@dataclass(frozen=True, slots=True)
class ChainNode:
    """Fields applied to a non-field term, e.g. ``(index .M 0).Name``."""

    pos: int
    node: Arg
    field: tuple[str, ...]

    def __str__(self) -> str:
        inner = f"({self.node})" if isinstance(self.node, PipeNode) else str(self.node)
        return inner + "".join("." + name for name in self.field)


@dataclass(frozen=True, slots=True)
class CommandNode:
    """One stage of a pipeline: an operand followed by its arguments."""

    pos: int
    args: tuple[Arg, ...]

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, PipeNode) else str(a) for a in self.args)


@dataclass(frozen=True, slots=True)
class PipeNode:
    """``$a, $b := cmd1 | cmd2``; ``is_assign`` is true for ``=`` rather than ``:=``."""

    pos: int
    line: int
    is_assign: bool
    decl: tuple[VariableNode, ...]
    cmds: tuple[CommandNode, ...]

    def __str__(self) -> str:
        head = ""
        if self.decl:
            names = ", ".join(str(v) for v in self.decl)
            head = f"{names} {'=' if self.is_assign else ':='} "
        return head + " | ".join(str(c) for c in self.cmds)


@dataclass(frozen=True, slots=True)
class ListNode:
    """A sequence of list items."""

    pos: int
    nodes: tuple[Node, ...]

    def __str__(self) -> str:
        parts = [str(node) for node in self.nodes]
        for i, node in enumerate(self.nodes):
            following = parts[i + 1] if i + 1 < len(parts) else "{{"
            # Text ending in "{" before "{{..." would print as "{{{": spell the brace as an action.
            if isinstance(node, TextNode) and parts[i].endswith("{") and following[:1] == "{":
                parts[i] = parts[i][:-1] + '{{"{"}}'
        return "".join(parts)


@dataclass(frozen=True, slots=True)
class ActionNode:
    """``{{ pipeline }}``: evaluated, and printed unless it declares variables."""

    pos: int
    line: int
    pipe: PipeNode

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@dataclass(frozen=True, slots=True)
class _BranchNode:
    keyword: ClassVar[str] = ""

    pos: int
    line: int
    pipe: PipeNode
    list: ListNode
    else_list: ListNode | None

    def __str__(self) -> str:
        text = f"{{{{{self.keyword} {self.pipe}}}}}{self.list}"
        if self.else_list is not None:
            text += "{{else}}" + str(self.else_list)
        return text + "{{end}}"


@dataclass(frozen=True, slots=True)
class IfNode(_BranchNode):
    """``{{if}}``; ``{{else if}}`` becomes an else list holding one nested IfNode (as in Go)."""

    keyword: ClassVar[str] = "if"


@dataclass(frozen=True, slots=True)
class RangeNode(_BranchNode):
    """``{{range}}`` over a list, map or integer, with an optional ``{{else}}``."""

    keyword: ClassVar[str] = "range"


@dataclass(frozen=True, slots=True)
class WithNode(_BranchNode):
    """``{{with}}``: like if, but sets dot to the pipeline value."""

    keyword: ClassVar[str] = "with"


@dataclass(frozen=True, slots=True)
class TemplateNode:
    """``{{template "name" pipeline}}``; ``pipe`` is None when no argument is given."""

    pos: int
    line: int
    name: str
    pipe: PipeNode | None

    def __str__(self) -> str:
        quoted = quote(self.name)
        if self.pipe is None:
            return "{{template " + quoted + "}}"
        return "{{template " + quoted + " " + str(self.pipe) + "}}"


@dataclass(frozen=True, slots=True)
class BreakNode:
    """``{{break}}`` inside a range."""

    pos: int
    line: int

    def __str__(self) -> str:
        return "{{break}}"


@dataclass(frozen=True, slots=True)
class ContinueNode:
    """``{{continue}}`` inside a range."""

    pos: int
    line: int

    def __str__(self) -> str:
        return "{{continue}}"


BranchNode = IfNode | RangeNode | WithNode
Node = (
    TextNode
    | ActionNode
    | IfNode
    | RangeNode
    | WithNode
    | TemplateNode
    | BreakNode
    | ContinueNode
    | ListNode
)
Arg = (
    FieldNode
    | VariableNode
    | ChainNode
    | IdentifierNode
    | DotNode
    | NilNode
    | BoolNode
    | NumberNode
    | StringNode
    | PipeNode
)

__all__ = [
    "ActionNode",
    "Arg",
    "BoolNode",
    "BranchNode",
    "BreakNode",
    "ChainNode",
    "CommandNode",
    "ContinueNode",
    "DotNode",
    "FieldNode",
    "IdentifierNode",
    "IfNode",
    "ListNode",
    "NilNode",
    "Node",
    "NumberNode",
    "PipeNode",
    "RangeNode",
    "StringNode",
    "TemplateNode",
    "TextNode",
    "VariableNode",
    "WithNode",
]
