"""Word wrap and answer display of ``pollama run`` (spec §1.6 "Word wrap" and item 9)."""

from __future__ import annotations

import io
import re

import pytest

from pollama.cli.wrap import (
    AnswerPart,
    ResponseDisplay,
    Waiting,
    WordWrap,
    show_stream,
    terminal_width,
)

ESC = "\033"
ANSI = re.compile(r"\033\[[0-9;]*[A-Za-z]")


class Sink:
    """Collects what a writer writes."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def __call__(self, text: str) -> None:
        self.parts.append(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def wrapped(chunks: list[str], width: int | None) -> str:
    sink = Sink()
    wrap = WordWrap(sink, width)
    for chunk in chunks:
        wrap.feed(chunk)
    return sink.text


def rendered(text: str) -> list[str]:
    """What a terminal shows for ``text``: ``ESC[nD`` moves left, ``ESC[K`` erases to the end."""
    lines = [""]
    col = 0
    i = 0
    while i < len(text):
        m = re.match(r"\033\[(\d*)([DK])", text[i:])
        if m:
            if m.group(2) == "D":
                col -= int(m.group(1) or 1)
            else:
                lines[-1] = lines[-1][:col]
            i += m.end()
            continue
        ch = text[i]
        if ch == "\n":
            lines.append("")
            col = 0
        else:
            lines[-1] = lines[-1][:col] + ch + lines[-1][col + 1 :]
            col += 1
        i += 1
    return lines


TEXT = "The quick brown fox jumps over the lazy dog and keeps running far away."


@pytest.mark.parametrize("width", [None, 5], ids=["no-width", "too-narrow"])
def test_without_wrapping_text_passes_through(width: int | None) -> None:
    assert wrapped([TEXT, "\nmore"], width) == TEXT + "\nmore"


def test_wrap_erases_the_partial_word_and_reemits_it() -> None:
    # width 20: a line may hold 15 columns
    out = wrapped(["hello world again"], 20)
    assert out == f"hello world aga{ESC}[3D{ESC}[K\nagain"
    assert rendered(out) == ["hello world ", "again"]


def test_a_space_that_overflows_becomes_the_line_break() -> None:
    out = wrapped(["abcdefghij abcd next"], 20)
    assert out == "abcdefghij abcd\nnext"
    assert ESC not in out


def test_wrap_at_a_word_start_only_clears_the_line() -> None:
    out = wrapped(["aaaaaaaaaaaaaa bb"], 20)  # "b" would be the 16th column
    assert out == f"aaaaaaaaaaaaaa {ESC}[K\nbb"


def test_chunking_does_not_change_the_output() -> None:
    whole = wrapped([TEXT], 30)
    pieces = wrapped([TEXT[i : i + 3] for i in range(0, len(TEXT), 3)], 30)
    assert pieces == whole
    lines = rendered(whole)
    assert all(len(line.rstrip()) <= 25 for line in lines)
    assert " ".join(line.strip() for line in lines) == TEXT


def test_newlines_restart_the_line_count() -> None:
    out = wrapped(["0123456789\n0123456789 abc"], 20)
    assert out == "0123456789\n0123456789 abc"


def test_words_longer_than_width_minus_10_are_not_wrapped() -> None:
    word = "x" * 14  # > 20 - 10
    out = wrapped([f"a {word}yz next"], 20)
    assert f"{ESC}[" not in out.split("next")[0].split(word)[0]
    assert word + "yz" in out  # left whole for the terminal to fold
    assert rendered(out)[-1] == "next"


def test_wide_characters_end_words() -> None:
    # each character is 2 columns: the 8th would reach column 16 and moves on alone
    assert wrapped(["漢字漢字漢字漢字x"], 20) == f"漢字漢字漢字漢{ESC}[K\n字x"


def display(**kw: object) -> tuple[ResponseDisplay, Sink]:
    sink = Sink()
    options: dict[str, object] = {"width": None, "color": False, "hide_thinking": False, **kw}
    return ResponseDisplay(sink, **options), sink  # type: ignore[arg-type]


def test_thinking_is_framed_in_plain_text() -> None:
    shown, sink = display()
    for part in [
        AnswerPart(thinking="Let me"),
        AnswerPart(thinking=" think"),
        AnswerPart(content="Paris"),
    ]:
        shown.show(part)
    shown.end()
    assert sink.text == "Thinking...\nLet me think\n...done thinking.\n\nParis"
    assert shown.thinking == "Let me think" and shown.content == "Paris"


def test_no_extra_newline_when_thinking_ended_with_one() -> None:
    shown, sink = display()
    shown.show(AnswerPart(thinking="hmm\n"))
    shown.show(AnswerPart(content="ok"))
    assert sink.text == "Thinking...\nhmm\n...done thinking.\n\nok"


def test_thinking_is_grey_on_a_terminal_and_colour_reset_at_the_end() -> None:
    shown, sink = display(color=True)
    shown.show(AnswerPart(thinking="x"))
    shown.end()
    assert sink.text.startswith(f"{ESC}[90m{ESC}[1mThinking...")
    assert sink.text.endswith(f"{ESC}[0m")


def test_hidden_thinking_is_kept_but_not_shown() -> None:
    shown, sink = display(hide_thinking=True)
    assert not shown.visible(AnswerPart(thinking="secret"))
    shown.show(AnswerPart(thinking="secret"))
    shown.show(AnswerPart(content="answer"))
    assert sink.text == "answer" and shown.thinking == "secret"


def test_tool_calls_are_reported_as_nonexistent_functions() -> None:
    shown, sink = display()
    call = {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    shown.show(AnswerPart(tool_calls=[call]))
    assert sink.text == (
        '  Model called a non-existent function \'get_weather()\' with arguments: {"city":"Paris"}'
    )


def test_show_stream_returns_the_final_chunk() -> None:
    shown, sink = display()
    chunks = [
        {"response": "Hel"},
        {"response": "lo"},
        {"response": "", "done": True, "eval_count": 2},
    ]
    final = show_stream(iter(chunks), AnswerPart.from_generate, shown, Waiting(io.StringIO()))
    assert final == chunks[-1]
    assert sink.text == "Hello"


def test_chat_chunks_carry_message_parts() -> None:
    part = AnswerPart.from_chat({"message": {"role": "assistant", "content": "a", "thinking": "b"}})
    assert part == AnswerPart(thinking="b", content="a")


def test_terminal_width_defaults_to_80_without_a_terminal() -> None:
    assert terminal_width(io.StringIO()) == 80


def test_plain_output_has_no_ansi() -> None:
    shown, sink = display()
    shown.show(AnswerPart(thinking="t"))
    shown.show(AnswerPart(content=TEXT * 3))
    shown.end()
    assert not ANSI.search(sink.text)
