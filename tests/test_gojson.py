from __future__ import annotations

import pytest

from pollama import gojson


def test_matches_go_encoder() -> None:
    value = {"stop": ["<|im_end|>", "a&b"], "temperature": 0.6, "text": "é\u2028"}
    assert gojson.encode(value) == (
        b'{"stop":["\\u003c|im_end|\\u003e","a\\u0026b"],"temperature":0.6,'
        b'"text":"\xc3\xa9\\u2028"}\n'
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (0.6, "0.6"),
        (1e-07, "1e-7"),
        (1e21, "1e+21"),
        (1e16, "10000000000000000"),
        (-2.5, "-2.5"),
        (0.0, "0"),
        (123456.789, "123456.789"),
        (1e-6, "0.000001"),
    ],
)
def test_go_float(value: float, text: str) -> None:
    assert gojson.go_float(value) == text
