"""Prompt building: collation, image tags, legacy/messages/insert modes, think flags, truncation."""

from __future__ import annotations

import pytest

from pollama.template import (
    Message,
    Template,
    Tool,
    ToolCall,
    bundled_text,
    collate,
    fit_to_context,
    render_chat,
    render_insert,
    tag_images,
    truncate_messages,
)

# -- collate (upstream TestCollate) -------------------------------------------------------------

COLLATE = [
    (
        "consecutive user messages are merged",
        [Message("user", "Hello"), Message("user", "How are you?")],
        [("user", "Hello\n\nHow are you?")],
        "",
    ),
    (
        "consecutive tool messages are not merged",
        [Message("tool", "sunny", tool_name="w"), Message("tool", "72F", tool_name="t")],
        [("tool", "sunny"), ("tool", "72F")],
        "",
    ),
    (
        "system messages are joined and kept in place",
        [
            Message("system", "A"),
            Message("user", "u"),
            Message("system", "B"),
            Message("user", "v"),
        ],
        [("system", "A"), ("user", "u"), ("system", "B"), ("user", "v")],
        "A\n\nB",
    ),
    (
        "consecutive system messages merge",
        [Message("system", "A"), Message("system", "B"), Message("user", "u")],
        [("system", "A\n\nB"), ("user", "u")],
        "A\n\nB",
    ),
]


@pytest.mark.parametrize(
    ("messages", "expected", "system"), [c[1:] for c in COLLATE], ids=[c[0] for c in COLLATE]
)
def test_collate(messages: list[Message], expected: list[tuple[str, str]], system: str) -> None:
    got_system, merged = collate(messages)
    assert got_system == system
    assert [(m.role, m.content) for m in merged] == expected


def test_collate_keeps_first_message_fields() -> None:
    first = Message("assistant", "a", tool_calls=(ToolCall("f"),))
    _, merged = collate([first, Message("assistant", "b")])
    assert merged == [Message("assistant", "a\n\nb", tool_calls=(ToolCall("f"),))]


# -- image tags ---------------------------------------------------------------------------------

