"""Thinking (spec §3.2 think, §5.5): the default and capability rules, the streaming split of a
trace from the answer, and history cleanup for qwen3 / deepseek-r1."""

from __future__ import annotations

import pytest

from pollama.errors import BadRequest
from pollama.inference.think import (
    Think,
    ThinkingParser,
    check_think,
    parse_think,
    strip_old_thinking,
    strips_old_thinking,
)
from pollama.template import Message


def split(output: str, step: int, inside: bool = False) -> tuple[str, str]:
    parser = ThinkingParser("<think>", "</think>", inside=inside)
    thinking = content = ""
    for i in range(0, len(output), step):
        t, c = parser.feed(output[i : i + step])
        thinking, content = thinking + t, content + c
    t, c = parser.finish()
    return thinking + t, content + c


CASES = [
    ("trace then answer", "<think>Let me see.</think>Paris.", False, ("Let me see.", "Paris.")),
    ("whitespace after tags dropped", "  <think>\n\nHmm\n\n</think>\n\nParis", False,
     ("Hmm", "Paris")),
    ("no trace", "Paris is the capital.", False, ("", "Paris is the capital.")),
    ("leading whitespace kept without a trace", "\n Paris", False, ("", "\n Paris")),
    ("tag later is content", "Paris <think>x</think>", False, ("", "Paris <think>x</think>")),
    ("prompt opened the trace", "Hmm, France.\n</think>\n\nParis.", True, ("Hmm, France.", "Paris.")),
    ("unclosed trace", "<think>Still thinking ", False, ("Still thinking ", "")),
    ("only a partial opening tag", "<thi", False, ("", "<thi")),
    ("inner whitespace kept", "<think>a \n b</think>c", False, ("a \n b", "c")),
    ("partial closing tag inside", "<think>a </thin b</think>c", False, ("a </thin b", "c")),
    ("empty trace", "<think></think>Paris", False, ("", "Paris")),
    ("empty output", "", False, ("", "")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("output", "inside", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_split(output: str, inside: bool, expected: tuple[str, str]) -> None:
    assert split(output, len(output) or 1, inside) == expected
    assert split(output, 1, inside) == expected
    assert split(output, 3, inside) == expected


def test_streams_as_soon_as_certain() -> None:
    parser = ThinkingParser("<think>", "</think>")
    assert parser.feed("<think>") == ("", "")
    assert parser.feed("One ") == ("One", "")  # the space may precede the closing tag
    assert parser.feed("two</") == (" two", "")
    assert not parser.thinking_done
    assert parser.feed("think> Three") == ("", "Three")
    assert parser.thinking_done and parser.closed
    assert parser.feed(" four") == ("", " four")


def test_no_trace_is_decided_at_the_first_other_character() -> None:
    parser = ThinkingParser("<think>", "</think>")
    assert parser.feed("<") == ("", "")
    assert parser.feed("b>") == ("", "<b>")
    assert parser.thinking_done and not parser.closed


def test_defaults_and_capability() -> None:
    thinking_model = ("completion", "thinking")
    assert check_think(Think(), thinking_model, "m") == Think(True, "medium")
    assert check_think(parse_think("high"), thinking_model, "m") == Think(True, "high")
    assert check_think(parse_think(False), thinking_model, "m") == Think(False, "")
    assert check_think(parse_think(False), ("completion",), "m") == Think(False, "")
    with pytest.raises(BadRequest, match='"m" does not support thinking'):
        check_think(parse_think("low"), ("completion",), "m")


def test_strip_old_thinking() -> None:
    messages = [
        Message("user", "a"),
        Message("assistant", "<think>x</think>\n\nA"),
        Message("user", "b"),
        Message("assistant", "<think>y</think>B"),
    ]
    stripped = strip_old_thinking(messages)
    assert [m.content for m in stripped] == ["a", "A", "b", "<think>y</think>B"]
    assert strips_old_thinking("qwen3", "anything")
    assert strips_old_thinking("llama", "deepseek-r1")
    assert not strips_old_thinking("llama", "llama3.2")
