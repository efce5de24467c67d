"""Choosing a bundled Go template for an imported GGUF from its Jinja chat template (spec §5.6).

The GGUF's ``tokenizer.chat_template`` is compared by edit distance with the Jinja templates of
well-known model families (``data/index.json``); the closest one within :data:`MAX_DISTANCE`
names a bundled ``<name>.gotmpl`` and ``<name>.json`` (its default parameters, such as stop
tokens).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from rapidfuzz.distance import Levenshtein

from pollama.template.bundled import bundled_text

MAX_DISTANCE = 100


@dataclass(frozen=True, slots=True)
class BundledTemplate:
    """A Go template shipped with pollama, and the parameters that go with it."""

    name: str
    template: str
    parameters: dict[str, Any]


def _data(filename: str) -> str:
    return resources.files("pollama.template").joinpath("data", filename).read_text("utf-8")


@cache
def _index() -> tuple[tuple[str, str], ...]:
    entries = json.loads(_data("index.json"))
    return tuple((entry["name"], entry["template"]) for entry in entries)


def bundled(name: str) -> BundledTemplate:
    """The bundled template ``name`` and its parameters; raises KeyError for an unknown name."""
    try:
        parameters = json.loads(_data(f"{name}.json"))
    except FileNotFoundError:
        parameters = {}
    return BundledTemplate(name, bundled_text(name), parameters)


def detect(chat_template: str) -> BundledTemplate | None:
    """The bundled template closest to ``chat_template``, or None when nothing is close enough."""
    best_name, best_distance = "", MAX_DISTANCE
    for name, jinja in _index():
        distance = Levenshtein.distance(chat_template, jinja, score_cutoff=best_distance)
        if distance < best_distance:
            best_name, best_distance = name, distance
    return bundled(best_name) if best_name else None


__all__ = ["BundledTemplate", "bundled", "detect"]
