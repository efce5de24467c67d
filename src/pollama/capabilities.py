"""What a model can do, derived from its GGUF metadata, layers and template (spec §6.3, §5.5)."""

from __future__ import annotations

from pollama.errors import TemplateError
from pollama.gguf import GGUFInfo
from pollama.model import Model
from pollama.template import Template


def capabilities(model: Model, info: GGUFInfo | None) -> list[str]:
    """The capability names ``/api/show`` and ``/api/tags`` report, in Ollama's order."""
    caps: list[str] = []
    if info is not None and info.pooling_type is not None:
        caps.append("embedding")
    else:
        caps.append("completion")
    if model.projectors or (info is not None and info.has_vision):
        caps.append("vision")
    template_caps = _go_template_caps(model.template) if model.template is not None else None
    if template_caps is None:
        template_caps = _jinja_caps(info.chat_template if info else None)
    caps.extend(template_caps)
    return caps


def _go_template_caps(text: str) -> list[str] | None:
    try:
        template = Template.parse(text)
    except TemplateError:
        return None
    caps = []
    if template.references("Tools"):
        caps.append("tools")
    if template.references("Suffix"):
        caps.append("insert")
    if template.thinking_tags() is not None:
        caps.append("thinking")
    return caps


def _jinja_caps(text: str | None) -> list[str]:
    if not text:
        return []
    caps = []
    if "tools" in text or "tool_call" in text:
        caps.append("tools")
    if "<think>" in text and "</think>" in text:
        caps.append("thinking")
    return caps


__all__ = ["capabilities"]
