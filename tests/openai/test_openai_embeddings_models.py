"""/v1/embeddings request checks and answers; /v1/models objects (spec §3.15)."""

from __future__ import annotations

import base64
import struct
from datetime import UTC, datetime

import pytest

from pollama.errors import BadRequest
from pollama.names import ModelName
from pollama.openai import embedding_inputs, embedding_list, encoding_format, model_list
from pollama.openai.embeddings import base64_floats


@pytest.mark.parametrize(
    ("value", "inputs"),
    [("", [""]), ("hi", ["hi"]), (["a", "b"], ["a", "b"]), ([""], [""])],
)
def test_inputs(value: object, inputs: list[str]) -> None:
    assert embedding_inputs(value) == inputs


@pytest.mark.parametrize("value", [None, [], [1, 2], [[1, 2]], 3, {"a": "b"}, ["a", 1]])
def test_bad_inputs(value: object) -> None:
    with pytest.raises(BadRequest, match="^invalid input$"):
        embedding_inputs(value)


def test_encoding_format() -> None:
    assert encoding_format(None) == "float"
    assert encoding_format("float") == "float"
    assert encoding_format("base64") == "base64"
    with pytest.raises(BadRequest) as err:
        encoding_format("hex")
    assert str(err.value) == (
        "Invalid value for 'encoding_format' = hex. Supported values: ['float', 'base64']."
    )


def test_base64_is_little_endian_float32() -> None:
    raw = base64.b64decode(base64_floats([1.0, -0.5, 0.25]))
    assert raw == struct.pack("<3f", 1.0, -0.5, 0.25) and raw[:4] == b"\x00\x00\x80\x3f"


@pytest.mark.parametrize("encoding", ["float", "base64"])
def test_embedding_list(encoding: str) -> None:
    out = embedding_list([[0.5, 0.25], [1.0, 0.0]], 6, "m", encoding)
    assert out["object"] == "list" and out["model"] == "m"
    assert out["usage"] == {"prompt_tokens": 6, "total_tokens": 6}
    assert [(d["object"], d["index"]) for d in out["data"]] == [("embedding", 0), ("embedding", 1)]
    first = out["data"][0]["embedding"]
    if encoding == "float":
        assert first == [0.5, 0.25]
    else:
        assert struct.unpack("<2f", base64.b64decode(first)) == (0.5, 0.25)


def test_model_list() -> None:
    when = datetime(2025, 5, 10, 8, 6, 48, tzinfo=UTC)
    names = [ModelName.parse("llama3.2"), ModelName.parse("hf.co/bartowski/Qwen:Q4_K_M")]
    assert model_list((n, when) for n in names) == {
        "object": "list",
        "data": [
            {
                "id": "llama3.2:latest",
                "object": "model",
                "created": 1746864408,
                "owned_by": "library",
            },
            {
                "id": "hf.co/bartowski/Qwen:Q4_K_M",
                "object": "model",
                "created": 1746864408,
                "owned_by": "bartowski",
            },
        ],
    }
    assert model_list([]) == {"object": "list", "data": []}
