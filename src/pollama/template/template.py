"""A parsed prompt template, as Ollama's ``template.Template`` sees it.

On top of Go's ``text/template`` this adds what Ollama adds (``template/template.go``,
``thinking/template.go``, ``tools/template.go`` upstream):

* parsing with Ollama's functions; ``{{ .Response }}`` appended when the template references
  neither ``.Messages`` nor ``.Response``; a ``{{template "x"}}`` call without an argument is
  rejected (``undefined template specified``), as Ollama's identifier scan does;
* introspection used by prompt building and capability detection: :meth:`Template.references`,
  :meth:`Template.thinking_tags`, :meth:`Template.tool_call_tag` and
  :meth:`Template.truncated_after_response`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from pollama.errors import TemplateError
from pollama.template import nodes as n
from pollama.template.exec import Limits, execute
from pollama.template.funcs import builtin_names, make_funcs
from pollama.template.parser import parse


@dataclass(frozen=True, slots=True)
class Template:
    """An immutable parsed template; ``str(template)`` is the source text it was parsed from."""

    source: str
    root: n.ListNode
    defines: Mapping[str, n.ListNode]
    identifiers: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> Template:
        """Parse Go template text. Raises TemplateError on a syntax error.

        Results are immutable, so parses of the same text share one (every chat request would
        otherwise parse its model's template again).
        """
        return _parse_cached(text)

    def __str__(self) -> str:
        return self.source

    def __hash__(self) -> int:
        return hash((self.source, self.root))

    def execute(
        self,
        values: Any,
        *,
        today: datetime.date | None = None,
        limits: Limits | None = None,
    ) -> str:
        """Render with dot set to ``values`` (usually a dict of ``System``, ``Messages``, ...).

        ``today`` feeds ``currentDate``/``yesterdayDate`` (default: the local date). Raises
        TemplateError when execution fails or exceeds ``limits``.
        """
        funcs = make_funcs(today or datetime.date.today())
        return execute(self.root, self.defines, self.source, values, funcs, limits or Limits())

    def references(self, field: str) -> bool:
        """Whether any field or variable path names ``field`` (case-insensitive), e.g.
        ``references("Tools")`` for ``{{ if .Tools }}`` or ``{{ $.Tools }}``."""
        return field.lower() in self.identifiers

    def thinking_tags(self) -> tuple[str, str] | None:
        """The tags around a thinking trace, e.g. ``("<think>", "</think>")``, or None.

        Inferred as upstream does: inside a range over ``.Messages``, the list holding a
        ``.Thinking`` field gives its first and last text nodes, trimmed (the last such list
        wins). None unless both tags are found.
        """
        opening, closing = _infer_thinking_tags(self.root)
        return (opening, closing) if opening and closing else None

    def tool_call_tag(self) -> str | None:
        """The text that starts a tool call in model output, e.g. ``<tool_call>``.

        Found as upstream does: the first non-blank text inside the first
        ``{{ if .ToolCalls }}``, cut before any ``{`` and trimmed; ``"{"`` (bare JSON) when that
        block has no such text. None when the template has no ``{{ if .ToolCalls }}`` at all
        (upstream then also uses ``"{"``).
        """
        node = _find_tool_call_if(self.root.nodes)
        if node is None:
            return None
        text = _first_text(node.list.nodes)
        if text is None:
            return "{"
        tag = text.replace("\r\n", "\n").split("{", 1)[0].strip()
        return tag or "{"

    def truncated_after_response(self) -> Template:
        """This template cut right after its first ``.Response`` field (legacy chat mode): every
        node that follows it is removed, so rendering stops where the model should continue."""
        return replace(self, root=_cut_after_response(self.root))


def _response_action(text: str) -> n.ActionNode:
    pos, line = len(text), text.count("\n") + 1
    field = n.FieldNode(pos, ("Response",))
    pipe = n.PipeNode(pos, line, False, (), (n.CommandNode(pos, (field,)),))
    return n.ActionNode(pos, line, pipe)


# -- identifiers (Ollama's Vars) ----------------------------------------------------------------


@lru_cache(maxsize=64)
def _parse_cached(text: str) -> Template:
    tree = parse(text, builtin_names())
    names = _identifiers([tree.root, *tree.defines.values()])
    root = tree.root
    if "messages" not in names and "response" not in names:
        root = n.ListNode(root.pos, (*root.nodes, _response_action(text)))
        names |= {"response"}
    return Template(text, root, MappingProxyType(dict(tree.defines)), names)


def _identifiers(lists: list[n.ListNode]) -> frozenset[str]:
    names: set[str] = set()
    for body in lists:
        for node in body.nodes:
            names.update(name.lower() for name in _node_identifiers(node))
    return frozenset(names)


def _node_identifiers(node: n.Node | n.Arg) -> Iterator[str]:
    if isinstance(node, n.ListNode):
        for child in node.nodes:
            yield from _node_identifiers(child)
    elif isinstance(node, n.TemplateNode):
        if node.pipe is None:
            raise TemplateError("undefined template specified")
        yield from _node_identifiers(node.pipe)
    elif isinstance(node, n.ActionNode):
        yield from _node_identifiers(node.pipe)
    elif isinstance(node, n.IfNode | n.RangeNode | n.WithNode):
        yield from _node_identifiers(node.pipe)
        yield from _node_identifiers(node.list)
        if node.else_list is not None:
            yield from _node_identifiers(node.else_list)
    elif isinstance(node, n.PipeNode):
        for cmd in node.cmds:
            for arg in cmd.args:
                yield from _node_identifiers(arg)
    elif isinstance(node, n.FieldNode | n.VariableNode):
        yield from node.ident


# -- thinking tags --------------------------------------------------------------------------------


def _children(node: object) -> tuple[object, ...]:
    if isinstance(node, n.ListNode):
        return node.nodes
    if isinstance(node, n.IfNode | n.RangeNode | n.WithNode):
        return (node.pipe, node.list) + ((node.else_list,) if node.else_list else ())
    if isinstance(node, n.ActionNode):
        return (node.pipe,)
    if isinstance(node, n.TemplateNode):
        return (node.pipe,) if node.pipe is not None else ()
    if isinstance(node, n.PipeNode):
        return node.cmds
    if isinstance(node, n.CommandNode):
        return node.args
    return ()


def _walk(node: object, ancestors: list[object]) -> Iterator[tuple[object, list[object]]]:
    """Depth-first pre-order walk yielding each node with its ancestors (itself included)."""
    ancestors.append(node)
    yield node, ancestors
    for child in _children(node):
        yield from _walk(child, ancestors)
    ancestors.pop()


def _infer_thinking_tags(root: n.ListNode) -> tuple[str, str]:
    opening = closing = ""
    for node, ancestors in _walk(root, []):
        if not (isinstance(node, n.FieldNode) and node.ident[0] == "Thinking"):
            continue
        ranges = [a for a in ancestors if isinstance(a, n.RangeNode)]
        if not ranges or not _pipe_uses_field(ranges[-1].pipe, "Messages"):
            continue
        lists = [a for a in ancestors if isinstance(a, n.ListNode)]
        items = lists[-1].nodes
        if isinstance(items[0], n.TextNode):
            opening = items[0].text.strip()
        if isinstance(items[-1], n.TextNode):
            closing = items[-1].text.strip()
    return opening, closing


def _pipe_uses_field(pipe: n.PipeNode, field: str) -> bool:
    return any(
        isinstance(node, n.FieldNode) and node.ident[0] == field for node, _ in _walk(pipe, [])
    )


# -- tool-call tag --------------------------------------------------------------------------------


def _is_tool_calls_if(node: n.IfNode) -> bool:
    return any(
        isinstance(arg, n.FieldNode) and "ToolCalls" in arg.ident
        for cmd in node.pipe.cmds
        for arg in cmd.args
    )


def _find_tool_call_if(items: tuple[n.Node, ...]) -> n.IfNode | None:
    for node in items:
        if isinstance(node, n.IfNode) and _is_tool_calls_if(node):
            return node
        if isinstance(node, n.ListNode):
            found = _find_tool_call_if(node.nodes)
        elif isinstance(node, n.IfNode | n.RangeNode | n.WithNode):
            found = _find_tool_call_if(node.list.nodes)
            if found is None and node.else_list is not None:
                found = _find_tool_call_if(node.else_list.nodes)
        else:
            continue
        if found is not None:
            return found
    return None


def _first_text(items: tuple[n.Node, ...]) -> str | None:
    """First non-blank text, depth first, giving up at the first action or nested block that
    holds none (text after the tool calls must not be mistaken for the tag)."""
    for node in items:
        if isinstance(node, n.TextNode):
            if node.text.strip():
                return node.text
        elif isinstance(node, n.ActionNode):
            return None
        elif isinstance(node, n.ListNode):
            found = _first_text(node.nodes)
            if found is not None:
                return found
        elif isinstance(node, n.IfNode | n.RangeNode | n.WithNode):
            found = _first_text(node.list.nodes)
            if found is None and node.else_list is not None:
                found = _first_text(node.else_list.nodes)
            return found
    return None


# -- legacy truncation ----------------------------------------------------------------------------


def _cut_after_response(root: n.ListNode) -> n.ListNode:
    cut = False

    def walk(node: Any) -> Any:
        nonlocal cut
        if isinstance(node, n.FieldNode) and "Response" in node.ident:
            cut = True
            return node
        if cut:
            return None
        if isinstance(node, n.ListNode):
            kept = (walk(c) for c in node.nodes)
            return n.ListNode(node.pos, tuple(k for k in kept if k is not None))
        if isinstance(node, n.IfNode | n.RangeNode | n.WithNode):
            body = walk(node.list)
            rest = None if node.else_list is None else walk(node.else_list)
            return replace(node, list=body, else_list=rest)
        if isinstance(node, n.ActionNode):
            pipe = walk(node.pipe)
            return None if pipe is None else replace(node, pipe=pipe)
        if isinstance(node, n.PipeNode):
            cmds = []
            for cmd in node.cmds:
                args = tuple(a for a in (walk(x) for x in cmd.args) if a is not None)
                if not args:
                    return None
                cmds.append(replace(cmd, args=args))
            return replace(node, cmds=tuple(cmds))
        return node

    result = walk(root)
    assert isinstance(result, n.ListNode)
    return result


__all__ = ["Template"]
