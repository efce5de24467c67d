"""What a runner child loads: the model and its load-time options, as one JSON line.

The parent writes ``RunnerSpec.to_json()`` as the first line of the child's stdin; the child reads
it back with ``RunnerSpec.from_json()``. Two specs compare equal exactly when they would load the
same runner, so the scheduler can use equality to decide whether a loaded runner needs a reload.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

CACHE_TYPES = frozenset({"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"})
POOLING_TYPES = frozenset({"none", "mean", "cls", "last", "rank"})

_INT_FIELDS = ("n_ctx", "n_parallel", "n_batch", "n_threads", "n_gpu_layers")
_BOOL_FIELDS = ("embedding", "use_mmap")
_OPTIONAL_STR_FIELDS = ("pooling", "mmproj")


@dataclass(frozen=True, slots=True)
class RunnerSpec:
    """Load-time options of one runner.

    ``n_ctx`` is the *total* KV-cache size in tokens; llama.cpp splits it evenly across the
    ``n_parallel`` slots, so Ollama's per-request ``num_ctx`` maps to
    ``n_ctx = num_ctx * n_parallel``.
    ``n_threads`` 0 and ``n_gpu_layers`` -1 let llama.cpp choose. ``flash_attn`` None means "auto".
    ``pooling`` None uses the model's own pooling type (embedding runners only).
    Construction raises ``ValueError`` for values that can never load.
    """

    model: str
    n_ctx: int = 4096
    n_parallel: int = 1
    n_batch: int = 512
    n_threads: int = 0
    n_gpu_layers: int = -1
    embedding: bool = False
    pooling: str | None = None
    mmproj: str | None = None
    lora: tuple[str, ...] = ()
    flash_attn: bool | None = None
    cache_type_k: str = "f16"
    cache_type_v: str = "f16"
    use_mmap: bool = True

    def __post_init__(self) -> None:
        _check_types(self)
        _check_values(self)

    def to_json(self) -> str:
        """One line of JSON (no newline) that ``from_json`` turns back into an equal spec."""
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> RunnerSpec:
        """Parse ``to_json`` output; raises ``ValueError`` for bad JSON, unknown or bad fields."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("runner spec must be a JSON object")
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown runner spec fields: {sorted(unknown)}")
        return cls(**_coerce(data))


def _coerce(data: dict[str, Any]) -> dict[str, Any]:
    """JSON has no tuples: turn the ``lora`` list back into a tuple of strings."""
    lora = data.get("lora", ())
    if not isinstance(lora, list | tuple) or not all(isinstance(p, str) for p in lora):
        raise ValueError("lora must be a list of paths")
    return {**data, "lora": tuple(lora)}


def _check_types(spec: RunnerSpec) -> None:
    """JSON input is untyped: reject wrong kinds before llama.cpp sees them."""
    if not isinstance(spec.model, str) or not spec.model:
        raise ValueError("model must be a non-empty path")
    for name in _INT_FIELDS:
        value = getattr(spec, name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{name} must be an integer")
    for name in _BOOL_FIELDS:
        if not isinstance(getattr(spec, name), bool):
            raise ValueError(f"{name} must be a boolean")
    for name in _OPTIONAL_STR_FIELDS:
        if not isinstance(getattr(spec, name), str | None):
            raise ValueError(f"{name} must be a string or null")
    if not isinstance(spec.flash_attn, bool | None):
        raise ValueError("flash_attn must be a boolean or null")
    if not isinstance(spec.lora, tuple) or not all(isinstance(p, str) for p in spec.lora):
        raise ValueError("lora must be a tuple of paths")


def _check_values(spec: RunnerSpec) -> None:
    if min(spec.n_ctx, spec.n_parallel, spec.n_batch) < 1 or spec.n_threads < 0:
        raise ValueError("n_ctx, n_parallel and n_batch must be positive, n_threads >= 0")
    for name in ("cache_type_k", "cache_type_v"):
        if getattr(spec, name) not in CACHE_TYPES:
            raise ValueError(f"{name} must be one of {sorted(CACHE_TYPES)}")
    if spec.pooling is not None and spec.pooling not in POOLING_TYPES:
        raise ValueError(f"pooling must be one of {sorted(POOLING_TYPES)}")
