from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pollama.names import ModelName


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("llama3.2", ("registry.ollama.ai", "library", "llama3.2", "latest")),
        ("llama3.2:1b", ("registry.ollama.ai", "library", "llama3.2", "1b")),
        ("user/m", ("registry.ollama.ai", "user", "m", "latest")),
        ("h/nn/mm:t", ("h", "nn", "mm", "t")),
        ("localhost:5000/ns/m:v1", ("localhost:5000", "ns", "m", "v1")),
        ("localhost:5000/ns/m", ("localhost:5000", "ns", "m", "latest")),
        ("http://localhost:5000/ns/m:v1", ("localhost:5000", "ns", "m", "v1")),
        (
            "hf.co/bartowski/Llama-3.2-1B-GGUF:Q4_K_M",
            ("hf.co", "bartowski", "Llama-3.2-1B-GGUF", "Q4_K_M"),
        ),
        (
            "llama3:7b-instruct-q4_K_M",
            ("registry.ollama.ai", "library", "llama3", "7b-instruct-q4_K_M"),
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_parse_fills_defaults(text: str, parts: tuple[str, str, str, str]) -> None:
    name = ModelName.parse(text)
    assert name.parts() == parts
    assert name.is_valid()


@pytest.mark.parametrize(
    "text",
    [
        "",
        ":tag",
        "a/:b",
        "/model",
        "a/b/c/d",
        "a/b/c/d:e",
        "model@sha256:abc",
        "mod el",
        "-model",
        ".model",
        "../etc/passwd",
        "ns.with.dots/model",
        "m" * 81,
        "model:" + "t" * 81,
        "h" * 351 + "/ns/m",
        "model:tag:extra/x",
        "ftp://host/ns/m",
        "model:",
        "ns/../m",
        "ns/..",
    ],
)
def test_invalid_names(text: str) -> None:
    assert not ModelName.parse(text).is_valid()


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("llama3.2", "llama3.2:latest"),
        ("user/m", "user/m:latest"),
        ("example.com/ns/m:tag", "example.com/ns/m:tag"),
        ("registry.ollama.ai/library/x:y", "x:y"),
    ],
)
def test_short_form(text: str, short: str) -> None:
    assert ModelName.parse(text).short() == short


def test_length_limits_are_inclusive() -> None:
    assert ModelName.parse("m" * 80).is_valid()
    assert ModelName.parse("m:" + "t" * 80).is_valid()
    assert ModelName.parse("h" * 350 + "/ns/m").is_valid()


def test_same_as_ignores_case() -> None:
    assert ModelName.parse("Llama3.2").same_as(ModelName.parse("llama3.2:LATEST"))
    assert not ModelName.parse("llama3.2").same_as(ModelName.parse("llama3.1"))


@given(st.text(max_size=200))
def test_parse_never_raises_and_valid_names_round_trip(text: str) -> None:
    name = ModelName.parse(text)
    if name.is_valid():
        again = ModelName.parse(str(name))
        assert again.parts() == name.parts()
        assert ModelName.parse(name.short()).parts() == name.parts()
        assert all(".." not in part.split("/") and "/" not in part for part in name.parts())


_part = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
_ns = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,20}", fullmatch=True)


@given(_part, _ns, _part, _part)
def test_generated_valid_names_round_trip(host: str, ns: str, model: str, tag: str) -> None:
    name = ModelName.parse(f"{host}/{ns}/{model}:{tag}")
    assert name.is_valid()
    assert name.parts() == (host, ns, model, tag)
