"""Flag validation and prompt assembly of ``pollama run`` (spec §1.6 steps 1-4)."""

from __future__ import annotations

import argparse
import io

import pytest

from pollama.cli.run import (
    RunOptions,
    default_think,
    generate_request,
    parse_format,
    parse_keepalive,
    parse_think,
    read_prompt,
)
from pollama.errors import BadRequest


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("true", True),
        ("false", False),
        ("high", "high"),
        ("medium", "medium"),
        ("low", "low"),
        ("max", "max"),
    ],
    ids=["absent", "true", "false", "high", "medium", "low", "max"],
)
def test_think_values(value: str | None, expected: object) -> None:
    assert parse_think(value) == expected


@pytest.mark.parametrize("value", ["x", "TRUE", "1", "", "extreme"])
def test_think_rejects_other_values(value: str) -> None:
    with pytest.raises(BadRequest) as err:
        parse_think(value)
    assert str(err.value) == (
        f'invalid value for --think: "{value}" (must be true, false, high, medium, low, or max)'
    )


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (None, None),
        ("5m", "5m0s"),
        ("1h30m", "1h30m0s"),
        ("0", "0s"),
        ("-1s", -1),
        ("90s", "1m30s"),
    ],
)
def test_keepalive_is_sent_as_a_go_duration(value: str | None, sent: object) -> None:
    assert parse_keepalive(value) == sent


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5x", 'time: unknown unit "x" in duration "5x"'),
        ("300", 'time: missing unit in duration "300"'),
        ("soon", 'time: invalid duration "soon"'),
    ],
)
def test_bad_keepalive_gives_go_message(value: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_keepalive(value)


def test_format() -> None:
    assert parse_format(None) == ""
    assert parse_format("json") == "json"
    assert parse_format('{"type": "object"}') == {"type": "object"}
    with pytest.raises(BadRequest, match="invalid value for --format"):
        parse_format("yaml")


def namespace(**kw: object) -> argparse.Namespace:
    base: dict[str, object] = {
        "model": "m",
        "prompt": [],
        "keepalive": None,
        "verbose": False,
        "insecure": False,
        "nowordwrap": False,
        "format": None,
        "think": None,
        "hidethinking": False,
    }
    return argparse.Namespace(**{**base, **kw})


def test_options_from_args() -> None:
    opts = RunOptions.from_args(
        namespace(think="true", keepalive="10m", format="json", nowordwrap=True, verbose=True)
    )
    assert opts == RunOptions(
        model="m", format="json", think=True, keep_alive="10m0s", verbose=True, wordwrap=False
    )
    with pytest.raises(BadRequest):
        RunOptions.from_args(namespace(think="x"))


def test_generate_request_leaves_unset_fields_out() -> None:
    assert generate_request(RunOptions(model="m"), "hi", None) == {"model": "m", "prompt": "hi"}
    opts = RunOptions(model="m", format="json", keep_alive=-1)
    assert generate_request(opts, "hi", "low") == {
        "model": "m",
        "prompt": "hi",
        "format": "json",
        "keep_alive": -1,
        "think": "low",
    }


def test_thinking_default_follows_the_capability() -> None:
    assert default_think(None, ["completion", "thinking"]) is True
    assert default_think(None, ["completion"]) is None
    assert default_think(False, ["thinking"]) is False
    assert default_think("high", []) == "high"


def test_prompt_from_words_is_one_shot() -> None:
    assert read_prompt(["why", "blue?"], TTY(), TTY()) == ("why blue?", False)


def test_no_words_on_terminals_is_interactive() -> None:
    assert read_prompt([], TTY(), TTY()) == ("", True)


def test_stdout_not_a_terminal_is_one_shot() -> None:
    assert read_prompt([], TTY(), io.StringIO()) == ("", False)


def test_piped_stdin_comes_first_joined_by_a_space() -> None:
    assert read_prompt(["summarise"], io.StringIO("text\n"), TTY()) == ("text\n summarise", False)
    assert read_prompt([], io.StringIO("why?\n"), TTY()) == ("why?\n", False)


def test_empty_piped_stdin_is_one_shot_with_the_words() -> None:
    assert read_prompt(["hi"], io.StringIO(""), TTY()) == ("hi", False)
    assert read_prompt([], io.StringIO(""), TTY()) == ("", False)
