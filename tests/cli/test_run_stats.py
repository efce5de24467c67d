"""The ``--verbose`` metrics block (spec §1.14)."""

from __future__ import annotations

from pollama.cli.stats import format_stats


def test_full_block() -> None:
    metrics = {
        "total_duration": 4_232_710_041,
        "load_duration": 130_079_000,
        "prompt_eval_count": 26,
        "prompt_eval_duration": 129_920_000,
        "eval_count": 259,
        "eval_duration": 4_232_710_041,
    }
    assert format_stats(metrics) == (
        "total duration:       4.232710041s\n"
        "load duration:        130.079ms\n"
        "prompt eval count:    26 token(s)\n"
        "prompt eval duration: 129.92ms\n"
        "prompt eval rate:     200.12 tokens/s\n"
        "eval count:           259 token(s)\n"
        "eval duration:        4.232710041s\n"
        "eval rate:            61.19 tokens/s\n"
    )


def test_labels_are_padded_to_22_columns() -> None:
    for line in format_stats(
        {"total_duration": 1, "eval_count": 1, "eval_duration": 850_000}
    ).splitlines():
        label, value = line[:22], line[22:]
        assert label.rstrip().endswith(":") and not value.startswith(" ")


def test_zero_and_missing_values_are_left_out() -> None:
    assert format_stats({"total_duration": 2_000_000_000, "load_duration": 0}) == (
        "total duration:       2s\n"
    )
    assert format_stats({}) == ""


def test_durations_use_go_units() -> None:
    text = format_stats({"load_duration": 850_000, "total_duration": 125_100_000_000})
    assert "load duration:        850µs\n" in text
    assert "total duration:       2m5.1s\n" in text


def test_rate_without_a_count_is_zero() -> None:
    assert "prompt eval rate:     0.00 tokens/s" in format_stats({"prompt_eval_duration": 1000})
