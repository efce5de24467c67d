"""Backoff and Retry-After."""

from __future__ import annotations

import pytest

from pollama.registry.retry import RetryPolicy, parse_retry_after

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        (" 0 ", 0.0),
        ("Tue, 14 Nov 2023 22:13:50 GMT", 30.0),
        ("Tue, 14 Nov 2023 22:13:00 GMT", 0.0),
        ("soon", None),
        ("-3", None),
        ("1.5", None),
        ("", None),
    ],
    ids=["seconds", "zero", "date", "past-date", "word", "negative", "fraction", "empty"],
)
def test_parse_retry_after(value: str, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_retry_after_replaces_backoff_and_is_capped() -> None:
    policy = RetryPolicy(max_retry_after=10.0, clock=lambda: NOW)
    assert policy.delay(1, "7") == 7.0
    assert policy.delay(1, "3600") == 10.0
    assert policy.delay(3, "nonsense") == 4.0


def test_wait_uses_the_injected_sleep() -> None:
    slept: list[float] = []
    RetryPolicy(sleep=slept.append).wait(2)
    assert slept == [2.0]
