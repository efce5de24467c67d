"""Tree inspection: referenced fields, thinking tags, tool-call tag, legacy truncation."""

from __future__ import annotations

import pytest

from pollama.template import Template, bundled_text

# -- identifiers (upstream TestParse) -----------------------------------------------------------

IDENTIFIERS = [
    ("prompt only", "{{ .Prompt }}", {"prompt", "response"}),
    ("system and prompt", "{{ .System }} {{ .Prompt }}", {"prompt", "response", "system"}),
    ("tools block", "{{ with .Tools }}{{ . }}{{ end }} {{ .System }} {{ .Prompt }}",
     {"prompt", "response", "system", "tools"}),
    ("messages range", "{{ range .Messages }}{{ .Role }} {{ .Content }}{{ end }}",
     {"content", "messages", "role"}),
    ("tool result", '{{ range .Messages }}{{ if eq .Role "tool" }}{{ .ToolName }} {{ .Content }}'
     "{{ end }}{{ end }}", {"content", "messages", "role", "toolname"}),
    ("chatml-like", "{{- if .Messages }}{{- range .Messages }}{{ .Role }}{{ .Content }}{{ end }}"
     "{{ else -}}{{ .System }}{{ .Prompt }}{{ .Response }}{{- end -}}",
     {"content", "messages", "prompt", "response", "role", "system"}),
    ("variables", "{{ range $i, $m := .Messages }}{{ $.Tools }}{{ $m.Role }}{{ end }}",
     {"$", "$m", "messages", "role", "tools"}),
    ("defined templates count", '{{ define "t" }}{{ .Suffix }}{{ end }}{{ .Messages }}',
     {"messages", "suffix"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("src", "expected"), [c[1:] for c in IDENTIFIERS], ids=[c[0] for c in IDENTIFIERS]
)
def test_identifiers(src: str, expected: set[str]) -> None:
    assert Template.parse(src).identifiers == expected


REFERENCES = [
    ("{{ .Tools }}", "Tools", True),
    ("{{ range .Messages }}{{ $.Tools }}{{ end }}", "tools", True),
    ("{{ .Prompt }}", "Tools", False),
    ("{{ .Prompt }}", "Response", True),
    ("{{ if .Suffix }}x{{ end }}", "Suffix", True),
    ("{{ range .Messages }}{{ .ToolCalls }}{{ end }}", "ToolCalls", True),
    ("{{ range .Messages }}{{ end }}", "Response", False),
]


@pytest.mark.parametrize(("src", "field", "expected"), REFERENCES)
def test_references(src: str, field: str, expected: bool) -> None:
    assert Template.parse(src).references(field) is expected


# -- thinking tags (upstream TestInferThinkingTags, plus our own) --------------------------------

QWEN3_LIKE = """
{{- if .Thinking }}/think{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 -}}
{{- if eq .Role "user" }}<|im_start|>user
{{ .Content }}<|im_end|>
{{ else if eq .Role "assistant" }}<|im_start|>assistant
{{ if and $last .Thinking }}
<think>{{ .Thinking }}</think>
{{ end }}
{{ if .Content }}{{ .Content }}
{{- else if .ToolCalls }}<tool_call>
{{ range .ToolCalls }}{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}
{{ end }}</tool_call>
{{- end }}{{ if not $last }}<|im_end|>
{{ end }}
{{- end }}
{{- if and (ne .Role "assistant") $last }}<|im_start|>assistant
{{ end }}
{{- end }}"""

THINKING = [
    ("qwen3-like", QWEN3_LIKE, ("<think>", "</think>")),
    (
        "basic",
        "{{ if .Thinking}}/think{{ end }}{{- range $i, $_ := .Messages }}"
        "{{ if .Thinking }}\n  <think>{{ .Thinking }}</think>\n{{ end }}{{ end }}",
        ("<think>", "</think>"),
    ),
    (
        "range not over messages",
        "{{- range $i, $_ := .Messages }}{{- range .NotMessages }}"
        "{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ end }}{{ end }}",
        None,
    ),
    (
        "text is trimmed",
        "{{ range .Messages }}{{ if .Thinking }}\n Some text before  {{ .Thinking }}  "
        "Some text after\n{{ end }}{{ end }}",
        ("Some text before", "Some text after"),
    ),
    ("outside a range", "{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}", None),
    ("no closing text", "{{ range .Messages }}<think>{{ .Thinking }}{{ end }}", None),
    ("no thinking at all", bundled_text("chatml"), None),
]


@pytest.mark.parametrize(
    ("src", "expected"), [c[1:] for c in THINKING], ids=[c[0] for c in THINKING]
)
def test_thinking_tags(src: str, expected: tuple[str, str] | None) -> None:
    assert Template.parse(src).thinking_tags() == expected


# -- tool-call tag (upstream TestParseTag, plus our own) ------------------------------------------

TOOL_TAGS = [
    ("empty", "", None),
    ("no tag", "{{if .ToolCalls}}{{end}}", "{"),
    ("no tag with range", "{{if .ToolCalls}}{{range .ToolCalls}}{{ . }}{{end}}{{end}}", "{"),
    ("json fence", "{{if .ToolCalls}}```json\n{{end}}", "```json"),
    ("square bracket", "{{if .ToolCalls}}[{{range .ToolCalls}}{{ . }}{{end}}]{{end}}", "["),
    ("bracket with whitespace", "{{if .ToolCalls}}\n [ {{range .ToolCalls}}{{ . }}{{end}}]{{end}}", "["),
    ("trailing bracket", "{{if .ToolCalls}}{{range .ToolCalls}}{{ . }}{{end}}]{{end}}", "{"),
    ("whitespace only", "{{if .ToolCalls}} {{range .ToolCalls}}{{ . }}{{end}}{{end}}", "{"),
    ("whitespace in range", "{{if .ToolCalls}}{{range .ToolCalls}}\n{{ . }}\n{{end}}{{end}}", "{"),
    ("json objects", '{{if .ToolCalls}}{{range .ToolCalls}}{"name": "{{ .Function.Name }}"}{{end}}{{end}}', "{"),
    ("json objects after CRLF", '{{if .ToolCalls}}{{range .ToolCalls}}\r\n{"name": 1}{{end}}{{end}}', "{"),
    ("tag in range", '{{if .ToolCalls}}{{range .ToolCalls}}<tool_call>{"name": 1}</tool_call>{{end}}{{end}}', "<tool_call>"),
    ("tag after newline", "{{if .ToolCalls}}\n{{range .ToolCalls}}<tool_call>{}</tool_call>{{end}}{{end}}", "<tool_call>"),
    ("first of several texts", "{{if .ToolCalls}}First text{{if .Something}}inner{{end}}Second{{end}}", "First text"),
    ("action stops the search", "{{if .ToolCalls}}{{ .X }}late{{end}}", "{"),
    ("mistral style", "{{ if .ToolCalls }}[TOOL_CALLS] [{{ range .ToolCalls }}{}{{ end }}]{{ end }}", "[TOOL_CALLS] ["),
    ("adjacent bracket", "{{if .ToolCalls}}[TOOL_CALL][{{end}}", "[TOOL_CALL]["),
    ("functools", "{{if .ToolCalls}}functools[{{end}}", "functools["),
    ("nested in else if", '{{ if eq .Role "user" }}u{{ else if .ToolCalls }}<tc>{{ end }}', "<tc>"),
    ("inside range over messages", "{{ range .Messages }}{{ if and .X .ToolCalls }}<t>{{ end }}{{ end }}", "<t>"),
    ("qwen3-like", QWEN3_LIKE, "<tool_call>"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("src", "expected"), [c[1:] for c in TOOL_TAGS], ids=[c[0] for c in TOOL_TAGS]
)
def test_tool_call_tag(src: str, expected: str | None) -> None:
    assert Template.parse(src).tool_call_tag() == expected


# -- legacy truncation --------------------------------------------------------------------------

TRUNCATE = [
    ("text after response", "a{{ .Response }}b", "a{{.Response}}"),
    (
        "appended response",
        "[INST] {{ .Prompt }} [/INST]",
        "[INST] {{.Prompt}} [/INST]{{.Response}}",
    ),
    (
        "inside if drops the rest and the else",
        "{{ if .X }}{{ .Response }}<eos>{{ else }}e{{ end }}z",
        "{{if .X}}{{.Response}}{{end}}",
    ),
    ("condition is not a cut point", "{{ if .Response }}x{{ end }}y", "{{if .Response}}x{{end}}y"),
    (
        "qwen legacy tail",
        "{{ .Prompt }}{{ .Response }}{{ if .Response }}<|im_end|>{{ end }}",
        "{{.Prompt}}{{.Response}}",
    ),
    (
        "later arguments dropped",
        "{{ print .Prompt .Response .System }}!",
        "{{print .Prompt .Response}}",
    ),
]


@pytest.mark.parametrize(
    ("src", "expected"), [c[1:] for c in TRUNCATE], ids=[c[0] for c in TRUNCATE]
)
def test_truncated_after_response(src: str, expected: str) -> None:
    tmpl = Template.parse(src)
    cut = tmpl.truncated_after_response()
    assert str(cut.root) == expected
    assert str(cut) == src  # the source text is kept for error positions
