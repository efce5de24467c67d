"""Execution of a parsed template with Go ``text/template`` semantics (``missingkey=zero``).

The value model is described in :mod:`pollama.template.values`. Highlights of the semantics:

* a missing map key yields nil, printed as ``<no value>``; a field that a struct lacks is an error,
  and so is a field of a nil value reached through a chain (``.Missing.Field``);
* ``if``/``with`` use Go truth; ``range`` walks lists by index, maps in sorted key order and
  integers from 0, and runs its ``else`` list when there was nothing to walk;
* ``and``/``or`` short-circuit and return the deciding operand;
* variables are scoped to the enclosing control structure; a ``{{template}}`` call starts a fresh
  scope where ``$`` is its argument.

Every run is bounded by :class:`Limits` (output size, evaluation steps, template-call depth), so a
hostile template cannot hang or exhaust the server. All failures raise
:class:`~pollama.errors.TemplateError` as Go words them:
``template: :<line>:<col>: executing "<name>" at <<node>>: <message>``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from pollama.errors import TemplateError
from pollama.template import nodes as n
from pollama.template.funcs import ArgTypeError, Func, FuncError
from pollama.template.gofmt import format_value
from pollama.template.values import JSONList, JSONMap, Struct, go_type_name, is_true, sorted_items


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one execution: output characters, evaluation steps, nested template calls."""

    max_output: int = 16 * 1024 * 1024
    max_steps: int = 2_000_000
    max_depth: int = 32


class _Missing:
    """No value: what a pipeline's first command receives as its "final" argument."""


_MISSING = _Missing()


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def execute(
    root: n.ListNode,
    defines: Mapping[str, n.ListNode],
    source: str,
    data: Any,
    funcs: Mapping[str, Func],
    limits: Limits,
) -> str:
    """Run ``root`` with dot (and ``$``) set to ``data``; return the output text."""
    state = _State(defines, source, funcs, limits)
    state.vars = [("$", data)]
    try:
        state.walk(data, root)
    except RecursionError:
        raise TemplateError("template: : exceeded maximum nesting depth") from None
    return "".join(state.out)


