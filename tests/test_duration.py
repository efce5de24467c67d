from __future__ import annotations

import math

import pytest

from pollama.duration import parse_go_duration, parse_keep_alive_request


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300), ("1h30m", 5400), ("-1.5s", -1.5), ("300ms", 0.3), ("2us", 2e-6), ("2µs", 2e-6),
     ("0", 0), ("1.5h", 5400), ("+3s", 3)],
)
def test_parse_go_duration(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [("300", 'time: missing unit in duration "300"'), ("x", 'time: invalid duration "x"'),
     ("", 'time: invalid duration ""'), ("5 m", 'time: invalid duration "5 m"')],
)
def test_parse_go_duration_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_go_duration(text)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(42, 42), (42.5, 42.5), ("42m", 2520), (-1, math.inf), ("-5m", math.inf), (0, 0)],
)
def test_keep_alive_request(value: object, seconds: float) -> None:
    assert parse_keep_alive_request(value) == seconds


@pytest.mark.parametrize("value", ["300", True, None, [1]])
def test_keep_alive_request_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        parse_keep_alive_request(value)
