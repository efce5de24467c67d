"""Tool-call parsing (spec §5.5): the tag each family's template declares, and what the parser
reads out of that family's output, fed at once and one character at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pollama.inference.tools import (
    ToolCallParser,
    new_call_id,
    prompt_opens_tool_call,
    tool_call_json,
    trigger_word,
)
from pollama.template import Template, Tool, ToolCall

TEMPLATES = Path(__file__).parent / "template" / "testdata" / "tools"
TOOLS = [
    Tool("get_weather", parameters={"type": "object", "properties": {"city": {"type": "string"}}}),
    Tool("get_time", parameters={"type": "object", "properties": {"zone": {"type": "string"}}}),
    Tool("get_time_zone"),
]
PARIS = ("get_weather", {"city": "Paris"})
CET = ("get_time", {"zone": "CET"})


def run(tag: str, output: str, step: int, **kwargs: Any) -> tuple[list[ToolCall], str]:
    ids = (f"call_{i}" for i in range(100))
    parser = ToolCallParser(tag, TOOLS, make_id=lambda: next(ids), **kwargs)
    calls: list[ToolCall] = []
    content = ""
    for i in range(0, len(output), step):
        found, text = parser.feed(output[i : i + step])
        calls += found
        content += text
    found, text = parser.finish()
    return calls + found, content + text


def both_ways(tag: str, output: str, **kwargs: Any) -> Iterator[tuple[list[ToolCall], str]]:
    """The result of feeding everything at once, then one character at a time: equal."""
    whole = run(tag, output, len(output) or 1, **kwargs)
    assert run(tag, output, 1, **kwargs) == whole
    yield whole


# Each family: its template in testdata (the tag it declares), then model output in its format.
FAMILIES = [
    ("qwen2.5", "<tool_call>",
     'Checking.<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
     "Checking.", [PARIS]),
    ("qwen3", "<tool_call>",
     '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n'
     '<tool_call>\n{"name": "get_time", "arguments": {"zone": "CET"}}\n</tool_call>',
     "", [PARIS, CET]),
    ("llama3-groq-tool-use", "<tool_call>",
     '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}{"name": "get_time", '
     '"arguments": {"zone": "CET"}}\n</tool_call>', "", [PARIS, CET]),
    ("mistral", "[TOOL_CALLS] [",
     '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}}, '
     '{"name": "get_time", "arguments": {"zone": "CET"}}]', "", [PARIS, CET]),
    ("mistral", "[TOOL_CALLS] [",
     '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}]', "", [PARIS]),
    ("mistral", "[TOOL_CALLS] [",
     '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}get_time[ARGS]{"zone": "CET"}', "",
     [PARIS, CET]),
    ("llama3.2", "{",
     '{"name": "get_weather", "parameters": {"city": "Paris"}}\n'
     '{"name": "get_time", "parameters": {"zone": "CET"}}', "", [PARIS, CET]),
    ("llama3.2", "{",
     '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}', "", [PARIS]),
    ("llama3.2", "{", '  [{"name": "get_weather", "parameters": {"city": "Paris"}}]', "", [PARIS]),
    ("firefunction", "functools[",
     ' functools[{"name": "get_weather", "arguments": {"city": "Paris"}}, '
     '{"name": "get_time", "arguments": {"zone": "CET"}}]', " ", [PARIS, CET]),
    ("nemotron", "<toolcall>",
     '<toolcall> {"name": "get_weather", "arguments": {"city": "Paris"}} </toolcall>', "",
     [PARIS]),
    ("command-r-plus", "Action: ```json\n[",
     'Action: ```json\n[\n    {\n        "tool_name": "get_weather",\n        "parameters": '
     '{"city": "Paris"}\n    }\n]\n```', "", [PARIS]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("family", "tag", "output", "content", "expected"),
    FAMILIES,
    ids=[f"{f[0]}-{i}" for i, f in enumerate(FAMILIES)],
)
def test_family_output(
    family: str, tag: str, output: str, content: str, expected: list[tuple[str, Any]]
) -> None:
    assert Template.parse((TEMPLATES / f"{family}.gotmpl").read_text()).tool_call_tag() == tag
    for calls, text in both_ways(tag, output):
        assert [(c.name, dict(c.arguments)) for c in calls] == expected
        assert [c.index for c in calls] == list(range(len(expected)))
        assert text == content


CASES = [
    ("text only", "<tool_call>", "The weather is fine.", "The weather is fine.", []),
    ("partial tag at the end is text", "<tool_call>", "a <tool", "a <tool", []),
    ("unknown tool is text", "<tool_call>",
     '<tool_call>{"name": "nope", "arguments": {}}</tool_call>',
     '<tool_call>{"name": "nope", "arguments": {}}</tool_call>', []),
    ("unfinished call is text", "<tool_call>", '<tool_call>{"name": "get_weather", "argu',
     '<tool_call>{"name": "get_weather", "argu', []),
    ("arguments as a JSON string", "<tool_call>",
     '<tool_call>{"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\"}"}', "", [PARIS]),
    ("function wrapper", "<tool_call>",
     '<tool_call>{"type": "function", "function": {"name": "get_weather", '
     '"arguments": {"city": "Paris"}}}', "", [PARIS]),
    ("braces inside strings", "<tool_call>",
     '<tool_call>{"name": "get_weather", "arguments": {"city": "a } b {\\" c"}}', "",
     [("get_weather", {"city": 'a } b {" c'})]),
    ("one-key object", "{", '{"get_weather": {"city": "Paris"}}', "", [PARIS]),
    ("name written before arguments", "<tool_call>", "<tool_call>get_weather{\"city\": \"Paris\"}",
     "", [PARIS]),
    ("longest name wins", "<tool_call>", '<tool_call>get_time_zone{"x": 1}', "",
     [("get_time_zone", {"x": 1})]),
    ("no arguments", "<tool_call>", '<tool_call>{"name": "get_time"}', "", [("get_time", {})]),
    ("text after the calls is dropped", "<tool_call>",
     '<tool_call>{"name": "get_time", "arguments": {"zone": "CET"}}</tool_call> Done!', "", [CET]),
    ("bare: text first is content", "{", 'Hi {"name": "get_weather", "arguments": {}}',
     'Hi {"name": "get_weather", "arguments": {}}', []),
    ("bare: JSON that is not a call is content", "{", '{"answer": 42} and more',
     '{"answer": 42} and more', []),
    ("bare: whitespace first", "{", '\n {"name": "get_time", "parameters": {"zone": "CET"}}', "",
     [CET]),
    ("bare: empty output", "{", "", "", []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("tag", "output", "content", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_parsing(tag: str, output: str, content: str, expected: list[tuple[str, Any]]) -> None:
    for calls, text in both_ways(tag, output):
        assert [(c.name, dict(c.arguments)) for c in calls] == expected
        assert text == content


def test_text_before_the_tag_streams_at_once() -> None:
    parser = ToolCallParser("<tool_call>", TOOLS)
    assert parser.feed("Let me check") == ([], "Let me check")
    assert parser.feed(" now <tool") == ([], " now ")
    calls, text = parser.feed('_call>{"name": "get_time", "arguments": {"zone": "CET"}}')
    assert text == "" and [c.name for c in calls] == ["get_time"]
    assert parser.feed("</tool_call>") == ([], "")
    assert parser.finish() == ([], "")


def test_bare_content_streams_once_decided() -> None:
    parser = ToolCallParser("{", TOOLS)
    assert parser.feed("  ") == ([], "")
    assert parser.feed("Hello") == ([], "  Hello")
    assert parser.feed(" {") == ([], " {")


def test_inside_starts_in_a_call() -> None:
    output = '{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
    for calls, text in both_ways("<tool_call>", output, inside=True):
        assert [(c.name, dict(c.arguments)) for c in calls] == [PARIS] and text == ""


def test_prompt_opens_tool_call() -> None:
    assert prompt_opens_tool_call("<|im_start|>assistant\n<tool_call>\n", "<tool_call>")
    assert not prompt_opens_tool_call("<|im_start|>assistant\n", "<tool_call>")
    assert not prompt_opens_tool_call("x {", "{")


def test_ids_indexes_and_wire_shape() -> None:
    parser = ToolCallParser("{", TOOLS)
    calls, _ = parser.feed('[{"name": "get_time", "arguments": {}}, {"name": "get_time"}]')
    assert [c.index for c in calls] == [0, 1] and parser.count == 2
    assert all(c.id.startswith("call_") and len(c.id) == 13 for c in calls)
    assert calls[0].id != calls[1].id
    wire = tool_call_json(calls[1])
    assert wire == {
        "id": calls[1].id,
        "function": {"index": 1, "name": "get_time", "arguments": {}},
    }
    assert tool_call_json(ToolCall("f")) == {"function": {"index": 0, "name": "f", "arguments": {}}}


def test_call_ids_alphabet() -> None:
    ident = new_call_id()
    assert ident.startswith("call_") and ident[5:].isalnum() and ident[5:].islower()


@pytest.mark.parametrize(
    ("tag", "word"),
    [("[TOOL_CALLS] [", "[TOOL_CALLS]"), ("<tool_call>", "<tool_call>"), ("", "{")],
)
def test_trigger_word(tag: str, word: str) -> None:
    assert trigger_word(tag) == word
