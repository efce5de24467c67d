"""Command-line parsing: flags anywhere, bare optional-value flags, usage errors."""

from __future__ import annotations

import pytest

from pollama.cli.main import _expand_bare_flags, build_parser, main


def parse(*argv: str) -> dict[str, object]:
    return vars(build_parser().parse_args(_expand_bare_flags(argv)))


def test_flags_may_follow_the_model_and_prompt() -> None:
    args = parse("run", "m", "--verbose", "why", "blue?", "--nowordwrap")
    assert args["model"] == "m"
    assert args["prompt"] == ["why", "blue?"]
    assert args["verbose"] is True
    assert args["nowordwrap"] is True


def test_bare_think_means_true_and_keeps_the_next_word_as_prompt() -> None:
    args = parse("run", "m", "--think", "hello")
    assert args["think"] == "true"
    assert args["prompt"] == ["hello"]


def test_think_level_with_equals() -> None:
    assert parse("run", "m", "--think=low")["think"] == "low"


def test_words_after_double_dash_are_prompt() -> None:
    args = parse("run", "m", "--", "--think")
    assert args["prompt"] == ["--think"]
    assert args["think"] is None


def test_embedding_flags_are_accepted() -> None:
    args = parse("run", "m", "--no-truncate", "--dimensions", "8")
    assert args["truncate"] is False
    assert args["dimensions"] == 8


def test_unknown_flag_is_an_error_with_exit_code_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "m", "--bogus"])
    assert exited.value.code == 1
    assert capsys.readouterr().err.startswith("Error: unrecognized arguments: --bogus")
