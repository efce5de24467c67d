"""Shaping embedding vectors as Ollama returns them (spec §3.6): checked, cut, unit length."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pollama.errors import EngineError

NOT_FINITE = "embedding contains NaN or Inf values"


def normalize(vector: Sequence[float]) -> list[float]:
    """``vector`` scaled to Euclidean length 1; an all-zero vector stays all zeros."""
    norm = math.sqrt(math.fsum(value * value for value in vector))
    if norm == 0.0:
        return [0.0] * len(vector)
    return [value / norm for value in vector]


def shape(vector: Sequence[float], dimensions: int = 0, *, unit: bool = True) -> list[float]:
    """The vector a client gets: the first ``dimensions`` values when 0 < ``dimensions`` <
    ``len(vector)`` (any other value keeps them all), normalised when ``unit``.

    Normalising the whole vector, then the cut one, gives the cut one's direction either way, so
    only the final vector is normalised. Raises ``EngineError`` when a value is NaN or infinite.
    """
    if not all(math.isfinite(value) for value in vector):
        raise EngineError(NOT_FINITE)
    cut = list(vector[:dimensions]) if 0 < dimensions < len(vector) else list(vector)
    return normalize(cut) if unit else cut


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """The cosine similarity of two vectors of the same length (0.0 when either is zero)."""
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norms = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return dot / norms if norms else 0.0


__all__ = ["NOT_FINITE", "cosine", "normalize", "shape"]
