"""``/v1/embeddings`` (spec §3.15): checking the request, shaping the answer.

``input`` is a string or an array of strings (``""`` counts as one empty input; a missing or
empty array is ``invalid input``; token arrays are not supported). ``encoding_format`` is
``float`` (the default) or ``base64``: the vector as little-endian float32 bytes, base64-encoded,
which is what OpenAI's SDKs decode.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Sequence
from typing import Any

from pollama.errors import BadRequest

ENCODINGS = ("float", "base64")


def embedding_inputs(value: object) -> list[str]:
    """The inputs as a list of strings; raises BadRequest ``invalid input``."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise BadRequest("invalid input")


def encoding_format(value: str | None) -> str:
    """``float`` or ``base64``; raises BadRequest with OpenAI's message for anything else."""
    if value is None or value in ENCODINGS:
        return value or "float"
    raise BadRequest(
        f"Invalid value for 'encoding_format' = {value}. Supported values: ['float', 'base64']."
    )


def base64_floats(values: Sequence[float]) -> str:
    """``values`` as little-endian float32 bytes in base64."""
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")


def embedding_list(
    vectors: Sequence[Sequence[float]], prompt_tokens: int, model: str, encoding: str
) -> dict[str, Any]:
    """OpenAI's embedding list: one object per vector, in input order, then the usage."""
    data = [
        {
            "object": "embedding",
            "embedding": base64_floats(v) if encoding == "base64" else list(v),
            "index": i,
        }
        for i, v in enumerate(vectors)
    ]
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }


__all__ = [
    "ENCODINGS",
    "base64_floats",
    "embedding_inputs",
    "embedding_list",
    "encoding_format",
]
