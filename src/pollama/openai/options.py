"""Sampling fields of OpenAI requests as native ``options`` (spec §3.15, §3.3).

OpenAI's defaults differ from Ollama's native ones: an omitted ``temperature`` or ``top_p`` means
1.0 (OpenAI's default), and it overrides the model's own parameters, exactly as Ollama does.
"""

from __future__ import annotations

from typing import Any

from pollama.errors import BadRequest

_JSON_TYPES = {bool: "boolean", int: "number", float: "number", dict: "object", list: "array"}


def json_type(value: object) -> str:
    """The JSON type name of a decoded JSON value (for error messages)."""
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), "string")


def stop_list(value: object) -> list[str]:
    """``stop`` as a list: a string or an array of strings; raises BadRequest otherwise."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, str):
            raise BadRequest(f"invalid type for 'stop' field: {json_type(item)}")
    return list(items)


def native_options(
    *,
    temperature: float | None,
    top_p: float | None,
    max_tokens: int | None = None,
    seed: int | None = None,
    stop: object = None,
    frequency_penalty: float | None = None,
    presence_penalty: float | None = None,
) -> dict[str, Any]:
    """The native ``options`` object; fields the request left out are left out (so the model's
    parameters apply), except temperature and top_p, which default to 1.0."""
    options: dict[str, Any] = {
        "temperature": 1.0 if temperature is None else temperature,
        "top_p": 1.0 if top_p is None else top_p,
    }
    optional = {
        "num_predict": max_tokens,
        "seed": seed,
        "frequency_penalty": frequency_penalty,
        "presence_penalty": presence_penalty,
    }
    options.update({k: v for k, v in optional.items() if v is not None})
    # An empty list would erase the model's own stop sequences, which no client means.
    if stops := stop_list(stop):
        options["stop"] = stops
    return options


__all__ = ["json_type", "native_options", "stop_list"]
