from __future__ import annotations

import math

import pytest

from pollama.duration import parse_keep_alive_request


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