IMAGES = [
    ("prefix", [Message("user", "What is this?", images=("i0", "i1"))], ["[img-0][img-1]What is this?"]),
    ("placeholder", [Message("user", "Compare [img] and [img]", images=("a", "b"))], ["Compare [img-0] and [img-1]"]),
    ("mixed", [Message("user", "x [img]", images=("a", "b"))], ["[img-1]x [img-0]"]),
    (
        "numbering spans messages",
        [Message("user", "a", images=("1",)), Message("assistant", "b"), Message("user", "c", images=("2",))],
        ["[img-0]a", "b", "[img-1]c"],
    ),
    ("no images", [Message("user", "[img] stays")], ["[img] stays"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("messages", "expected"), [c[1:] for c in IMAGES], ids=[c[0] for c in IMAGES]
)
def test_tag_images(messages: list[Message], expected: list[str]) -> None:
    assert [m.content for m in tag_images(messages)] == expected


def test_render_chat_tags_images() -> None:
    tmpl = Template.parse(bundled_text("chatml"))
    prompt = render_chat(tmpl, [Message("user", "Describe", images=(b"\x89PNG",))])
    assert prompt == "<|im_start|>user\n[img-0]Describe<|im_end|>\n<|im_start|>assistant\n"


# -- modes (upstream TestExecuteWithMessages) ---------------------------------------------------

MISTRAL_VARIANTS = [
    "[INST] {{ if .System }}{{ .System }}\n\n{{ end }}{{ .Prompt }}[/INST] ",
    "[INST] {{ if .System }}{{ .System }}\n\n{{ end }}{{ .Prompt }}[/INST] {{ .Response }}",
    (
        "[INST] {{ if .System }}{{ .System }}\n\n{{ end }}\n{{- range .Messages }}\n"
        '{{- if eq .Role "user" }}{{ .Content }}[/INST] {{ else if eq .Role "assistant" }}'
        "{{ .Content }}[INST] {{ end }}\n{{- end }}"
    ),
]
MODES = [
    (
        "mistral",
        MISTRAL_VARIANTS,
        [Message("user", "Hello friend!"), Message("assistant", "Hello human!"), Message("user", "What is your name?")],
        "[INST] Hello friend![/INST] Hello human![INST] What is your name?[/INST] ",
    ),
    (
        "mistral system",
        MISTRAL_VARIANTS,
        [
            Message("system", "You are a helpful assistant!"),
            Message("user", "Hello friend!"),
            Message("assistant", "Hello human!"),
            Message("user", "What is your name?"),
        ],
        "[INST] You are a helpful assistant!\n\nHello friend![/INST] Hello human![INST] What is your name?[/INST] ",
    ),
    (
        "assistant continuation",
        [
            "[INST] {{ .Prompt }}[/INST] ",
            "[INST] {{ .Prompt }}[/INST] {{ .Response }}",
            '{{- range $i, $m := .Messages }}\n{{- if eq .Role "user" }}[INST] {{ .Content }}[/INST] '
            '{{ else if eq .Role "assistant" }}{{ .Content }}{{ end }}\n{{- end }}',
        ],
        [
            Message("user", "Hello friend!"),
            Message("assistant", "Hello human!"),
            Message("user", "What is your name?"),
            Message("assistant", "My name is Ollama and I"),
        ],
        "[INST] Hello friend![/INST] Hello human![INST] What is your name?[/INST] My name is Ollama and I",
    ),
    (
        "chatml",
        [
            "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}{{ if .Prompt }}"
            "<|im_start|>user\n{{ .Prompt }}<|im_end|>\n{{ end }}<|im_start|>assistant\n"
            "{{ .Response }}<|im_end|>\n",
            "\n{{- range $index, $_ := .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n"
            "{{ end }}<|im_start|>assistant\n",
        ],
        [
            Message("system", "You are a helpful assistant!"),
            Message("user", "Hello friend!"),
            Message("assistant", "Hello human!"),
            Message("user", "What is your name?"),
        ],
        "<|im_start|>system\nYou are a helpful assistant!<|im_end|>\n<|im_start|>user\nHello friend!"
        "<|im_end|>\n<|im_start|>assistant\nHello human!<|im_end|>\n<|im_start|>user\n"
        "What is your name?<|im_end|>\n<|im_start|>assistant\n",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("variants", "messages", "expected"), [c[1:] for c in MODES], ids=[c[0] for c in MODES]
)
def test_legacy_and_messages_modes_agree(
    variants: list[str], messages: list[Message], expected: str
) -> None:
    for text in variants:
        assert render_chat(Template.parse(text), messages) == expected, text


def test_legacy_ignores_tool_messages_and_starts_turn_on_system() -> None:
    tmpl = Template.parse("<{{ .System }}|{{ .Prompt }}|{{ .Response }}>")
    messages = [
        Message("user", "u1"),
        Message("tool", "ignored"),
        Message("assistant", "a1"),
        Message("system", "s2"),
        Message("user", "u2"),
    ]
    assert render_chat(tmpl, messages) == "<|u1|a1><s2|u2|"


INSERT_TEMPLATE = "{{- if .Suffix }}<PRE> {{ .Prompt }} <SUF>{{ .Suffix }} <MID>\n{{- else }}{{ .Prompt }}\n{{- end }}"


def test_insert_mode() -> None:
    tmpl = Template.parse(INSERT_TEMPLATE)
    assert tmpl.references("Suffix")
    assert render_insert(tmpl, "def add(", "return x") == "<PRE> def add( <SUF>return x <MID>"
    assert render_chat(tmpl, [Message("user", "hello")]) == "hello"


THINK = [
    ("unset", None, "", False, "false||false"),
    ("true", True, "medium", False, "true|medium|true"),
    ("false", False, "", False, "false||true"),
    ("level", True, "high", True, "true|high|true"),
    ("explicitly unset flag", None, "", True, "false||true"),
]


@pytest.mark.parametrize(
    ("think", "level", "is_set", "expected"), [c[1:] for c in THINK], ids=[c[0] for c in THINK]
)
def test_think_values(think: bool | None, level: str, is_set: bool, expected: str) -> None:
    text = "{{ .Think }}|{{ .ThinkLevel }}|{{ .IsThinkSet }}"
    for tmpl in (Template.parse(text + "{{ range .Messages }}{{ end }}"), Template.parse(text)):
        got = render_chat(
            tmpl, [Message("user", "x")], think=think, think_level=level, is_think_set=is_set
        )
        assert got == expected


def test_message_fields_visible_to_templates() -> None:
    tmpl = Template.parse(
        "{{ range .Messages }}{{ .Role }} {{ .Thinking }} {{ len .Images }} {{ .ToolName }} "
        "{{ .ToolCallID }}{{ range .ToolCalls }} {{ .ID }}#{{ .Function.Index }} "
        "{{ .Function.Name }}{{ .Function.Arguments }}{{ end }};{{ end }}"
    )
    messages = [
        Message(
            "assistant",
            "",
            thinking="hmm",
            tool_calls=(ToolCall("f", {"b": 1, "a": [1]}, 1, "c1"),),
        ),
        Message("tool", "r", images=("x",), tool_name="f", tool_call_id="c1"),
    ]
    expected = 'assistant hmm 0   c1#1 f{"a":[1],"b":1};tool  1 f c1;'
    assert render_chat(tmpl, messages) == expected


# -- truncation to the context window -----------------------------------------------------------

CHATML = Template.parse(bundled_text("chatml"))
SYS = Message("system", "sys prompt")
OLD_USER = Message("user", "one two three four five six")
OLD_REPLY = Message("assistant", "seven eight nine ten eleven twelve")
LAST = Message("user", "last question")
HISTORY = [SYS, OLD_USER, OLD_REPLY, LAST]


def words(text: str) -> int:
    return len(text.split())


def size(messages: list[Message]) -> int:
    return words(render_chat(CHATML, messages))


TRUNCATION = [
    ("everything fits", size(HISTORY), HISTORY),
    ("drop oldest user", size([SYS, OLD_REPLY, LAST]), [SYS, OLD_REPLY, LAST]),
    ("keep system and last", size([SYS, LAST]), [SYS, LAST]),
    ("last kept even if too long", 1, [SYS, LAST]),
]


@pytest.mark.parametrize(
    ("num_ctx", "kept"), [c[1:] for c in TRUNCATION], ids=[c[0] for c in TRUNCATION]
)
def test_fit_to_context(num_ctx: int, kept: list[Message]) -> None:
    assert truncate_messages(CHATML, HISTORY, num_ctx=num_ctx, count_tokens=words) == kept
    prompt = fit_to_context(CHATML, HISTORY, num_ctx=num_ctx, count_tokens=words)
    assert prompt == render_chat(CHATML, kept)


def test_fit_keeps_system_messages_from_the_dropped_part() -> None:
    history = [OLD_USER, SYS, OLD_REPLY, Message("system", "late"), LAST]
    kept = truncate_messages(CHATML, history, num_ctx=1, count_tokens=words)
    assert kept == [SYS, Message("system", "late"), LAST]


def test_fit_counts_image_tokens_and_measures_untagged_prompts() -> None:
    seen: list[str] = []

    def count(text: str) -> int:
        seen.append(text)
        return words(text)

    history = [Message("user", "old", images=("a",)), Message("assistant", "ok"), LAST]
    num_ctx = size(history) + 10
    assert truncate_messages(CHATML, history, num_ctx=num_ctx, count_tokens=count) == history
    kept = truncate_messages(CHATML, history, num_ctx=num_ctx, count_tokens=count, image_tokens=768)
    assert kept == [Message("assistant", "ok"), LAST]
    assert all("[img-" not in text for text in seen)
    prompt = fit_to_context(
        CHATML, [history[0], LAST], num_ctx=10_000, count_tokens=words, image_tokens=768
    )
    assert "[img-0]old" in prompt


def test_fit_skips_attempts_that_repeat_the_same_messages() -> None:
    calls: list[str] = []

    def count(text: str) -> int:
        calls.append(text)
        return 10**6

    truncate_messages(CHATML, [SYS, OLD_USER, OLD_REPLY, LAST], num_ctx=1, count_tokens=count)
    assert len(calls) == 2  # starts 0 and 2; start 1 repeats start 0; the last start needs none


def test_fit_empty_history() -> None:
    assert truncate_messages(CHATML, [], num_ctx=10, count_tokens=words) == []


def test_tool_schema_keeps_only_go_fields() -> None:
    tool = Tool.from_dict(
        {
            "type": "function",
            "function": {
                "name": "f",
                "parameters": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "n": {"type": "integer", "default": 3, "minimum": 0},
                        "o": {"type": "object", "properties": {"z": {"type": "string"}, "a": {}}},
                    },
                },
            },
        }
    )
    tmpl = Template.parse("{{ range .Messages }}{{ end }}{{ range .Tools }}{{ . }}{{ end }}")
    expected = (
        '{"type":"function","function":{"name":"f","description":"","parameters":{"type":"object",'
        '"properties":{"n":{"type":"integer"},"o":{"type":"object","properties":{"z":{"type":'
        '"string"},"a":{}}}}}}}'
    )
    assert render_chat(tmpl, [Message("user", "x")], tools=[tool]) == expected


def test_message_from_dict() -> None:
    message = Message.from_dict(
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "c", "function": {"index": 2, "name": "f", "arguments": {"a": 1}}}
            ],
        }
    )
    assert message == Message("assistant", "", tool_calls=(ToolCall("f", {"a": 1}, 2, "c"),))
