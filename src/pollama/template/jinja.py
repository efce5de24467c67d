"""Rendering a GGUF's Jinja ``tokenizer.chat_template`` without any way to run code.

Models imported from GGUF files with no Go TEMPLATE layer are prompted through the chat template
their authors shipped (spec §5.1 step 4). The template runs in Jinja's immutable sandbox (no
attribute access to Python internals, no mutation of the inputs), with the globals that Hugging Face
templates expect (``raise_exception``, ``strftime_now``, ``bos_token``, ``eos_token``), and its
output is capped in size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, NoReturn

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from pollama.errors import TemplateError

MAX_OUTPUT_CHARS = 4 << 20


def _raise_exception(message: str) -> NoReturn:
    raise TemplateError(f"chat template error: {message}")


def _tojson(value: Any, indent: int | None = None, **_: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


@lru_cache(maxsize=16)
def _compile(source: str) -> jinja2.Template:
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = _tojson
    env.globals.update(raise_exception=_raise_exception, strftime_now=_strftime_now)
    try:
        return env.from_string(source)
    except jinja2.TemplateError as err:
        raise TemplateError(f"chat template error: {err}") from None


def render_jinja(
    source: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
    bos_token: str = "",
    eos_token: str = "",
    add_generation_prompt: bool = True,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """Render ``source`` for ``messages`` (dicts with ``role`` and ``content``).

    Raises TemplateError when the template does not compile, raises, or produces more than
    :data:`MAX_OUTPUT_CHARS` characters.
    """
    template = _compile(source)
    context = {
        "messages": [dict(m) for m in messages],
        "tools": [dict(t) for t in tools] if tools else None,
        "bos_token": bos_token,
        "eos_token": eos_token,
        "add_generation_prompt": add_generation_prompt,
        **(extra or {}),
    }
    try:
        pieces: list[str] = []
        size = 0
        for piece in template.generate(context):
            size += len(piece)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateError("chat template output is too large")
            pieces.append(piece)
        return "".join(pieces)
    except TemplateError:
        raise
    except (jinja2.TemplateError, TypeError, ValueError, KeyError, IndexError) as err:
        raise TemplateError(f"chat template error: {err}") from None


__all__ = ["render_jinja"]
