"""Prompt templates: a Go ``text/template`` interpreter and Ollama's prompt building on it.

::

    Template.parse(text) -> Template          parse (TemplateError on bad syntax)
    Template.execute(values) -> str           run with Go semantics (missingkey=zero)
    render_chat(template, messages, ...)      chat prompt (messages or legacy mode)
    fit_to_context(template, messages, ...)   the same, dropping old messages to fit num_ctx
    render_insert(template, prompt, suffix)   fill-in-the-middle prompt

Modules: ``lexer``/``parser``/``nodes`` (syntax), ``exec``/``funcs``/``values``/``gofmt``
(semantics), ``template`` (Ollama's additions and tree inspection), ``messages``/``views``/
``prompt`` (chat rendering), ``bundled`` (the templates shipped in ``data/``).
"""

from pollama.template.bundled import bundled_names, bundled_text
from pollama.template.exec import Limits
from pollama.template.messages import Message, Tool, ToolCall
from pollama.template.prompt import (
    collate,
    fit_to_context,
    render_chat,
    render_insert,
    tag_images,
    truncate_messages,
)
from pollama.template.template import Template

__all__ = [
    "Limits",
    "Message",
    "Template",
    "Tool",
    "ToolCall",
    "bundled_names",
    "bundled_text",
    "collate",
    "fit_to_context",
    "render_chat",
    "render_insert",
    "tag_images",
    "truncate_messages",
]
