"""Where ``pollama push`` says the model went, and how it words a refused login (spec §1.9)."""

from __future__ import annotations

import pytest

from pollama.cli.pull import NOT_AUTHORIZED, push_destination, push_error
from pollama.errors import PollamaError


@pytest.mark.parametrize(
    ("model", "destination"),
    [
        ("jdoe/mymodel", "https://ollama.com/jdoe/mymodel"),
        ("jdoe/mymodel:v2", "https://ollama.com/jdoe/mymodel:v2"),
        ("registry.ollama.ai/jdoe/m:latest", "https://ollama.com/jdoe/m"),
        ("ollama.com/jdoe/m:q4", "https://ollama.com/jdoe/m:q4"),
        ("127.0.0.1:5000/library/smollm2:135m", "127.0.0.1:5000/library/smollm2:135m"),
        ("example.com/ns/m", "example.com/ns/m:latest"),
        ("notollama.com/ns/m", "notollama.com/ns/m:latest"),
    ],
)
def test_push_destination(model: str, destination: str) -> None:
    assert push_destination(model) == destination


def test_refused_logins_say_what_to_do() -> None:
    for message in ("unauthorized: access denied", "401: Unauthorized", "Access Denied"):
        assert str(push_error(PollamaError(message))) == NOT_AUTHORIZED
    other = PollamaError("pull model manifest: file does not exist")
    assert push_error(other) is other
