from __future__ import annotations

from pathlib import Path

import pytest

from pollama.errors import TemplateError
from pollama.gguf import read_gguf
from pollama.template.jinja import render_jinja


def test_smollm2_chat_template_renders_chatml(smollm2_path: Path) -> None:
    template = read_gguf(smollm2_path).chat_template
    assert template is not None
    prompt = render_jinja(template, [{"role": "user", "content": "Hi"}])
    assert prompt.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    assert "<|im_start|>system\n" in prompt  # SmolLM2's own default system prompt


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{% set x = messages.append(1) %}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ raise_exception('nope') }}",
        "{% for m in messages %}",
    ],
)
def test_unsafe_or_broken_templates_raise_template_error(source: str) -> None:
    with pytest.raises(TemplateError):
        render_jinja(source, [{"role": "user", "content": "Hi"}])


@pytest.mark.parametrize("source", ["{{ messages.__class__ }}", "{{ ''.__class__ }}"])
def test_internals_are_invisible(source: str) -> None:
    assert render_jinja(source, [{"role": "user", "content": "Hi"}]) == ""


def test_output_is_capped() -> None:
    with pytest.raises(TemplateError, match="too large"):
        render_jinja("{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}", [])


def test_hf_globals() -> None:
    out = render_jinja(
        "{{ bos_token }}{{ messages[0]['content'] | tojson }}{{ strftime_now('%Y') | length }}",
        [{"role": "user", "content": "é"}],
        bos_token="<s>",
    )
    assert out == '<s>"é"4'