class _State:
    def __init__(
        self, defines: Mapping[str, n.ListNode], source: str, funcs: Mapping[str, Func], lim: Limits
    ) -> None:
        self.defines = defines
        self.source = source
        self.funcs = funcs
        self.limits = lim
        self.out: list[str] = []
        self.out_len = 0
        self.steps = 0
        self.depth = 0
        self.name = ""
        self.node: Any = None
        self.vars: list[tuple[str, Any]] = []

    # -- errors, output, budget ---------------------------------------------------------------

    def error(self, message: str) -> NoReturn:
        node = self.node
        if node is None:
            raise TemplateError(f"template: {self.name}: {message}")
        pos = node.pos
        line = self.source.count("\n", 0, pos) + 1
        col = pos - (self.source.rfind("\n", 0, pos) + 1)
        context = str(node)
        if len(context) > 20:
            context = context[:20] + "..."
        where = f':{line}:{col}: executing "{self.name}" at <{context}>'
        raise TemplateError(f"template: {where}: {message}")

    def at(self, node: Any) -> None:
        self.node = node
        self.steps += 1
        if self.steps > self.limits.max_steps:
            self.error(f"template execution exceeded {self.limits.max_steps} steps")

    def write(self, text: str) -> None:
        self.out_len += len(text)
        if self.out_len > self.limits.max_output:
            self.error(f"template output exceeds {self.limits.max_output} characters")
        self.out.append(text)

    # -- variables ----------------------------------------------------------------------------

    def var_value(self, name: str) -> Any:
        for var, value in reversed(self.vars):
            if var == name:
                return value
        self.error(f"undefined variable: {name}")

    def set_var(self, name: str, value: Any) -> None:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                self.vars[i] = (name, value)
                return
        self.error(f"undefined variable: {name}")

    # -- list items ---------------------------------------------------------------------------

    def walk(self, dot: Any, node: n.Node) -> None:
        self.at(node)
        if isinstance(node, n.TextNode):
            self.write(node.text)
        elif isinstance(node, n.ListNode):
            for item in node.nodes:
                self.walk(dot, item)
        elif isinstance(node, n.ActionNode):
            value = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.print_value(node, value)
        elif isinstance(node, n.IfNode | n.WithNode):
            self.walk_if_or_with(dot, node)
        elif isinstance(node, n.RangeNode):
            self.walk_range(dot, node)
        elif isinstance(node, n.TemplateNode):
            self.walk_template(dot, node)
        elif isinstance(node, n.BreakNode):
            raise _Break
        elif isinstance(node, n.ContinueNode):
            raise _Continue

    def print_value(self, node: n.Node, value: Any) -> None:
        self.at(node)
        if value is None:
            self.write("<no value>")
        elif callable(value) and not isinstance(value, Struct):
            self.error(f"can't print {node} of type {go_type_name(value)}")
        else:
            self.write(format_value(value))

    def walk_if_or_with(self, dot: Any, node: n.IfNode | n.WithNode) -> None:
        mark = len(self.vars)
        try:
            value = self.eval_pipeline(dot, node.pipe)
            if is_true(value):
                self.walk(value if isinstance(node, n.WithNode) else dot, node.list)
            elif node.else_list is not None:
                self.walk(dot, node.else_list)
        finally:
            del self.vars[mark:]

    def walk_range(self, dot: Any, node: n.RangeNode) -> None:
        self.at(node)
        outer = len(self.vars)
        try:
            value = self.eval_pipeline(dot, node.pipe)
            mark = len(self.vars)
            ran = False
            for index, elem in self.range_items(node, value):
                ran = True
                self.at(node)
                if node.pipe.decl:
                    self.vars[mark - 1] = (self.vars[mark - 1][0], elem)
                if len(node.pipe.decl) > 1:
                    self.vars[mark - 2] = (self.vars[mark - 2][0], index)
                try:
                    self.walk(elem, node.list)
                except _Continue:
                    pass
                except _Break:
                    break
                finally:
                    del self.vars[mark:]
            if not ran and node.else_list is not None:
                self.walk(dot, node.else_list)
        finally:
            del self.vars[outer:]

    def range_items(self, node: n.RangeNode, value: Any) -> Iterator[tuple[Any, Any]]:
        if value is None:
            return iter(())
        if isinstance(value, list | tuple):
            return enumerate(value)
        if isinstance(value, dict):
            return iter(sorted_items(value))
        if isinstance(value, int) and not isinstance(value, bool):
            if len(node.pipe.decl) > 1:
                self.error(f"can't use {value} to iterate over more than one variable")
            return ((None, i) for i in range(value))
        self.error(f"range can't iterate over {format_value(value)}")

    def walk_template(self, dot: Any, node: n.TemplateNode) -> None:
        self.at(node)
        body = self.defines.get(node.name)
        if body is None:
            self.error(f'template "{node.name}" not defined')
        if self.depth >= self.limits.max_depth:
            self.error(f"exceeded maximum template depth ({self.limits.max_depth})")
        arg = None if node.pipe is None else self.eval_pipeline(dot, node.pipe)
        saved = self.vars, self.name
        self.vars, self.name = [("$", arg)], node.name
        self.depth += 1
        try:
            self.walk(arg, body)
        finally:
            self.vars, self.name = saved
            self.depth -= 1

    # -- pipelines and commands ---------------------------------------------------------------

    def eval_pipeline(self, dot: Any, pipe: n.PipeNode) -> Any:
        self.at(pipe)
        value: Any = _MISSING
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
        for var in pipe.decl:
            if pipe.is_assign:
                self.set_var(var.ident[0], value)
            else:
                self.vars.append((var.ident[0], value))
        return value

    def eval_command(self, dot: Any, cmd: n.CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, n.FieldNode):
            self.at(first)
            return self.eval_field_chain(dot, dot, first.ident, cmd.args, final)
        if isinstance(first, n.ChainNode):
            return self.eval_chain(dot, first, cmd.args, final)
        if isinstance(first, n.IdentifierNode):
            return self.eval_function(dot, first, cmd.args, final)
        if isinstance(first, n.VariableNode):
            return self.eval_variable(dot, first, cmd.args, final)
        self.at(first)
        self.not_a_function(cmd.args, final)
        if isinstance(first, n.PipeNode):
            return self.eval_pipeline(dot, first)
        if isinstance(first, n.NilNode):
            self.error("nil is not a command")
        return self.eval_arg(dot, first)

    def not_a_function(self, args: tuple[n.Arg, ...], final: Any) -> None:
        if len(args) > 1 or final is not _MISSING:
            self.error(f"can't give argument to non-function {args[0]}")

    def eval_arg(self, dot: Any, node: n.Arg) -> Any:
        self.at(node)
        if isinstance(node, n.DotNode):
            return dot
        if isinstance(node, n.NilNode):
            return None
        if isinstance(node, n.FieldNode):
            return self.eval_field_chain(dot, dot, node.ident, (node,), _MISSING)
        if isinstance(node, n.VariableNode):
            return self.eval_variable(dot, node, None, _MISSING)
        if isinstance(node, n.PipeNode):
            return self.eval_pipeline(dot, node)
        if isinstance(node, n.IdentifierNode):
            return self.eval_function(dot, node, None, _MISSING)
        if isinstance(node, n.ChainNode):
            return self.eval_chain(dot, node, None, _MISSING)
        if isinstance(node, n.BoolNode):
            return node.value
        if isinstance(node, n.NumberNode):
            return node.value
        return node.text

    def eval_variable(
        self, dot: Any, node: n.VariableNode, args: tuple[n.Arg, ...] | None, final: Any
    ) -> Any:
        self.at(node)
        value = self.var_value(node.ident[0])
        if len(node.ident) == 1:
            self.not_a_function(args or (node,), final)
            return value
        return self.eval_field_chain(dot, value, node.ident[1:], args, final)

    def eval_chain(
        self, dot: Any, chain: n.ChainNode, args: tuple[n.Arg, ...] | None, final: Any
    ) -> Any:
        self.at(chain)
        if isinstance(chain.node, n.NilNode):
            self.error(f"indirection through explicit nil in {chain}")
        receiver = self.eval_arg(dot, chain.node)
        self.at(chain)
        return self.eval_field_chain(dot, receiver, chain.field, args, final)

    def eval_field_chain(
        self,
        dot: Any,
        receiver: Any,
        ident: tuple[str, ...],
        args: tuple[n.Arg, ...] | None,
        final: Any,
    ) -> Any:
        """Walk ``.A.B.C`` from ``receiver``; only the last step may receive arguments."""
        for i, name in enumerate(ident):
            last = i == len(ident) - 1
            has_args = last and ((args is not None and len(args) > 1) or final is not _MISSING)
            # A nil reached through the chain is a nil interface in Go: using it is an error.
            receiver = self.eval_field(name, receiver, has_args, strict=i > 0)
        return receiver

    def eval_field(self, name: str, receiver: Any, has_args: bool, strict: bool) -> Any:
        if receiver is None:
            if strict:
                self.error(f"nil pointer evaluating interface {{}}.{name}")
            return None
        if name == "String" and (
            isinstance(receiver, JSONMap | JSONList) or getattr(receiver, "stringer", False)
        ):
            return format_value(receiver)
        if isinstance(receiver, Struct):
            if name in receiver.fields:
                if has_args:
                    self.error(f"{name} has arguments but cannot be invoked as function")
                return receiver.fields[name]
        elif isinstance(receiver, dict):
            if has_args:
                self.error(f"{name} is not a method but has arguments")
            return receiver.get(name)
        self.error(f"can't evaluate field {name} in type {go_type_name(receiver)}")

    def eval_function(
        self, dot: Any, node: n.IdentifierNode, args: tuple[n.Arg, ...] | None, final: Any
    ) -> Any:
        self.at(node)
        name = node.ident
        func = self.funcs.get(name)
        if func is None:
            self.error(f'"{name}" is not a defined function')
        operands = args[1:] if args else ()
        count = len(operands) + (final is not _MISSING)
        if count < func.min_args or (func.max_args is not None and count > func.max_args):
            if func.max_args is None:
                want = f"at least {func.min_args}"
            else:
                want = str(func.min_args)
            self.error(f"wrong number of args for {name}: want {want} got {count}")
        if name in ("and", "or"):
            return self.eval_and_or(dot, name, operands, final)
        values = [self.eval_arg(dot, a) for a in operands]
        if final is not _MISSING:
            values.append(final)
        self.at(node)
        try:
            result = func.fn(*values)
        except ArgTypeError as err:
            self.error(str(err))
        except FuncError as err:
            self.error(f"error calling {name}: {err}")
        # Strings built by functions (printf in a loop...) could otherwise grow without bound.
        if isinstance(result, str) and len(result) > self.limits.max_output:
            self.error(f"{name} result exceeds {self.limits.max_output} characters")
        return result

    def eval_and_or(self, dot: Any, name: str, operands: tuple[n.Arg, ...], final: Any) -> Any:
        """``and`` returns the first false operand, ``or`` the first true one, else the last."""
        value: Any = None
        for operand in operands:
            value = self.eval_arg(dot, operand)
            if is_true(value) == (name == "or"):
                return value
        if final is not _MISSING:
            value = final
        return value


__all__ = ["Limits", "execute"]
