"""Reading a response by the request's rules: thinking and tool calls together, the tags a
template declares, the thinking pass before a format constraint, and what llama.cpp is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from pollama.inference.completion import Done
from pollama.inference.prompt import PromptTemplate
from pollama.inference.respond import Chunk, OutputRules, output_rules, respond
from pollama.inference.think import Think
from pollama.template import Message, Template, Tool

TOOLS = (Tool("get_weather"),)


class ScriptedRunner:
    """Answers the n-th completion with the n-th script (text pieces, then a stop event)."""

    def __init__(self, *scripts: Sequence[str], stop_type: str = "eos") -> None:
        self.scripts = list(scripts)
        self.bodies: list[dict[str, Any]] = []
        self.closed_early = 0
        self.stop_type = stop_type

    @property
    def alive(self) -> bool:
        return True

    async def completion(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        assert body.pop("stream") is True and body.pop("return_tokens") is True
        self.bodies.append(body)
        pieces = self.scripts[len(self.bodies) - 1]
        finished = False
        try:
            for i, text in enumerate(pieces):
                yield {"content": text, "tokens": [i], "stop": False}
            timings = {"predicted_n": len(pieces), "predicted_ms": 1.0}
            finished = True
            yield {"content": "", "stop": True, "stop_type": self.stop_type, "timings": timings}
        finally:
            self.closed_early += not finished

    async def tokenize(self, text: str, *, add_special: bool = False) -> list[int]:
        return []

    async def detokenize(self, tokens: Sequence[int]) -> str:
        return ""

    async def embed(self, inputs: list[str]) -> list[list[float]]:
        return []

    async def close(self) -> None:
        pass


def collect(runner: ScriptedRunner, prompt: str, rules: OutputRules) -> tuple[Chunk, Done]:
    async def go() -> list[Chunk | Done]:
        return [item async for item in respond(runner, {"prompt": prompt}, rules)]

    items = asyncio.run(go())
    done = items[-1]
    assert isinstance(done, Done) and all(isinstance(i, Chunk) for i in items[:-1])
    chunks = [i for i in items[:-1] if isinstance(i, Chunk)]
    merged = Chunk(
        content="".join(c.content for c in chunks),
        thinking="".join(c.thinking for c in chunks),
        tool_calls=tuple(call for c in chunks for call in c.tool_calls),
        tokens=tuple(t for c in chunks for t in c.tokens),
    )
    return merged, done


THINK_TAGS = ("<think>", "</think>")


def test_plain_text_passes_through_and_tokens_are_kept() -> None:
    runner = ScriptedRunner(["Hel", "lo"])
    chunk, done = collect(runner, "p", OutputRules())
    assert chunk == Chunk(content="Hello", tokens=(0, 1))
    assert done.done_reason == "stop" and done.eval_count == 2
    assert runner.bodies == [{"prompt": "p"}]


def test_thinking_then_tool_call() -> None:
    rules = output_rules(THINK_TAGS, "<tool_call>", Think(True, "medium"), TOOLS)
    script = ["<think>", "I should call", "</think>", "<tool_", 'call>{"name": "get_weather"}']
    chunk, _ = collect(ScriptedRunner(script), "p", rules)
    assert chunk.thinking == "I should call" and chunk.content == ""
    assert [c.name for c in chunk.tool_calls] == ["get_weather"]


def test_tool_markup_inside_thinking_is_not_a_call() -> None:
    rules = output_rules(THINK_TAGS, "<tool_call>", Think(True, "medium"), TOOLS)
    script = ['<think><tool_call>{"name": "get_weather"}</think>', "Sunny."]
    chunk, _ = collect(ScriptedRunner(script), "p", rules)
    assert chunk.tool_calls == () and chunk.content == "Sunny."


def test_thinking_off_leaves_tags_in_content() -> None:
    rules = output_rules(THINK_TAGS, None, Think(False, ""))
    chunk, _ = collect(ScriptedRunner(["<think>x</think>y"]), "p", rules)
    assert chunk == Chunk(content="<think>x</think>y", tokens=(0,))


def test_prompt_ending_in_the_opening_tag_starts_inside() -> None:
    rules = output_rules(THINK_TAGS, None, Think(True, "medium"))
    chunk, _ = collect(ScriptedRunner(["Hmm.", "</think>", "Yes."]), "q <think>\n", rules)
    assert (chunk.thinking, chunk.content) == ("Hmm.", "Yes.")


def test_prompt_ending_in_the_tool_tag_starts_inside() -> None:
    rules = output_rules(None, "<tool_call>", Think(), TOOLS)
    chunk, _ = collect(ScriptedRunner(['{"name": "get_weather"}']), "q\n<tool_call>\n", rules)
    assert [c.name for c in chunk.tool_calls] == ["get_weather"] and chunk.content == ""


def test_format_without_thinking_constrains_at_once() -> None:
    rules = output_rules(None, None, Think(), constraint={"grammar": "g"})
    runner = ScriptedRunner(['{"a": 1}'])
    chunk, _ = collect(runner, "p", rules)
    assert chunk.content == '{"a": 1}'
    assert runner.bodies == [{"prompt": "p", "grammar": "g"}]


def test_format_with_thinking_thinks_first_then_constrains() -> None:
    rules = output_rules(THINK_TAGS, None, Think(True, "medium"), constraint={"grammar": "g"})
    runner = ScriptedRunner(
        ["<think>", "Plan", "</think>", "\n\nnot json", "ignored"], ['{"a": 1}']
    )
    chunk, done = collect(runner, "p", rules)
    assert (chunk.thinking, chunk.content) == ("Plan", '{"a": 1}')
    first, second = runner.bodies
    assert "grammar" not in first and first["preserved_tokens"] == ["<think>", "</think>"]
    assert second["grammar"] == "g" and second["prompt"] == "p<think>Plan</think>"
    assert runner.closed_early == 1  # the thinking pass was stopped, freeing the slot
    assert done.eval_count == 3 + 1  # tokens of both passes


def test_format_with_thinking_when_the_model_does_not_think() -> None:
    rules = output_rules(THINK_TAGS, None, Think(True, "medium"), constraint={"grammar": "g"})
    runner = ScriptedRunner(["Sure", "!"], ['{"a": 1}'])
    chunk, _ = collect(runner, "p", rules)
    assert (chunk.thinking, chunk.content) == ("", '{"a": 1}')
    assert runner.bodies[1]["prompt"] == "p"


def test_format_with_thinking_that_never_ends() -> None:
    rules = output_rules(THINK_TAGS, None, Think(True, "medium"), constraint={"grammar": "g"})
    runner = ScriptedRunner(["<think>", "and on"], stop_type="limit")
    chunk, done = collect(runner, "p", rules)
    assert (chunk.thinking, chunk.content) == ("and on", "")
    assert done.done_reason == "length" and len(runner.bodies) == 1


def test_preserved_tokens_are_the_tag_words() -> None:
    rules = output_rules(THINK_TAGS, "[TOOL_CALLS] [", Think(True, "high"), TOOLS)
    assert rules.preserved_tokens() == ["<think>", "</think>", "[TOOL_CALLS]"]
    assert output_rules(None, None, Think(), TOOLS).tool_tag == "{"
    assert output_rules(None, "<tool_call>", Think(), ()).tool_tag is None
    assert output_rules(THINK_TAGS, None, Think()).thinking_tags is None


QWEN_LIKE = (
    "{{ range .Messages }}<|im_start|>{{ .Role }}\n"
    "{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}"
    "{{ if .ToolCalls }}<tool_call>{{ range .ToolCalls }}{{ json .Function }}{{ end }}"
    "</tool_call>{{ end }}<|im_end|>\n{{ end }}<|im_start|>assistant\n"
    "{{ if .Think }}<think>\n{{ end }}"
)


def test_prompt_template_tags() -> None:
    go = PromptTemplate(go=Template.parse(QWEN_LIKE))
    assert go.thinking_tags() == THINK_TAGS and go.tool_call_tag() == "<tool_call>"
    jinja = PromptTemplate(jinja="{% if x %}<think>{% endif %}</think><tool_call>")
    assert jinja.thinking_tags() == THINK_TAGS and jinja.tool_call_tag() == "<tool_call>"
    plain = PromptTemplate(jinja="{{ messages }}")
    assert plain.thinking_tags() is None and plain.tool_call_tag() is None


def test_render_passes_think_flags() -> None:
    template = PromptTemplate(
        go=Template.parse("{{ .Think }} {{ .ThinkLevel }} {{ .IsThinkSet }}{{ .Prompt }}")
    )
    assert template.render([], think=Think(True, "high")).startswith("true high true")
    assert template.render([], think=Think(False, "")).startswith("false  true")
    assert template.render([]).startswith("false  false")
    jinja = PromptTemplate(jinja="{{ enable_thinking is defined and enable_thinking }}")
    assert jinja.render([], think=Think(False, "")) == "False"
    assert jinja.render([]) == "False"
    assert jinja.render([], think=Think(True, "medium")) == "True"


def test_jinja_sees_thinking_and_tool_results() -> None:
    template = PromptTemplate(
        jinja="{% for m in messages %}{{ m.role }}:{{ m.reasoning_content }}|{{ m.content }}"
        "{% if m.name %}({{ m.name }}){% endif %};{% endfor %}"
    )
    messages = [
        Message("assistant", "A", thinking="T"),
        Message("tool", "18", tool_name="get_weather"),
    ]
    assert template.render(messages) == "assistant:T|A;tool:|18(get_weather);"
